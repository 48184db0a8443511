package io.courier.payment;

import io.courier.runtime.config.ConfigChecks;
import io.courier.runtime.config.ConfigSection;

/**
 * The payment service: the {@code services.payment} section.
 *
 * @param providerUrl base URL of the payment provider; empty finds {@code payment-provider} in
 *     discovery
 */
public record PaymentServiceConfig(String providerUrl) {

  public static final PaymentServiceConfig DEFAULTS = new PaymentServiceConfig("");

  public static final ConfigSection<PaymentServiceConfig> SECTION =
      ConfigSection.of("services.payment", PaymentServiceConfig.class, DEFAULTS);

  public PaymentServiceConfig {
    new ConfigChecks().url("providerUrl", providerUrl).orThrow();
  }
}
