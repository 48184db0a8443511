package io.courier.order;

import io.courier.runtime.config.ConfigChecks;
import io.courier.runtime.config.ConfigSection;

/**
 * The order service: the {@code services.order} section.
 *
 * @param placeTimeoutMs deadline of placing one order (user check, reservation, durable write)
 */
public record OrderServiceConfig(long placeTimeoutMs) {

  public static final OrderServiceConfig DEFAULTS = new OrderServiceConfig(4000);

  public static final ConfigSection<OrderServiceConfig> SECTION =
      ConfigSection.of("services.order", OrderServiceConfig.class, DEFAULTS);

  public OrderServiceConfig {
    new ConfigChecks().atLeast("placeTimeoutMs", placeTimeoutMs, 1).orThrow();
  }
}
