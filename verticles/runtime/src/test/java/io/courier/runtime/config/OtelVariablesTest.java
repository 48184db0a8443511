package io.courier.runtime.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * The standard {@code OTEL_*} variables as the loader reads them: what each sets, which one of a
 * pair wins, that Courier's own settings beat them, and that a bad value names its variable.
 */
@DisplayName("The OTEL_* variables")
class OtelVariablesTest {

  private static TracingConfig tracing(Map<String, String> env) {
    return tracing(env, Map.of());
  }

  private static TracingConfig tracing(Map<String, String> env, Map<String, String> properties) {
    Map<String, String> all = new HashMap<>(env);
    all.put("COURIER_KAFKA_BOOTSTRAP_SERVERS", "127.0.0.1:9092");
    return new ConfigLoader(all, properties, Map.of("gateway", List.of()), List.of("gateway"))
        .load(null)
        .tracing();
  }

  @Test
  @DisplayName("leave the built-in defaults alone when none is set")
  void shouldKeepDefaultsWithoutVariables() {
    assertThat(tracing(Map.of())).isEqualTo(TracingConfig.DEFAULTS);
  }

  @Test
  @DisplayName("set the service, resource, sampler, endpoint, headers and protocol")
  void shouldSetEveryTracingKey() {
    TracingConfig config =
        tracing(
            Map.of(
                "OTEL_SERVICE_NAME", "orders",
                "OTEL_RESOURCE_ATTRIBUTES", "deployment.environment=prod,team=pay%20ments",
                "OTEL_TRACES_SAMPLER", "traceidratio",
                "OTEL_TRACES_SAMPLER_ARG", "0.25",
                "OTEL_EXPORTER_OTLP_ENDPOINT", "http://collector:4318/",
                "OTEL_EXPORTER_OTLP_HEADERS", "api-key=s3cr3t+1,x-tenant=a",
                "OTEL_EXPORTER_OTLP_PROTOCOL", "http/protobuf"));

    assertThat(config.enabled()).isTrue();
    assertThat(config.serviceName()).isEqualTo("orders");
    assertThat(config.attributes())
        .containsExactly(
            Map.entry("deployment.environment", "prod"), Map.entry("team", "pay ments"));
    assertThat(config.sampler()).isEqualTo("traceidratio");
    assertThat(config.sampleRatio()).isEqualTo(0.25);
    assertThat(config.otlpEndpoint()).isEqualTo("http://collector:4318/v1/traces");
    assertThat(config.headers())
        .containsExactly(Map.entry("api-key", "s3cr3t+1"), Map.entry("x-tenant", "a"));
  }

  @Test
  @DisplayName("take the traces endpoint as it is, and the traces headers and protocol first")
  void shouldPreferTheTracesVariables() {
    TracingConfig config =
        tracing(
            Map.of(
                "OTEL_EXPORTER_OTLP_ENDPOINT", "http://collector:4318",
                "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT", "http://traces:9999/custom",
                "OTEL_EXPORTER_OTLP_HEADERS", "a=1",
                "OTEL_EXPORTER_OTLP_TRACES_HEADERS", "b=2",
                "OTEL_EXPORTER_OTLP_PROTOCOL", "grpc",
                "OTEL_EXPORTER_OTLP_TRACES_PROTOCOL", "http/protobuf"));

    assertThat(config.otlpEndpoint()).isEqualTo("http://traces:9999/custom");
    assertThat(config.headers()).containsExactly(Map.entry("b", "2"));
    assertThat(config.otlpProtocol()).isEqualTo("http/protobuf");
  }

  @Test
  @DisplayName("take service.name from the resource attributes when OTEL_SERVICE_NAME is unset")
  void shouldTakeServiceNameFromResourceAttributes() {
    assertThat(tracing(Map.of("OTEL_RESOURCE_ATTRIBUTES", "service.name=stock")).serviceName())
        .isEqualTo("stock");
    assertThat(
            tracing(
                    Map.of(
                        "OTEL_RESOURCE_ATTRIBUTES", "service.name=stock",
                        "OTEL_SERVICE_NAME", "inventory"))
                .serviceName())
        .isEqualTo("inventory");
  }

