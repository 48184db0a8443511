package io.courier.gateway;

import io.courier.resilience.ResilienceConfig;
import io.courier.resilience.ResilienceRole;
import io.courier.runtime.Role;
import io.courier.runtime.RoleContext;
import io.courier.runtime.RoleDeployment;
import io.courier.runtime.config.ConfigSection;
import io.courier.service.EndpointRegistration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * The {@code gateway} role: the gRPC API ({@link GatewayGrpcVerticle}), the process's rate limiter
 * ({@link RateLimiterVerticle}) and {@link GatewayHttpVerticle} instances sharing the REST port,
 * both ports registered in discovery as {@code gateway} (http) and {@code gateway-grpc}; in a
 * process without the {@code resilience} role, also the resilience proxies its order calls go
 * through.
 */
public final class GatewayRole implements Role {

  public static final String NAME = "gateway";

  @Override
  public String name() {
    return NAME;
  }

  /** A process told nothing else is an edge. */
  @Override
  public boolean runsByDefault() {
    return true;
  }

  @Override
  public List<ConfigSection<?>> configSections() {
    return List.of(GatewayConfig.SECTION, ResilienceConfig.SECTION);
  }

  @Override
  public List<RoleDeployment> deployments(RoleContext context) {
    // One Kafka consumer of order events for every watch of this process (gRPC and SSE).
    OrderWatches watches = new OrderWatches(context);
    List<RoleDeployment> deployments = new ArrayList<>();
    if (!context.config().roles().contains(ResilienceRole.NAME)) {
      // The calls to the order service go through a resilience proxy of this process.
      deployments.add(ResilienceRole.proxies(context, true));
    }
    deployments.addAll(
        List.of(
            RoleDeployment.of("gateway-grpc", () -> new GatewayGrpcVerticle(context, watches), 1),
            RoleDeployment.of("gateway-rate-limiter", () -> new RateLimiterVerticle(context), 1),
            RoleDeployment.of(
                "gateway-http",
                () -> new GatewayHttpVerticle(context, watches),
                context.config(GatewayConfig.SECTION).instances()),
            // Last, so they register once the ports listen and deregister before they close.
            EndpointRegistration.deployment(context, "gateway", "gateway", "http", Map.of()),
            EndpointRegistration.deployment(
                context, "gateway-grpc", "gateway (gRPC)", "grpc", Map.of())));
    return deployments;
  }
}
