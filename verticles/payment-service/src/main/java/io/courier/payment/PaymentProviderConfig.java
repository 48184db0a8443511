package io.courier.payment;

import io.courier.runtime.config.ConfigChecks;
import io.courier.runtime.config.ConfigSection;

/**
 * The simulated payment provider, an HTTP verticle that charges or declines: the {@code
 * services.paymentProvider} section.
 *
 * @param enabled run it with the payment service
 * @param port HTTP port; 0 picks a free one, registered in discovery
 * @param latencyMs added to every answer
 * @param declineRate share of payments declined (decided per order id, so a retry gets the same
 *     answer)
 * @param errorRate share of requests answered 503 (transient, retried)
 */
public record PaymentProviderConfig(
    boolean enabled, int port, long latencyMs, double declineRate, double errorRate) {

  public static final PaymentProviderConfig DEFAULTS =
      new PaymentProviderConfig(true, 0, 20, 0.1, 0.0);

  public static final ConfigSection<PaymentProviderConfig> SECTION =
      ConfigSection.of("services.paymentProvider", PaymentProviderConfig.class, DEFAULTS);

  public PaymentProviderConfig {
    new ConfigChecks()
        .port("port", port)
        .atLeast("latencyMs", latencyMs, 0)
        .share("declineRate", declineRate)
        .share("errorRate", errorRate)
        .orThrow();
  }
}