  @Test
  @DisplayName("turn tracing off with OTEL_SDK_DISABLED=true, and keep it on with false")
  void shouldDisableTheSdk() {
    assertThat(tracing(Map.of("OTEL_SDK_DISABLED", "TRUE")).enabled()).isFalse();
    assertThat(tracing(Map.of("OTEL_SDK_DISABLED", "false")).enabled()).isTrue();
    assertThat(tracing(Map.of("OTEL_SDK_DISABLED", "")).enabled()).isTrue();
  }

  @Test
  @DisplayName("lose to the file, COURIER_* variables and properties, which are explicit")
  void shouldLoseToCourierSettings() {
    TracingConfig config =
        tracing(
            Map.of(
                "OTEL_SERVICE_NAME", "from-otel",
                "COURIER_TRACING_SERVICE_NAME", "from-courier",
                "OTEL_SDK_DISABLED", "true",
                "OTEL_EXPORTER_OTLP_ENDPOINT", "http://otel:4318"),
            Map.of(
                "courier.tracing.enabled", "true",
                "courier.tracing.otlpEndpoint", "http://prop:4318/v1/traces"));

    assertThat(config.serviceName()).isEqualTo("from-courier");
    assertThat(config.enabled()).isTrue();
    assertThat(config.otlpEndpoint()).isEqualTo("http://prop:4318/v1/traces");
  }

  @ParameterizedTest(name = "{0}={1}")
  @CsvSource(
      delimiter = '|',
      value = {
        "OTEL_SDK_DISABLED | maybe | must be true or false",
        "OTEL_TRACES_SAMPLER | sometimes | must be one of always_on, always_off",
        "OTEL_TRACES_SAMPLER_ARG | half | must be a number",
        "OTEL_TRACES_SAMPLER_ARG | 1.5 | must be between 0 and 1",
        "OTEL_EXPORTER_OTLP_ENDPOINT | collector:4318 | not an http(s) URL",
        "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT | ftp://collector/v1/traces | not an http(s) URL",
        "OTEL_EXPORTER_OTLP_PROTOCOL | grpc | http/protobuf only",
        "OTEL_EXPORTER_OTLP_TRACES_PROTOCOL | http/json | http/protobuf only",
        "OTEL_EXPORTER_OTLP_HEADERS | just-a-token | not name=value",
        "OTEL_RESOURCE_ATTRIBUTES | =nameless | not name=value",
        "OTEL_RESOURCE_ATTRIBUTES | team=%zz | badly percent-encoded",
      })
  @DisplayName("refuse a bad value with a message naming the variable")
  void shouldNameTheVariableOfABadValue(String variable, String value, String says) {
    assertThatThrownBy(() -> tracing(Map.of(variable, value)))
        .isInstanceOf(ConfigException.class)
        .hasMessageContaining("environment variable " + variable)
        .hasMessageContaining(says);
  }

  @Test
  @DisplayName("never echo a header value in a message or the printed configuration")
  void shouldKeepHeadersSecret() {
    assertThatThrownBy(() -> tracing(Map.of("OTEL_EXPORTER_OTLP_HEADERS", "k=v,s3cr3t")))
        .isInstanceOf(ConfigException.class)
        .hasMessageNotContaining("s3cr3t");
    Map<String, String> env =
        Map.of(
            "OTEL_EXPORTER_OTLP_HEADERS",
            "api-key=s3cr3t",
            "COURIER_KAFKA_BOOTSTRAP_SERVERS",
            "127.0.0.1:9092");
    ConfigLoader loader =
        new ConfigLoader(env, Map.of(), Map.of("gateway", List.of()), List.of("gateway"));
    assertThat(loader.toJson(loader.load(null)).toString())
        .doesNotContain("s3cr3t")
        .contains("\"otlpHeaders\":\"(set)\"");
  }
}
