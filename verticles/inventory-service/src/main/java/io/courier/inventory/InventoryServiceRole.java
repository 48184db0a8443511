package io.courier.inventory;

import io.courier.resilience.ResilienceConfig;
import io.courier.runtime.Role;
import io.courier.runtime.RoleContext;
import io.courier.runtime.RoleDeployment;
import io.courier.runtime.config.ConfigSection;
import java.util.List;

/**
 * The {@code inventory-service} role: one {@link InventoryVerticle}, an owner of stock partitions.
 */
public final class InventoryServiceRole implements Role {

  public static final String NAME = "inventory-service";

  /** The consumer group of the role's Kafka consumers. */
  public static final String CONSUMER_GROUP = NAME;

  @Override
  public String name() {
    return NAME;
  }

  @Override
  public List<ConfigSection<?>> configSections() {
    return List.of(InventoryServiceConfig.SECTION, ResilienceConfig.SECTION);
  }

  @Override
  public List<RoleDeployment> deployments(RoleContext context) {
    return List.of(RoleDeployment.of("inventory", () -> new InventoryVerticle(context), 1));
  }
}
