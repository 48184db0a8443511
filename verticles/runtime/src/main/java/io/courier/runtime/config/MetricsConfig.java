package io.courier.runtime.config;

import java.util.List;

/**
 * Metrics (Micrometer, Prometheus format on {@code GET /metrics} of the management server).
 *
 * @param enabled false records nothing (Vert.x runs without a metrics SPI)
 * @param sloMillis latency bucket bounds of the request-time histograms, in milliseconds
 */
public record MetricsConfig(boolean enabled, List<Long> sloMillis) {

  public static final MetricsConfig DEFAULTS =
      new MetricsConfig(true, List.of(5L, 10L, 25L, 50L, 100L, 250L, 500L, 1000L, 2500L, 5000L));

  public MetricsConfig {
    sloMillis = List.copyOf(sloMillis);
    for (int i = 0; i < sloMillis.size(); i++) {
      if (sloMillis.get(i) <= 0 || (i > 0 && sloMillis.get(i) <= sloMillis.get(i - 1))) {
        new ConfigChecks()
            .invalid("sloMillis", "is " + sloMillis + "; must be positive and ascending")
            .orThrow();
      }
    }
  }
}
