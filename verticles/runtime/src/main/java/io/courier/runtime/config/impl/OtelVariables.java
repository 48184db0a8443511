package io.courier.runtime.config.impl;

import io.courier.runtime.config.ConfigChecks;
import io.courier.runtime.config.TracingConfig;
import java.util.Locale;
import java.util.Map;

/**
 * The standard OpenTelemetry SDK variables, as the last layer of the configuration: each sets its
 * {@code tracing.*} key only when no other layer (file, {@code COURIER_*} variable, property,
 * option) did, so Courier's own settings win and {@code OTEL_*} beats only the built-in defaults.
 * An empty variable counts as unset, as the OpenTelemetry specification says.
 */
public final class OtelVariables {

  static final String SDK_DISABLED = "OTEL_SDK_DISABLED";
  static final String SERVICE_NAME = "OTEL_SERVICE_NAME";
  static final String RESOURCE_ATTRIBUTES = "OTEL_RESOURCE_ATTRIBUTES";
  static final String ENDPOINT = "OTEL_EXPORTER_OTLP_ENDPOINT";
  static final String TRACES_ENDPOINT = "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT";
  static final String HEADERS = "OTEL_EXPORTER_OTLP_HEADERS";
  static final String TRACES_HEADERS = "OTEL_EXPORTER_OTLP_TRACES_HEADERS";
  static final String PROTOCOL = "OTEL_EXPORTER_OTLP_PROTOCOL";
  static final String TRACES_PROTOCOL = "OTEL_EXPORTER_OTLP_TRACES_PROTOCOL";
  static final String SAMPLER = "OTEL_TRACES_SAMPLER";
  static final String SAMPLER_ARG = "OTEL_TRACES_SAMPLER_ARG";

  /** Where the OTLP/HTTP traces path goes on a base endpoint. */
  static final String TRACES_PATH = "/v1/traces";

  private OtelVariables() {}

  /** Applies the {@code OTEL_*} variables of {@code environment} to the keys no layer set. */
  public static void apply(ConfigTree tree, Map<String, String> environment) {
    Layer layer = new Layer(tree, environment);
    String disabled = layer.value(SDK_DISABLED);
    if (disabled != null) {
      switch (disabled.toLowerCase(Locale.ROOT)) {
        case "true" -> layer.set("tracing.enabled", "false", SDK_DISABLED);
        case "false" -> {}
        default ->
            tree.problems()
                .add(
                    "environment variable "
                        + SDK_DISABLED
                        + " must be true or false, was '"
                        + disabled
                        + "'");
      }
    }
    layer.copy(SAMPLER, "tracing.sampler");
    layer.copy(SAMPLER_ARG, "tracing.sampleRatio");
    layer.copy(RESOURCE_ATTRIBUTES, "tracing.resourceAttributes");
    if (layer.value(SERVICE_NAME) != null) {
      layer.copy(SERVICE_NAME, "tracing.serviceName");
    } else if (layer.value(RESOURCE_ATTRIBUTES) != null) {
      // Bad entries are reported for tracing.resourceAttributes, which holds the same text.
      String named =
          TracingConfig.pairs(
                  "resourceAttributes", layer.value(RESOURCE_ATTRIBUTES), new ConfigChecks())
              .get("service.name");
      if (named != null && !named.isBlank()) {
        layer.set("tracing.serviceName", named, RESOURCE_ATTRIBUTES);
      }
    }
    if (layer.value(TRACES_ENDPOINT) != null) {
      layer.copy(TRACES_ENDPOINT, "tracing.otlpEndpoint");
    } else if (layer.value(ENDPOINT) != null) {
      String base = layer.value(ENDPOINT);
      while (base.endsWith("/")) {
        base = base.substring(0, base.length() - 1);
      }
      layer.set("tracing.otlpEndpoint", base + TRACES_PATH, ENDPOINT);
    }
    layer.copy(
        layer.value(TRACES_HEADERS) != null ? TRACES_HEADERS : HEADERS, "tracing.otlpHeaders");
    layer.copy(
        layer.value(TRACES_PROTOCOL) != null ? TRACES_PROTOCOL : PROTOCOL, "tracing.otlpProtocol");
  }

  private record Layer(ConfigTree tree, Map<String, String> environment) {

    /** The variable's value, trimmed; null when unset or empty. */
    String value(String variable) {
      String value = environment.get(variable);
      return value == null || value.isBlank() ? null : value.trim();
    }

    void copy(String variable, String path) {
      String value = value(variable);
      if (value != null) {
        set(path, value, variable);
      }
    }

    void set(String path, String value, String variable) {
      if (!tree.origins().containsKey(path)) {
        tree.applyText(path, value, "environment variable " + variable);
      }
    }
  }
}
