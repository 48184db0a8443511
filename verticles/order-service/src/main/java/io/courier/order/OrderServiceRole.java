package io.courier.order;

import io.courier.codec.flow.Addresses;
import io.courier.resilience.ResilienceConfig;
import io.courier.runtime.Role;
import io.courier.runtime.RoleContext;
import io.courier.runtime.RoleDeployment;
import io.courier.runtime.config.ConfigSection;
import io.courier.service.EndpointRegistration;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The {@code order-service} role: one {@link OrderVerticle} (an owner of order partitions), its
 * event-bus service registered in discovery ({@code protocol=eventbus}, {@code address} tag).
 */
public final class OrderServiceRole implements Role {

  public static final String NAME = "order-service";

  /** The consumer group of the role's Kafka consumers. */
  public static final String CONSUMER_GROUP = NAME;

  /**
   * The fault point before a placed order is written: failing it fails the placing after its stock
   * was reserved (503 {@code store-unavailable}), as a lost write to the orders topic would.
   */
  public static final String STORE_FAULT_POINT = "order-store";

  @Override
  public String name() {
    return NAME;
  }

  @Override
  public List<ConfigSection<?>> configSections() {
    return List.of(OrderServiceConfig.SECTION, ResilienceConfig.SECTION);
  }

  @Override
  public Set<String> faultPoints() {
    return Set.of(STORE_FAULT_POINT);
  }

  @Override
  public List<RoleDeployment> deployments(RoleContext context) {
    return List.of(
        RoleDeployment.of("orders", () -> new OrderVerticle(context), 1),
        // The event-bus service in discovery, at this process's management port (its readiness).
        EndpointRegistration.deployment(
            context, NAME, "health", "eventbus", Map.of("address", Addresses.ORDER_PLACE)));
  }
}
