package io.courier.runtime.config;

/**
 * OpenTelemetry tracing: W3C trace context over HTTP, event-bus headers, gRPC metadata and Kafka
 * record headers.
 *
 * @param enabled false creates no spans (log lines then carry no trace id)
 * @param sampleRatio share of new traces recorded, 0..1; a caller's sampling decision is kept
 * @param otlpEndpoint OTLP/HTTP traces endpoint, e.g. {@code http://collector:4318/v1/traces};
 *     empty exports nothing (trace ids still reach the logs)
 * @param serviceName the {@code service.name} resource attribute
 */
public record TracingConfig(
    boolean enabled, double sampleRatio, String otlpEndpoint, String serviceName) {

  public static final TracingConfig DEFAULTS = new TracingConfig(true, 1.0, "", "courier");

  public TracingConfig {
    new ConfigChecks()
        .share("sampleRatio", sampleRatio)
        .url("otlpEndpoint", otlpEndpoint)
        .text("serviceName", serviceName)
        .orThrow();
  }
}
