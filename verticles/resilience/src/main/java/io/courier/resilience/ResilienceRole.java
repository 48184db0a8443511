package io.courier.resilience;

import io.courier.runtime.Role;
import io.courier.runtime.RoleContext;
import io.courier.runtime.RoleDeployment;
import io.courier.runtime.config.ConfigSection;
import java.util.List;

/**
 * The {@code resilience} role: the {@link ResilienceProxyVerticle} over the policy file named by
 * {@code resilience.policyFile}, reloaded every {@code resilience.reloadPeriodMs}.
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
    ResilienceConfig config = context.config(ResilienceConfig.SECTION);
    return List.of(
        RoleDeployment.of(
            "resilience-proxy",
            () ->
                new ResilienceProxyVerticle(
                        config.policyFile(), config.reloadPeriodMs(), context.meters())
                    .fromConsulKey(
                        config.fromConsul()
                            ? context.config().discovery().consulClientOptions()
                            : null,
                        config.consulKey()),
            1));
  }
}
