package io.courier.runtime.metrics;

import io.courier.runtime.config.MetricsConfig;
import io.micrometer.core.instrument.Meter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.binder.jvm.ClassLoaderMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmGcMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmMemoryMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmThreadMetrics;
import io.micrometer.core.instrument.binder.system.ProcessorMetrics;
import io.micrometer.core.instrument.binder.system.UptimeMetrics;
import io.micrometer.core.instrument.config.MeterFilter;
import io.micrometer.core.instrument.distribution.DistributionStatisticConfig;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.vertx.core.VertxOptions;
import io.vertx.core.spi.VertxMetricsFactory;
import io.vertx.micrometer.Label;
import io.vertx.micrometer.MicrometerMetricsFactory;
import io.vertx.micrometer.MicrometerMetricsOptions;
import java.time.Duration;
import java.util.EnumSet;
import java.util.Optional;

/**
 * The Prometheus registry of a Courier process, fed by Vert.x's own metrics (HTTP server and
 * client, event bus, pools), JVM and GC binders, and Courier's meters (Kafka delivery, resilience,
 * discovery). Every label is bounded: routes (templates, never paths), methods, status codes,
 * event-bus addresses of services, topics, targets; never an id.
 */
public final class CourierMetrics {

  /**
   * The labels Vert.x may put on its meters: all bounded. REMOTE, LOCAL and HTTP_PATH are not, nor
   * POOL_NAME (an HTTP client's pool is named after the peer's host:port, new with every pod).
   */
  static final EnumSet<Label> LABELS =
      EnumSet.of(
          Label.HTTP_ROUTE,
          Label.HTTP_METHOD,
          Label.HTTP_CODE,
          Label.EB_ADDRESS,
          Label.EB_SIDE,
          Label.EB_FAILURE,
          Label.POOL_TYPE,
          Label.CLIENT_NAME);

  private CourierMetrics() {}

  /**
   * Adds metrics to the options of a Vert.x about to be built, when enabled; build it with {@link
   * #factory}.
   *
   * @return the registry the Vert.x instance will report to, if any
   */
  public static Optional<PrometheusMeterRegistry> install(
      VertxOptions options, MetricsConfig config) {
    if (!config.enabled()) {
      return Optional.empty();
    }
    PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
    // Unbounded tags Vert.x adds to some meters whatever the label set (an HTTP client pool is
    // named after its peer's host:port): dropped, which also keeps every meter name's tag keys the
    // same, as Prometheus requires.
    registry.config().meterFilter(MeterFilter.ignoreTags("pool_name", "remote", "local", "path"));
    registry.config().meterFilter(histograms(config));
    options.setMetricsOptions(
        new MicrometerMetricsOptions()
            .setEnabled(true)
            .setJvmMetricsEnabled(false)
            .setLabels(LABELS));
    new ClassLoaderMetrics().bindTo(registry);
    new JvmMemoryMetrics().bindTo(registry);
    new JvmGcMetrics().bindTo(registry);
    new JvmThreadMetrics().bindTo(registry);
    new ProcessorMetrics().bindTo(registry);
    new UptimeMetrics().bindTo(registry);
    return Optional.of(registry);
  }

  /** The Vert.x metrics SPI reporting to {@code registry}. */
  public static VertxMetricsFactory factory(MeterRegistry registry) {
    return new MicrometerMetricsFactory(registry);
  }

  /** Latency histograms with the configured SLO buckets, instead of client-side quantiles. */
  private static MeterFilter histograms(MetricsConfig config) {
    double[] slos =
        config.sloMillis().stream().mapToDouble(ms -> Duration.ofMillis(ms).toNanos()).toArray();
    return new MeterFilter() {
      @Override
      public DistributionStatisticConfig configure(
          Meter.Id id, DistributionStatisticConfig distribution) {
        if (id.getType() == Meter.Type.TIMER
            && (id.getName().endsWith(".response.time") || id.getName().startsWith("courier."))) {
          return DistributionStatisticConfig.builder()
              .serviceLevelObjectives(slos)
              .build()
              .merge(distribution);
        }
        return distribution;
      }
    };
  }
}
