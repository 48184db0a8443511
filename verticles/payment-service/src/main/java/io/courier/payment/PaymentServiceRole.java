package io.courier.payment;

import io.courier.resilience.ResilienceConfig;
import io.courier.runtime.Role;
import io.courier.runtime.RoleContext;
import io.courier.runtime.RoleDeployment;
import io.courier.runtime.config.ConfigSection;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;

/**
 * The {@code payment-service} role: the simulated provider first (when enabled), then the {@link
 * PaymentVerticle} that uses it.
 */
public final class PaymentServiceRole implements Role {

  public static final String NAME = "payment-service";

  /** The consumer group of the role's Kafka consumers. */
  public static final String CONSUMER_GROUP = NAME;

  @Override
  public String name() {
    return NAME;
  }

  @Override
  public List<ConfigSection<?>> configSections() {
    return List.of(
        PaymentServiceConfig.SECTION, PaymentProviderConfig.SECTION, ResilienceConfig.SECTION);
  }

  @Override
  public Set<String> faultPoints() {
    return Set.of(PaymentProviderVerticle.FAULT_POINT);
  }

  @Override
  public List<RoleDeployment> deployments(RoleContext context) {
    List<RoleDeployment> deployments = new ArrayList<>();
    if (context.config(PaymentProviderConfig.SECTION).enabled()) {
      deployments.add(
          RoleDeployment.of("payment-provider", () -> new PaymentProviderVerticle(context), 1));
    }
    deployments.add(RoleDeployment.of("payments", () -> new PaymentVerticle(context), 1));
    return deployments;
  }
}
