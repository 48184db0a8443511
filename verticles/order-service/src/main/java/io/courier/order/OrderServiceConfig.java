package io.courier.order;

import io.courier.runtime.config.ConfigChecks;
import io.courier.runtime.config.ConfigSection;

/**
 * The order service: the {@code services.order} section.
 *
 * @param placeTimeoutMs deadline of placing one order (user check, reservation, durable write)
 * @param paymentTimeoutMs how long an order may stay PENDING without a payment outcome; past it the
 *     order is cancelled and its stock released
 * @param sweepIntervalMs how often the owner of a partition looks for orders past their payment
 *     timeout
 */
public record OrderServiceConfig(long placeTimeoutMs, long paymentTimeoutMs, long sweepIntervalMs) {

  public static final OrderServiceConfig DEFAULTS = new OrderServiceConfig(4000, 120_000, 5_000);

  public static final ConfigSection<OrderServiceConfig> SECTION =
      ConfigSection.of("services.order", OrderServiceConfig.class, DEFAULTS);

  public OrderServiceConfig {
    new ConfigChecks()
        .atLeast("placeTimeoutMs", placeTimeoutMs, 1)
        .atLeast("paymentTimeoutMs", paymentTimeoutMs, 1_000)
        .atLeast("sweepIntervalMs", sweepIntervalMs, 10)
        .orThrow();
  }
}
