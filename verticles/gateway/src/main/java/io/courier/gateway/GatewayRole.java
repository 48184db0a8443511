package io.courier.gateway;

import io.courier.runtime.Role;
import io.courier.runtime.RoleContext;
import io.courier.runtime.RoleDeployment;
import java.util.List;

/**
 * The {@code gateway} role: the gRPC API ({@link GatewayGrpcVerticle}), the process's rate limiter
 * ({@link RateLimiterVerticle}) and {@link GatewayHttpVerticle} instances sharing the REST port.
 */
public final class GatewayRole implements Role {

  public static final String NAME = "gateway";

  @Override
  public String name() {
    return NAME;
  }

  @Override
  public List<RoleDeployment> deployments(RoleContext context) {
    return List.of(
        RoleDeployment.of("gateway-grpc", () -> new GatewayGrpcVerticle(context), 1),
        RoleDeployment.of("gateway-rate-limiter", () -> new RateLimiterVerticle(context), 1),
        RoleDeployment.of(
            "gateway-http",
            () -> new GatewayHttpVerticle(context),
            context.config().gateway().instances()));
  }
}
