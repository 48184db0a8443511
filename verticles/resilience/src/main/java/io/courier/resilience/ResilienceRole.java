package io.courier.resilience;

import io.courier.runtime.Role;
import io.courier.runtime.RoleContext;
import io.courier.runtime.RoleDeployment;
import io.courier.runtime.config.ConfigSection;
import io.vertx.core.VertxOptions;
import java.util.List;

/**
 * The {@code resilience} role: {@link ResilienceProxyVerticle}s, one per event loop, over the
 * policy file named by {@code resilience.policyFile}, reloaded every {@code
 * resilience.reloadPeriodMs}. A gateway in a process without this role deploys its own, serving
 * only that process ({@link #proxies}).
 */
public final class ResilienceRole implements Role {

  public static final String NAME = "resilience";

  @Override
  public String name() {
    return NAME;
  }

  @Override
  public List<ConfigSection<?>> configSections() {
    return List.of(ResilienceConfig.SECTION);
  }

  @Override
  public List<RoleDeployment> deployments(RoleContext context) {
    return List.of(proxies(context, false));
  }

  /**
   * One {@link ResilienceProxyVerticle} per event loop, over the policy file named by {@code
   * resilience.policyFile} (and the Consul key when {@code resilience.fromConsul}); {@code local}
   * ones serve this process's callers only ({@link ResilienceProxyVerticle#processLocal()}).
   */
  public static RoleDeployment proxies(RoleContext context, boolean local) {
    ResilienceConfig config = context.config(ResilienceConfig.SECTION);
    return RoleDeployment.of(
        "resilience-proxy",
        () -> {
          ResilienceProxyVerticle proxy =
              new ResilienceProxyVerticle(
                      config.policyFile(), config.reloadPeriodMs(), context.meters())
                  .fromConsulKey(
                      config.fromConsul()
                          ? context.config().discovery().consulClientOptions()
                          : null,
                      config.consulKey());
          return local ? proxy.processLocal() : proxy;
        },
        VertxOptions.DEFAULT_EVENT_LOOP_POOL_SIZE);
  }
}
