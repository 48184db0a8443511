package io.courier.runtime.tracing;

import static org.assertj.core.api.Assertions.assertThat;

import io.courier.runtime.config.TracingConfig;
import io.opentelemetry.api.common.AttributeKey;
import io.opentelemetry.api.common.Attributes;
import io.opentelemetry.api.trace.SpanKind;
import io.opentelemetry.api.trace.TraceFlags;
import io.opentelemetry.api.trace.TraceState;
import io.opentelemetry.context.Context;
import io.opentelemetry.sdk.resources.Resource;
import io.opentelemetry.sdk.trace.samplers.Sampler;
import io.opentelemetry.sdk.trace.samplers.SamplingDecision;
import java.util.List;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** The resource and sampler a process traces with, built from its tracing configuration. */
@DisplayName("Courier's tracing set-up")
class CourierTracingTest {

  private static final String TRACE_ID = "4bf92f3577b34da6a3ce929d0e0e4736";

  private static TracingConfig config(String sampler, double ratio, String attributes) {
    TracingConfig d = TracingConfig.DEFAULTS;
    return new TracingConfig(true, sampler, ratio, "", d.otlpProtocol(), "", "orders", attributes);
  }

  @Test
  @DisplayName("names the service, the instance and the roles in the resource")
  void shouldDescribeTheProcessInTheResource() {
    Resource resource =
        CourierTracing.resource(
            config("always_on", 1, "deployment.environment=prod,service.name=ignored"),
            "10.0.0.7/42",
            List.of("order-service", "payment-service"));

    Attributes attributes = resource.getAttributes();
    assertThat(attributes.get(AttributeKey.stringKey("service.name"))).isEqualTo("orders");
    assertThat(attributes.get(AttributeKey.stringKey("service.instance.id")))
        .isEqualTo("10.0.0.7/42");
    assertThat(attributes.get(CourierTracing.ROLES)).isEqualTo("order-service,payment-service");
    assertThat(attributes.get(AttributeKey.stringKey("deployment.environment"))).isEqualTo("prod");
    assertThat(attributes.get(AttributeKey.stringKey("telemetry.sdk.language"))).isEqualTo("java");
  }

  @Test
  @DisplayName("lets the resource attributes name the instance")
  void shouldLetResourceAttributesNameTheInstance() {
    Resource resource =
        CourierTracing.resource(
            config("always_on", 1, "service.instance.id=pod-7"), "10.0.0.7/42", List.of());

    assertThat(resource.getAttributes().get(AttributeKey.stringKey("service.instance.id")))
        .isEqualTo("pod-7");
    assertThat(resource.getAttributes().get(CourierTracing.ROLES)).isNull();
  }

  @ParameterizedTest(name = "{0} at {1}: {2} without a parent")
  @CsvSource({
    "always_on, 0, RECORD_AND_SAMPLE",
    "always_off, 1, DROP",
    "traceidratio, 0, DROP",
    "traceidratio, 1, RECORD_AND_SAMPLE",
    "parentbased_always_on, 0, RECORD_AND_SAMPLE",
    "parentbased_always_off, 1, DROP",
    "parentbased_traceidratio, 1, RECORD_AND_SAMPLE",
    "parentbased_traceidratio, 0, DROP",
  })
  @DisplayName("samples a new trace as the sampler says")
  void shouldSampleANewTraceAsConfigured(String name, double ratio, SamplingDecision expected) {
    Sampler sampler = CourierTracing.sampler(config(name, ratio, ""));

    assertThat(decide(sampler, Context.root())).isEqualTo(expected);
  }

  @Test
  @DisplayName("keeps a sampled caller's decision with a parent-based sampler only")
  void shouldFollowASampledParentWhenParentBased() {
    Context sampledParent =
        Context.root()
            .with(
                io.opentelemetry.api.trace.Span.wrap(
                    io.opentelemetry.api.trace.SpanContext.createFromRemoteParent(
                        TRACE_ID,
                        "00f067aa0ba902b7",
                        TraceFlags.getSampled(),
                        TraceState.getDefault())));

    assertThat(
            decide(CourierTracing.sampler(config("parentbased_always_off", 0, "")), sampledParent))
        .isEqualTo(SamplingDecision.RECORD_AND_SAMPLE);
    assertThat(decide(CourierTracing.sampler(config("always_off", 0, "")), sampledParent))
        .isEqualTo(SamplingDecision.DROP);
  }

  private static SamplingDecision decide(Sampler sampler, Context parent) {
    return sampler
        .shouldSample(parent, TRACE_ID, "GET /", SpanKind.SERVER, Attributes.empty(), List.of())
        .getDecision();
  }
}
