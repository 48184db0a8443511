package io.courier.runtime.kafka.impl;

import io.courier.codec.Event;
import io.courier.codec.kafka.EventSerializer;
import io.courier.runtime.config.CourierConfig;
import io.courier.runtime.kafka.EventPublisher;
import io.courier.runtime.kafka.OverloadException;
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
public final class KafkaEventPublisher implements EventPublisher {

  private static final Logger LOG = LoggerFactory.getLogger(KafkaEventPublisher.class);
  private static final int READY_TIMEOUT_MS = 2_000;
  private static final long READY_CACHE_MS = 1_000;

  private final Vertx vertx;
  private final KafkaProducer<String, Event<?>> producer;
  private final Admin admin;
  private final ExecutorService sender;
  private final AtomicInteger inFlight = new AtomicInteger();
  private final int maxInFlight;
  private final AtomicReference<Future<Void>> readyCheck = new AtomicReference<>();
  private volatile long lastReadyNanos = System.nanoTime() - TimeUnit.HOURS.toNanos(1);

  private KafkaEventPublisher(
      Vertx vertx, String bootstrapServers, CourierConfig.ProducerConfig c) {
    this.vertx = vertx;
    this.maxInFlight = c.maxInFlight();
    Map<String, Object> props = new HashMap<>();
    props.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers);
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
    this.producer = new KafkaProducer<>(props, new StringSerializer(), new EventSerializer());
    this.admin =
        Admin.create(
            Map.of(
                AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers,
                AdminClientConfig.CLIENT_ID_CONFIG, "courier-readiness",
                AdminClientConfig.REQUEST_TIMEOUT_MS_CONFIG, READY_TIMEOUT_MS,
                AdminClientConfig.DEFAULT_API_TIMEOUT_MS_CONFIG, READY_TIMEOUT_MS));
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
      Vertx vertx, String bootstrapServers, CourierConfig.ProducerConfig config) {
    return vertx.executeBlocking(() -> new KafkaEventPublisher(vertx, bootstrapServers, config));
  }

  @Override
  public Future<Published> publish(String topic, Event<?> event) {
    if (inFlight.incrementAndGet() > maxInFlight) {
      inFlight.decrementAndGet();
      return Future.failedFuture(
          new OverloadException(
              "Kafka publisher has "
                  + maxInFlight
                  + " events in flight (kafka.producer.maxInFlight)"));
    }
    Context context = vertx.getOrCreateContext();
    Promise<Published> promise = Promise.promise();
    promise.future().onComplete(ar -> inFlight.decrementAndGet());
    ProducerRecord<String, Event<?>> record = new ProducerRecord<>(topic, event.subject(), event);
    try {
      sender.execute(
          () -> {
            try {
              producer.send(
                  record,
                  (metadata, error) ->
                      context.runOnContext(
                          v -> {
                            if (error != null) {
                              promise.fail(error);
                            } else {
                              promise.complete(
                                  new Published(
                                      metadata.topic(), metadata.partition(), metadata.offset()));
                            }
                          }));
            } catch (RuntimeException e) {
              context.runOnContext(v -> promise.fail(e));
            }
          });
    } catch (RejectedExecutionException e) {
      promise.fail(new IllegalStateException("the Kafka publisher is closed", e));
    }
    return promise.future();
  }

  /**
   * Asks the cluster for its brokers. A success is remembered for {@value #READY_CACHE_MS} ms and
   * concurrent callers share one request, so a readiness probe under load costs no Kafka round trip
   * per call.
   */
  /** Events sent and not yet acknowledged or failed. */
  public int inFlight() {
    return inFlight.get();
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
  public Future<Void> close(Duration timeout) {
    return vertx.executeBlocking(
        () -> {
          sender.shutdown();
          if (!sender.awaitTermination(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
            LOG.warn("Kafka publisher thread still busy after {}", timeout);
          }
          producer.close(timeout);
          admin.close(timeout);
          return null;
        });
  }
}
