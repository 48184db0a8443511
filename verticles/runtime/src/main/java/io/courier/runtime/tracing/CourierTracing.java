package io.courier.runtime.tracing;

import io.courier.runtime.config.TracingConfig;
import io.opentelemetry.api.common.AttributeKey;
import io.opentelemetry.api.common.Attributes;
import io.opentelemetry.api.trace.propagation.W3CTraceContextPropagator;
import io.opentelemetry.context.Context;
import io.opentelemetry.context.propagation.ContextPropagators;
import io.opentelemetry.exporter.otlp.http.trace.OtlpHttpSpanExporter;
import io.opentelemetry.sdk.OpenTelemetrySdk;
import io.opentelemetry.sdk.common.CompletableResultCode;
import io.opentelemetry.sdk.resources.Resource;
import io.opentelemetry.sdk.trace.ReadWriteSpan;
import io.opentelemetry.sdk.trace.ReadableSpan;
import io.opentelemetry.sdk.trace.SdkTracerProvider;
import io.opentelemetry.sdk.trace.SdkTracerProviderBuilder;
import io.opentelemetry.sdk.trace.SpanProcessor;
import io.opentelemetry.sdk.trace.export.BatchSpanProcessor;
import io.opentelemetry.sdk.trace.samplers.Sampler;
import io.vertx.core.VertxBuilder;
import io.vertx.core.VertxOptions;
import io.vertx.tracing.opentelemetry.OpenTelemetryOptions;
import io.vertx.tracing.opentelemetry.OpenTelemetryTracingFactory;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;

/**
 * The OpenTelemetry SDK of a Courier process: W3C trace context, a parent-based ratio sampler, OTLP
 * over HTTP when an endpoint is configured. Vert.x traces HTTP (REST and gRPC, which rides on
 * HTTP/2) and the event bus with it; {@link KafkaTracing} carries the context through Kafka record
 * headers.
 */
public final class CourierTracing {

  private static final List<SpanProcessor> EXTRA = new CopyOnWriteArrayList<>();

  private CourierTracing() {}

  /**
   * Adds tracing to a Vert.x about to be built, when enabled; the caller shuts the SDK down once
   * Vert.x is closed ({@link #shutdown}).
   */
  public static Optional<OpenTelemetrySdk> install(
      VertxOptions options, VertxBuilder builder, TracingConfig config, String instance) {
    if (!config.enabled()) {
      return Optional.empty();
    }
    SdkTracerProviderBuilder tracer =
        SdkTracerProvider.builder()
            .setResource(
                Resource.getDefault()
                    .merge(
                        Resource.create(
                            Attributes.of(
                                AttributeKey.stringKey("service.name"),
                                config.serviceName(),
                                AttributeKey.stringKey("service.instance.id"),
                                instance))))
            .setSampler(Sampler.parentBased(Sampler.traceIdRatioBased(config.sampleRatio())))
            // First, so no other processor or exporter ever sees a credential in a URL.
            .addSpanProcessor(new UrlRedaction())
            .addSpanProcessor(new Extra());
    if (!config.otlpEndpoint().isBlank()) {
      tracer.addSpanProcessor(
          BatchSpanProcessor.builder(
                  OtlpHttpSpanExporter.builder().setEndpoint(config.otlpEndpoint()).build())
              .build());
    }
    OpenTelemetrySdk sdk =
        OpenTelemetrySdk.builder()
            .setTracerProvider(tracer.build())
            .setPropagators(ContextPropagators.create(W3CTraceContextPropagator.getInstance()))
            .build();
    options.setTracingOptions(new OpenTelemetryOptions());
    builder.withTracer(new OpenTelemetryTracingFactory(sdk));
    return Optional.of(sdk);
  }

  /** Flushes what is still buffered and stops the SDK, waiting up to five seconds. */
  public static void shutdown(OpenTelemetrySdk sdk) {
    sdk.getSdkTracerProvider().shutdown().join(5, TimeUnit.SECONDS);
  }

  /**
   * Also hands every span of processes started from now on to {@code processor}, e.g. an in-memory
   * exporter in a test. {@link #removeSpanProcessor} undoes it.
   */
  public static void addSpanProcessor(SpanProcessor processor) {
    EXTRA.add(processor);
  }

  public static void removeSpanProcessor(SpanProcessor processor) {
    EXTRA.remove(processor);
  }

  /** Forwards to the processors added with {@link #addSpanProcessor}, whenever they were added. */
  private static final class Extra implements SpanProcessor {
    @Override
    public void onStart(Context parentContext, ReadWriteSpan span) {
      EXTRA.forEach(p -> p.onStart(parentContext, span));
    }

    @Override
    public boolean isStartRequired() {
      return true;
    }

    @Override
    public void onEnd(ReadableSpan span) {
      EXTRA.forEach(p -> p.onEnd(span));
    }

    @Override
    public boolean isEndRequired() {
      return true;
    }

    @Override
    public CompletableResultCode shutdown() {
      return CompletableResultCode.ofSuccess();
    }
  }
}
