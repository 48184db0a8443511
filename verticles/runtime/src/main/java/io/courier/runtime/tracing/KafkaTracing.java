package io.courier.runtime.tracing;

import io.opentelemetry.api.OpenTelemetry;
import io.opentelemetry.api.trace.Span;
import io.opentelemetry.api.trace.SpanContext;
import io.opentelemetry.api.trace.SpanKind;
import io.opentelemetry.api.trace.StatusCode;
import io.opentelemetry.api.trace.Tracer;
import io.opentelemetry.context.Context;
import io.opentelemetry.context.propagation.TextMapGetter;
import io.opentelemetry.context.propagation.TextMapSetter;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.internal.ContextInternal;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Supplier;
import org.apache.kafka.common.header.Header;
import org.apache.kafka.common.header.Headers;

/**
 * Trace context through Kafka: the publisher opens a PRODUCER span under whatever is current and
 * writes {@code traceparent} into the record's headers; the consumer opens a CONSUMER span that is
 * the child of, and linked to, that producer span, and runs the handler on a duplicated Vert.x
 * context where that span is current, so what the handler calls (event bus, gRPC, HTTP, Kafka)
 * stays in the same trace.
 */
public final class KafkaTracing {

  private static final String SCOPE = "io.courier.kafka";

  private static final TextMapSetter<Headers> SETTER =
      (headers, key, value) -> {
        headers.remove(key);
        headers.add(key, value.getBytes(StandardCharsets.UTF_8));
      };

  private static final TextMapGetter<Headers> GETTER =
      new TextMapGetter<>() {
        @Override
        public Iterable<String> keys(Headers headers) {
          List<String> keys = new ArrayList<>();
          for (Header header : headers) {
            keys.add(header.key());
          }
          return keys;
        }

        @Override
        public String get(Headers headers, String key) {
          if (headers == null) {
            return null;
          }
          Header header = headers.lastHeader(key);
          return header == null || header.value() == null
              ? null
              : new String(header.value(), StandardCharsets.UTF_8);
        }
      };

  private static final KafkaTracing NONE = new KafkaTracing(null);

  /** Null when tracing is off. */
  private final OpenTelemetry otel;

  private KafkaTracing(OpenTelemetry otel) {
    this.otel = otel;
  }

  /** Tracing through {@code otel}'s propagators and tracers. */
  public static KafkaTracing of(OpenTelemetry otel) {
    return new KafkaTracing(otel);
  }

  /** No spans and no headers: tracing is off. */
  public static KafkaTracing none() {
    return NONE;
  }

  /**
   * Starts the PRODUCER span of a record about to be sent and writes its context into the headers;
   * end it with {@link #end} when the brokers answer. Without tracing, returns an invalid span and
   * writes nothing.
   */
  public Span produce(String topic, Headers headers) {
    if (otel == null) {
      return Span.getInvalid();
    }
    Tracer tracer = otel.getTracer(SCOPE);
    Span span =
        tracer
            .spanBuilder(topic + " publish")
            .setSpanKind(SpanKind.PRODUCER)
            .setParent(Context.current())
            .setAttribute("messaging.system", "kafka")
            .setAttribute("messaging.destination.name", topic)
            .setAttribute("messaging.operation.type", "publish")
            .startSpan();
    otel.getPropagators()
        .getTextMapPropagator()
        .inject(Context.current().with(span), headers, SETTER);
    return span;
  }

  /** Ends a span, marking it failed when {@code failure} is not null. */
  public static void end(Span span, Throwable failure) {
    if (failure != null) {
      span.recordException(failure);
      span.setStatus(StatusCode.ERROR, String.valueOf(failure.getMessage()));
    }
    span.end();
  }

  /**
   * Runs {@code handling} (the handler's work for one record) in the record's trace: a CONSUMER
   * span, child of and linked to the producer's span, current on a duplicated context of the
   * caller's.
   */
  public Future<Void> consume(
      String topic, String group, Headers headers, Supplier<Future<Void>> handling) {
    ContextInternal current = ContextInternal.current();
    if (otel == null || current == null) {
      return handling.get();
    }
    Context parent =
        otel.getPropagators().getTextMapPropagator().extract(Context.root(), headers, GETTER);
    SpanContext producer = Span.fromContext(parent).getSpanContext();
    var builder =
        otel.getTracer(SCOPE)
            .spanBuilder(topic + " process")
            .setSpanKind(SpanKind.CONSUMER)
            .setParent(parent)
            .setAttribute("messaging.system", "kafka")
            .setAttribute("messaging.destination.name", topic)
            .setAttribute("messaging.consumer.group.name", group)
            .setAttribute("messaging.operation.type", "process");
    if (producer.isValid()) {
      builder.addLink(producer);
    }
    Span span = builder.startSpan();
    Promise<Void> result = Promise.promise();
    ContextInternal duplicate = current.duplicate();
    duplicate.runOnContext(
        v -> {
          // The duplicated context belongs to this record alone: the span stays current for every
          // callback of the handler's work, and goes with the context.
          parent.with(span).makeCurrent();
          Future<Void> handled;
          try {
            handled = handling.get();
          } catch (RuntimeException e) {
            handled = Future.failedFuture(e);
          }
          handled.onComplete(
              ar -> {
                end(span, ar.failed() ? ar.cause() : null);
                result.handle(ar);
              });
        });
    return result.future();
  }
}
