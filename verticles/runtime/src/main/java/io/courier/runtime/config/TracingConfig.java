package io.courier.runtime.config;

import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * OpenTelemetry tracing: W3C trace context over HTTP, event-bus headers, gRPC metadata and Kafka
 * record headers. Every key also takes its value from the standard {@code OTEL_*} variable named
 * below when no file, {@code COURIER_*} variable, property or option sets it (see {@code
 * docs/operations.md}, "Tracing").
 *
 * @param enabled false creates no spans (log lines then carry no trace id); {@code
 *     OTEL_SDK_DISABLED=true} sets it false
 * @param sampler which new traces are recorded ({@code OTEL_TRACES_SAMPLER}): {@code always_on},
 *     {@code always_off}, {@code traceidratio}, or one of these behind {@code parentbased_}, which
 *     keeps a caller's sampling decision
 * @param sampleRatio share of new traces recorded by the {@code traceidratio} samplers, 0..1
 *     ({@code OTEL_TRACES_SAMPLER_ARG})
 * @param otlpEndpoint OTLP/HTTP traces endpoint, e.g. {@code http://collector:4318/v1/traces}
 *     ({@code OTEL_EXPORTER_OTLP_TRACES_ENDPOINT} as it is, or {@code OTEL_EXPORTER_OTLP_ENDPOINT}
 *     with {@code /v1/traces} appended); empty exports nothing (trace ids still reach the logs)
 * @param otlpProtocol how spans are sent; only {@code http/protobuf} ({@code
 *     OTEL_EXPORTER_OTLP_TRACES_PROTOCOL}, {@code OTEL_EXPORTER_OTLP_PROTOCOL})
 * @param otlpHeaders headers sent with every export, {@code name=value,...} with URL-encoded values
 *     ({@code OTEL_EXPORTER_OTLP_TRACES_HEADERS}, {@code OTEL_EXPORTER_OTLP_HEADERS}); a secret
 * @param serviceName the {@code service.name} resource attribute ({@code OTEL_SERVICE_NAME}, or
 *     {@code service.name} in {@code OTEL_RESOURCE_ATTRIBUTES})
 * @param resourceAttributes more resource attributes, {@code key=value,...} with URL-encoded values
 *     ({@code OTEL_RESOURCE_ATTRIBUTES})
 */
public record TracingConfig(
    boolean enabled,
    String sampler,
    double sampleRatio,
    String otlpEndpoint,
    String otlpProtocol,
    String otlpHeaders,
    String serviceName,
    String resourceAttributes) {

  /** The samplers {@code sampler} names, as {@code OTEL_TRACES_SAMPLER} spells them. */
  public static final List<String> SAMPLERS =
      List.of(
          "always_on",
          "always_off",
          "traceidratio",
          "parentbased_always_on",
          "parentbased_always_off",
          "parentbased_traceidratio");

  /** The one OTLP transport this build exports with. */
  public static final String HTTP_PROTOBUF = "http/protobuf";

  public static final TracingConfig DEFAULTS =
      new TracingConfig(
          true, "parentbased_traceidratio", 1.0, "", HTTP_PROTOBUF, "", "courier", "");

  public TracingConfig {
    ConfigChecks checks =
        new ConfigChecks()
            .share("sampleRatio", sampleRatio)
            .url("otlpEndpoint", otlpEndpoint)
            .text("serviceName", serviceName);
    if (!SAMPLERS.contains(sampler)) {
      checks.invalid(
          "sampler", "is '" + sampler + "'; must be one of " + String.join(", ", SAMPLERS));
    }
    if (!HTTP_PROTOBUF.equals(otlpProtocol)) {
      checks.invalid(
          "otlpProtocol",
          "is '"
              + otlpProtocol
              + "'; this build exports OTLP over http/protobuf only (no gRPC or JSON exporter):"
              + " point the endpoint at the collector's OTLP/HTTP port, usually 4318");
    }
    pairs("otlpHeaders", otlpHeaders, checks);
    pairs("resourceAttributes", resourceAttributes, checks);
    checks.orThrow();
  }

  /** A disabled configuration, for a Vert.x built without tracing. */
  public static TracingConfig off() {
    return new TracingConfig(false, DEFAULTS.sampler, 0, "", HTTP_PROTOBUF, "", "courier", "");
  }

  /** {@link #otlpHeaders}, decoded, in order. */
  public Map<String, String> headers() {
    return pairs("otlpHeaders", otlpHeaders, new ConfigChecks());
  }

  /** {@link #resourceAttributes}, decoded, in order. */
  public Map<String, String> attributes() {
    return pairs("resourceAttributes", resourceAttributes, new ConfigChecks());
  }

  /**
   * Parses the W3C-baggage-like list OpenTelemetry uses for headers and resource attributes: {@code
   * key=value} pairs separated by commas, blanks around them ignored, values percent-decoded.
   */
  public static Map<String, String> pairs(String key, String text, ConfigChecks checks) {
    Map<String, String> pairs = new LinkedHashMap<>();
    if (text.isBlank()) {
      return pairs;
    }
    for (String item : text.split(",")) {
      if (item.isBlank()) {
        continue;
      }
      int eq = item.indexOf('=');
      String name = eq < 0 ? "" : item.substring(0, eq).trim();
      if (name.isEmpty()) {
        // The value is not echoed: a header can hold a credential.
        checks.invalid(key, "holds an entry that is not name=value; the list is name=value,...");
        continue;
      }
      try {
        // Percent-encoding only: a '+' is a plus, not a blank as in a form.
        String value = item.substring(eq + 1).trim().replace("+", "%2B");
        pairs.put(name, URLDecoder.decode(value, StandardCharsets.UTF_8));
      } catch (IllegalArgumentException e) {
        checks.invalid(key, "holds a badly percent-encoded value for '" + name + "'");
      }
    }
    return pairs;
  }
}
