package io.courier.runtime.tracing;

import io.courier.runtime.config.TracingConfig;
import io.opentelemetry.api.common.AttributeKey;
import io.opentelemetry.api.common.Attributes;
import io.opentelemetry.api.common.AttributesBuilder;
import io.opentelemetry.api.trace.propagation.W3CTraceContextPropagator;
import io.opentelemetry.context.Context;
import io.opentelemetry.context.propagation.ContextPropagators;
import io.opentelemetry.exporter.otlp.http.trace.OtlpHttpSpanExporter;
import io.opentelemetry.exporter.otlp.http.trace.OtlpHttpSpanExporterBuilder;
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
 * The OpenTelemetry SDK of a Courier process: W3C trace context, the configured sampler
 * (parent-based ratio by default), OTLP over HTTP when an endpoint is configured. Vert.x traces
 * HTTP (REST and gRPC, which rides on HTTP/2) and the event bus with it; {@link KafkaTracing}
 * carries the context through Kafka record headers.
 */
public final class CourierTracing {

  private static final List<SpanProcessor> EXTRA = new CopyOnWriteArrayList<>();

  private CourierTracing() {}

  /** The resource attribute naming the roles a process runs, e.g. {@code gateway,order-service}. */
  public static final AttributeKey<String> ROLES = AttributeKey.stringKey("courier.roles");

  private static final AttributeKey<String> SERVICE_NAME = AttributeKey.stringKey("service.name");
  private static final AttributeKey<String> SERVICE_INSTANCE =
      AttributeKey.stringKey("service.instance.id");

  /**
   * Adds tracing to a Vert.x about to be built, when enabled; the caller shuts the SDK down once
   * Vert.x is closed ({@link #shutdown}).
   *
   * @param instance this process, the {@code service.instance.id} resource attribute unless {@code
   *     config.resourceAttributes()} names one
   * @param roles the roles it runs, the {@code courier.roles} resource attribute
   */
  public static Optional<OpenTelemetrySdk> install(
      VertxOptions options,
      VertxBuilder builder,
      TracingConfig config,
      String instance,
      List<String> roles) {
    if (!config.enabled()) {
      return Optional.empty();
    }
    SdkTracerProviderBuilder tracer =
        SdkTracerProvider.builder()
            .setResource(resource(config, instance, roles))
            .setSampler(sampler(config))
            // First, so no other processor or exporter ever sees a credential in a URL.
            .addSpanProcessor(new UrlRedaction())
            .addSpanProcessor(new Extra());
    if (!config.otlpEndpoint().isBlank()) {
      OtlpHttpSpanExporterBuilder exporter =
          OtlpHttpSpanExporter.builder().setEndpoint(config.otlpEndpoint());
      config.headers().forEach(exporter::addHeader);
      tracer.addSpanProcessor(BatchSpanProcessor.builder(exporter.build()).build());
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

  /**
   * The SDK's defaults (telemetry.sdk.*), then this process ({@code service.instance.id}, {@code
   * courier.roles}), then {@code resourceAttributes}, then {@code service.name}.
   */
  static Resource resource(TracingConfig config, String instance, List<String> roles) {
    AttributesBuilder own = Attributes.builder().put(SERVICE_INSTANCE, instance);
    if (!roles.isEmpty()) {
      own.put(ROLES, String.join(",", roles));
    }
    AttributesBuilder given = Attributes.builder();
    config.attributes().forEach(given::put);
    return Resource.getDefault()
        .merge(Resource.create(own.build()))
        .merge(Resource.create(given.build()))
        .merge(Resource.create(Attributes.of(SERVICE_NAME, config.serviceName())));
  }

  /** The sampler {@code config.sampler()} names, ratio samplers at {@code sampleRatio}. */
  static Sampler sampler(TracingConfig config) {
    Sampler ratio = Sampler.traceIdRatioBased(config.sampleRatio());
    return switch (config.sampler()) {
      case "always_on" -> Sampler.alwaysOn();
      case "always_off" -> Sampler.alwaysOff();
      case "traceidratio" -> ratio;
      case "parentbased_always_on" -> Sampler.parentBased(Sampler.alwaysOn());
      case "parentbased_always_off" -> Sampler.parentBased(Sampler.alwaysOff());
      case "parentbased_traceidratio" -> Sampler.parentBased(ratio);
      default -> throw new IllegalArgumentException("unknown sampler " + config.sampler());
    };
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
