package io.courier.inventory;

import io.courier.runtime.config.ConfigChecks;
import io.courier.runtime.config.ConfigSection;

/**
 * The inventory service: the {@code services.inventory} section.
 *
 * @param grpcPort gRPC port (InventoryService); 0 picks a free one, registered in discovery
 * @param seedFile JSON file of the SKUs, their stock and prices, loaded at start
 */
public record InventoryServiceConfig(int grpcPort, String seedFile) {

  public static final InventoryServiceConfig DEFAULTS =
      new InventoryServiceConfig(0, "conf/seed/inventory.json");

  /** The section; the seed file must exist where the role runs. */
  public static final ConfigSection<InventoryServiceConfig> SECTION =
      ConfigSection.of("services.inventory", InventoryServiceConfig.class, DEFAULTS)
          .checkedBy(
              (config, checks, context) -> {
                if (context.runs(InventoryServiceRole.NAME)) {
                  checks.existingFile("seedFile", config.seedFile());
                }
              });

  public InventoryServiceConfig {
    new ConfigChecks().port("grpcPort", grpcPort).orThrow();
  }
}
