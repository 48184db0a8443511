package io.courier.payment;

import io.courier.runtime.Role;
import io.courier.runtime.RoleContext;
import io.courier.runtime.RoleDeployment;
import java.util.ArrayList;
import java.util.List;

/**
 * The {@code payment-service} role: the simulated provider first (when enabled), then the {@link
 * PaymentVerticle} that uses it.
 */
public final class PaymentServiceRole implements Role {

  public static final String NAME = "payment-service";

  @Override
  public String name() {
    return NAME;
  }

  @Override
  public List<RoleDeployment> deployments(RoleContext context) {
    List<RoleDeployment> deployments = new ArrayList<>();
    if (context.config().services().paymentProvider().enabled()) {
      deployments.add(
          RoleDeployment.of("payment-provider", () -> new PaymentProviderVerticle(context), 1));
    }
    deployments.add(RoleDeployment.of("payments", () -> new PaymentVerticle(context), 1));
    return deployments;
  }
}
