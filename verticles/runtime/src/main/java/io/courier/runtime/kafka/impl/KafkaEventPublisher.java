package io.courier.runtime.kafka.impl;

import io.courier.codec.Event;
import io.courier.codec.kafka.EventSerializer;
import io.courier.runtime.config.KafkaConfig;
import io.courier.runtime.impl.ContextBatches;
import io.courier.runtime.kafka.EventPublisher;
import io.courier.runtime.kafka.KafkaConnection;
import io.courier.runtime.kafka.KafkaObservability;
import io.courier.runtime.kafka.OverloadException;
import io.courier.runtime.metrics.PublisherMeters;
import io.courier.runtime.tracing.KafkaTracing;
import io.opentelemetry.api.trace.Span;
import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.DescribeClusterOptions;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.StringSerializer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The shared idempotent producer. {@code KafkaProducer.send} may block (metadata fetch, full
 * buffer), so it is called on one dedicated thread; the acknowledgement is handed back to the
 * caller's context.
 */
public final class KafkaEventPublisher implements EventPublisher.StandalonePublisher {

  private static final Logger LOG = LoggerFactory.getLogger(KafkaEventPublisher.class);
  private static final int READY_TIMEOUT_MS = 2_000;
  private static final long READY_CACHE_MS = 1_000;
  private static final long BUFFER_MEMORY_BYTES = 64L * 1024 * 1024;
  private static final int HEADER_ESTIMATE_BYTES = 512;

  /** Well under the producer's metadata.max.idle.ms (5 min), after which it forgets a topic. */
  private final Vertx vertx;

  private final KafkaProducer<String, Event<?>> producer;
  private final Admin admin;
  private final ExecutorService sender;
  private final AtomicInteger inFlight = new AtomicInteger();
  private final AtomicLong inFlightBytes = new AtomicLong();
  private final PublisherMeters meters;
  private final KafkaTracing tracing;
  private final int maxInFlight;
  private final long maxInFlightBytes = BUFFER_MEMORY_BYTES / 2;
  private final AtomicReference<Future<Void>> readyCheck = new AtomicReference<>();

  /** Acknowledgements go back to their callers' contexts a burst at a time, not one task each. */
  private final ContextBatches completions = new ContextBatches();

  private volatile long lastReadyNanos = System.nanoTime() - TimeUnit.HOURS.toNanos(1);

