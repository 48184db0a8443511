package io.courier.gateway;

import io.courier.runtime.config.ConfigChecks;

/**
 * Bulk placing over gRPC ({@code courier.v1.OrderService/PlaceOrders}): the {@code gateway.bulk}
 * section.
 *
 * @param maxInFlight items of one stream being placed at once; at the limit the gateway stops
 *     reading the stream (HTTP/2 flow control then holds the client back) until a result comes back
 * @param maxItems items one stream may send; the stream ends with RESOURCE_EXHAUSTED, after the
 *     results of the items taken, when a client sends more
 */
public record BulkConfig(int maxInFlight, int maxItems) {

  public static final BulkConfig DEFAULTS = new BulkConfig(16, 10_000);

  public BulkConfig {
    new ConfigChecks()
        .atLeast("maxInFlight", maxInFlight, 1)
        .require(maxInFlight <= 256, "maxInFlight", "is " + maxInFlight + "; must be <= 256")
        .atLeast("maxItems", maxItems, 1)
        .require(maxItems <= 1_000_000, "maxItems", "is " + maxItems + "; must be <= 1000000")
        .orThrow();
  }
}
