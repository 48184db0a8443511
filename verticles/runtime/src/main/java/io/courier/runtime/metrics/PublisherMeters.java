package io.courier.runtime.metrics;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import io.micrometer.core.instrument.binder.kafka.KafkaClientMetrics;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;
import org.apache.kafka.clients.producer.Producer;

/**
 * The Kafka publisher's meters: acknowledgement latency per topic and outcome, refusals for
 * overload, events in flight, and the producer client's own metrics (Micrometer's Kafka binder).
 */
public final class PublisherMeters {

  private final MeterRegistry registry;
  private final Map<String, Timer> acked = new ConcurrentHashMap<>();
  private final Map<String, Timer> failed = new ConcurrentHashMap<>();
  private final Counter overloaded;
  private final KafkaClientMetrics client;

  public PublisherMeters(Meters meters, Producer<?, ?> producer, Supplier<Number> inFlight) {
    this.registry = meters.registry();
    this.overloaded =
        Counter.builder("courier.kafka.publish.overloaded")
            .description("Events refused at once because the publisher's in-flight bound was hit")
            .register(registry);
    Gauge.builder("courier.kafka.publish.in.flight", inFlight, s -> s.get().doubleValue())
        .description("Events sent and not yet acknowledged")
        .register(registry);
    // The binder runs a refresh thread of its own: only where the meters are scraped.
    this.client = meters.enabled() ? new KafkaClientMetrics(producer) : null;
    if (client != null) {
      client.bindTo(registry);
    }
  }

  public void overloaded() {
    overloaded.increment();
  }

  /** An event's send ended: acknowledged by the brokers or failed. */
  public void finished(String topic, long startNanos, boolean success) {
    Map<String, Timer> timers = success ? acked : failed;
    timers
        .computeIfAbsent(
            topic,
            t ->
                Timer.builder("courier.kafka.publish")
                    .description("From publish() to the brokers' acknowledgement (acks=all)")
                    .tags("topic", t, "outcome", success ? "acked" : "failed")
                    .register(registry))
        .record(System.nanoTime() - startNanos, TimeUnit.NANOSECONDS);
  }

  public void close() {
    if (client != null) {
      client.close();
    }
  }
}