  private KafkaEventPublisher(
      Vertx vertx,
      KafkaConnection kafka,
      KafkaConfig.ProducerConfig c,
      KafkaObservability observability) {
    this.vertx = vertx;
    this.tracing = observability.tracing();
    this.maxInFlight = c.maxInFlight();
    Map<String, Object> props = new HashMap<>(kafka.properties());
    props.put(ProducerConfig.ACKS_CONFIG, "all");
    props.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, true);
    props.put(ProducerConfig.LINGER_MS_CONFIG, c.lingerMs());
    props.put(ProducerConfig.DELIVERY_TIMEOUT_MS_CONFIG, c.deliveryTimeoutMs());
    props.put(
        ProducerConfig.REQUEST_TIMEOUT_MS_CONFIG,
        Math.min(30_000, c.deliveryTimeoutMs() - c.lingerMs()));
    props.put(ProducerConfig.MAX_BLOCK_MS_CONFIG, c.deliveryTimeoutMs());
    props.put(ProducerConfig.MAX_REQUEST_SIZE_CONFIG, c.maxRequestSizeBytes());
    props.put(ProducerConfig.CLIENT_ID_CONFIG, "courier-publisher");
    props.put(ProducerConfig.BUFFER_MEMORY_CONFIG, BUFFER_MEMORY_BYTES);
    props.put(ProducerConfig.BATCH_SIZE_CONFIG, c.batchSizeBytes());
    this.producer = new KafkaProducer<>(props, new StringSerializer(), new EventSerializer());
    Map<String, Object> adminProps = new HashMap<>(kafka.properties());
    adminProps.put(AdminClientConfig.CLIENT_ID_CONFIG, "courier-readiness");
    adminProps.put(AdminClientConfig.REQUEST_TIMEOUT_MS_CONFIG, READY_TIMEOUT_MS);
    adminProps.put(AdminClientConfig.DEFAULT_API_TIMEOUT_MS_CONFIG, READY_TIMEOUT_MS);
    this.admin = Admin.create(adminProps);
    this.meters = new PublisherMeters(observability.meters(), producer, inFlight::get);
    this.sender =
        Executors.newSingleThreadExecutor(
            runnable -> {
              Thread thread = new Thread(runnable, "courier-kafka-publisher");
              thread.setDaemon(true);
              return thread;
            });
  }

  /**
   * Creates the publisher on a worker thread: constructing a {@code KafkaProducer} does I/O-bound
   * work (DNS, class loading) that has no place on an event loop.
   */
  public static Future<KafkaEventPublisher> create(
      Vertx vertx,
      KafkaConnection kafka,
      KafkaConfig.ProducerConfig config,
      KafkaObservability observability) {
    return vertx.executeBlocking(
        () -> new KafkaEventPublisher(vertx, kafka, config, observability));
  }

  /** As above, over PLAINTEXT to {@code bootstrapServers}. */
  public static Future<KafkaEventPublisher> create(
      Vertx vertx,
      String bootstrapServers,
      KafkaConfig.ProducerConfig config,
      KafkaObservability observability) {
    return create(vertx, KafkaConnection.plaintext(bootstrapServers), config, observability);
  }

  @Override
  public Future<Published> publish(String topic, Event<?> event) {
    if (inFlight.incrementAndGet() > maxInFlight) {
      inFlight.decrementAndGet();
      meters.overloaded();
      return Future.failedFuture(
          new OverloadException(
              "Kafka publisher has "
                  + maxInFlight
                  + " events in flight (kafka.producer.maxInFlight)"));
    }
    long bytes = event.data().getSerializedSize() + HEADER_ESTIMATE_BYTES;
    if (inFlightBytes.addAndGet(bytes) > maxInFlightBytes) {
      inFlightBytes.addAndGet(-bytes);
      inFlight.decrementAndGet();
      meters.overloaded();
      return Future.failedFuture(
          new OverloadException(
              "Kafka publisher has " + maxInFlightBytes + " bytes in flight (half its buffer)"));
    }
    Context context = vertx.getOrCreateContext();
    Promise<Published> promise = Promise.promise();
    ProducerRecord<String, Event<?>> record = new ProducerRecord<>(topic, event.subject(), event);
    Span span = tracing.produce(topic, record.headers());
    // KafkaProducer.send() waits for the topic's metadata whenever the producer does not hold it,
    // and it can lose it at any time (a broker restart, a leader election): never call it on an
    // event loop. A recent successful send is no proof; the chaos suite saw send() block an event
    // loop for 9 s right after the broker came back.
    try {
      sender.execute(() -> send(record, context, promise, bytes));
    } catch (RejectedExecutionException e) {
      settle(bytes);
      promise.fail(new IllegalStateException("the Kafka publisher is closed", e));
    }
    long start = System.nanoTime();
    return promise
        .future()
        .andThen(
            ar -> {
              meters.finished(topic, start, ar.succeeded());
              KafkaTracing.end(span, ar.cause());
            });
  }

  private void send(
      ProducerRecord<String, Event<?>> record,
      Context context,
      Promise<Published> promise,
      long bytes) {
    try {
      producer.send(
          record,
          (metadata, error) -> {
            settle(bytes);
            completions.run(
                context,
                () -> {
                  if (error != null) {
                    promise.fail(error);
                  } else {
                    promise.complete(
                        new Published(metadata.topic(), metadata.partition(), metadata.offset()));
                  }
                });
          });
    } catch (RuntimeException e) {
      settle(bytes);
      context.runOnContext(v -> promise.fail(e));
    }
  }

  private void settle(long bytes) {
    inFlight.decrementAndGet();
    inFlightBytes.addAndGet(-bytes);
  }

  @Override
  public Future<Void> checkReady() {
    if (System.nanoTime() - lastReadyNanos < TimeUnit.MILLISECONDS.toNanos(READY_CACHE_MS)) {
      return Future.succeededFuture();
    }
    Promise<Void> mine = Promise.promise();
    Future<Void> current = readyCheck.compareAndExchange(null, mine.future());
    if (current != null) {
      return current;
    }
    Future.fromCompletionStage(
            admin
                .describeCluster(new DescribeClusterOptions().timeoutMs(READY_TIMEOUT_MS))
                .nodes()
                .toCompletionStage(),
            vertx.getOrCreateContext())
        .<Void>compose(
            nodes ->
                nodes.isEmpty()
                    ? Future.failedFuture("Kafka cluster reports no brokers")
                    : Future.succeededFuture())
        .onSuccess(v -> lastReadyNanos = System.nanoTime())
        .onComplete(
            ar -> {
              readyCheck.set(null);
              mine.handle(ar);
            });
    return mine.future();
  }

  /** Flushes what is in flight and closes, within the timeout, on a worker thread. */
  @Override
  public Future<Void> close(Duration timeout) {
    return vertx.executeBlocking(
        () -> {
          sender.shutdown();
          if (!sender.awaitTermination(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
            LOG.warn("Kafka publisher thread still busy after {}", timeout);
          }
          meters.close();
          producer.close(timeout);
          admin.close(timeout);
          return null;
        });
  }
}
