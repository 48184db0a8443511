package io.courier.inventory;

import io.courier.runtime.config.ConfigChecks;
import io.courier.runtime.config.ConfigSection;

/**
 * The inventory service: the {@code services.inventory} section.
 *
 * @param grpcPort gRPC port (InventoryService); 0 picks a free one, registered in discovery
 * @param seedFile JSON file of the SKUs, their stock and prices, loaded at start
 * @param ownerTimeoutMs how long the owner of a partition has to answer its part of a request
 * @param reservationTtlMs how long a reservation may stay without its order being known; past it
 *     the orphan sweep asks the order's owner and releases a reservation no order holds
 * @param sweepIntervalMs how often each owner looks for reservations past their TTL
 */
public record InventoryServiceConfig(
    int grpcPort,
    String seedFile,
    long ownerTimeoutMs,
    long reservationTtlMs,
    long sweepIntervalMs) {

  public static final InventoryServiceConfig DEFAULTS =
      new InventoryServiceConfig(0, "conf/seed/inventory.json", 3_000, 300_000, 10_000);

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
    new ConfigChecks()
        .port("grpcPort", grpcPort)
        .atLeast("ownerTimeoutMs", ownerTimeoutMs, 1)
        .atLeast("reservationTtlMs", reservationTtlMs, 1_000)
        .atLeast("sweepIntervalMs", sweepIntervalMs, 10)
        .orThrow();
  }
}
