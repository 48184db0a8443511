package io.courier.runtime.kafka.impl;

import io.courier.runtime.config.KafkaConfig.ConsumerConfig;
import io.courier.runtime.config.KafkaConfig.TopicsConfig;
import io.courier.runtime.health.Readiness;
import io.courier.runtime.kafka.ConsumerStats;
import io.courier.runtime.kafka.EventConsumer;
import io.courier.runtime.kafka.EventHandler;
import io.courier.runtime.kafka.KafkaConnection;
import io.courier.runtime.kafka.KafkaObservability;
import io.courier.runtime.metrics.ConsumerMeters;
import io.courier.runtime.metrics.HandlerTimer;
import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.ext.healthchecks.Status;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The at-least-once consumer behind {@link EventConsumer}. One thread owns the {@code
 * KafkaConsumer} (poll, pause, resume, commit); records are decoded there and handed to the Vert.x
 * context that started the consumer, where per-key queues keep records of one key in order while
 * different keys run in parallel. Offsets are committed per partition only up to the lowest record
 * still in flight.
 *
 * <p>This class puts the pieces together: the {@link PollLoop} (with its {@link PartitionCommits})
 * on its thread, and on the context the {@link KeyedDispatcher}, the {@link AttemptRunner} and the
 * {@link ParkingRouter}. The process's services it reports to ({@link KafkaObservability}) are all
 * used here: readiness and meters in {@link #start()}, tracing in {@link #handle}.
 */
public final class KafkaEventConsumer implements EventConsumer {

  private final Vertx vertx;
  private final KafkaConnection kafka;
  private final List<String> topics;
  private final ConsumerConfig config;
  private final EventHandler handler;
  private final AtomicInteger inFlight = new AtomicInteger();
  private final ConsumerCounters counters = new ConsumerCounters();
  private final Map<String, Long> lag = new ConcurrentHashMap<>();
  private final KafkaProcessedEvents processed;
  private final HandlerTimer handlerTimer;
  private final KeyedDispatcher dispatcher;
  private final KafkaObservability observability;
  private final TopicsConfig topicSettings;

  // Set once by start(), before the poll thread hands over its first record.
  private PollLoop pollLoop;
  private ParkingRouter router;
  private AttemptRunner attempts;

  private Readiness.Registration readiness = () -> {};

  /** A consumer reporting nothing to meters or tracing, with readiness of its own (tests). */
  KafkaEventConsumer(
      Vertx vertx,
      String bootstrapServers,
      List<String> topics,
      ConsumerConfig config,
      EventHandler handler) {
    this(
        vertx,
        KafkaConnection.plaintext(bootstrapServers),
        topics,
        config,
        TopicsConfig.DEFAULTS,
        handler,
        KafkaObservability.none(vertx));
  }

  /**
   * @param topics the topics to consume; each one's {@code .retry} topic is consumed too
   * @param topicSettings how the retry, dead-letter and processed-ids topics it creates are laid
   *     out and replicated
   * @param observability the process's meters, tracing and readiness
   */
  public KafkaEventConsumer(
      Vertx vertx,
      KafkaConnection kafka,
      List<String> topics,
      ConsumerConfig config,
      TopicsConfig topicSettings,
      EventHandler handler,
      KafkaObservability observability) {
    this.topicSettings = topicSettings;
    this.vertx = vertx;
    this.observability = observability;
    this.kafka = kafka;
    this.topics = List.copyOf(topics);
    this.config = config;
    this.handler = handler;
    this.handlerTimer = new HandlerTimer(observability.meters().registry(), config.groupId());
    this.processed =
        new KafkaProcessedEvents(
            kafka,
            config.groupId(),
            config.dedupeCapacity(),
            TimeUnit.HOURS.toMillis(config.dedupeRetentionHours()),
            topicSettings);
    this.dispatcher = new KeyedDispatcher(this::handle, inFlight);
  }

  @Override
  public synchronized Future<Void> start() {
    if (pollLoop != null) {
      return Future.failedFuture(new IllegalStateException("consumer already started"));
    }
    Context context = vertx.getOrCreateContext();
    pollLoop =
        new PollLoop(
            kafka,
            topics,
            config,
            topicSettings,
            context,
            counters,
            inFlight,
            lag,
            processed,
            dispatcher::enqueue);
    router =
        new ParkingRouter(
            config, counters, context, pollLoop::sender, pollLoop::running, this::timer);
    attempts =
        new AttemptRunner(
            vertx,
            config,
            handler,
            counters,
            handlerTimer,
            processed,
            pollLoop::sender,
            pollLoop::running,
            this::timer,
            router);
    return pollLoop
        .start()
        .onSuccess(
            v -> {
              ConsumerMeters meters =
                  ConsumerMeters.bind(observability.meters(), vertx, config.groupId(), this);
              pollLoop.stopped().onComplete(done -> meters.close());
              synchronized (this) {
                if (!pollLoop.running()) {
                  return; // stopped before it was ever ready: no check to leave behind
                }
                readiness =
                    observability
                        .readiness()
                        .register(
                            "kafka-consumer:" + config.groupId(),
                            promise -> promise.complete(health()));
              }
            });
  }

  /** This consumer as readiness sees it; see {@link PollLoop#health()}. */
  Status health() {
    return pollLoop.health();
  }

  @Override
  public synchronized Future<Void> stop(Duration deadline) {
    if (pollLoop == null) {
      return Future.succeededFuture();
    }
    Future<Void> stopped = pollLoop.stop(deadline);
    Readiness.Registration check = readiness;
    return stopped.onComplete(done -> check.unregister());
  }

  /**
   * Stops as a killed process would: no drain and no commit. Records handled since the last commit
   * are delivered again to the next consumer of the group. For tests of redelivery.
   */
  synchronized Future<Void> crash() {
    if (pollLoop == null) {
      return Future.succeededFuture();
    }
    Future<Void> stopped = pollLoop.crash();
    Readiness.Registration check = readiness;
    return stopped.onComplete(done -> check.unregister());
  }

  @Override
  public ConsumerStats stats() {
    return counters.snapshot(inFlight.get(), processed.writeFailures(), lag);
  }

  /** Completes when the record may be committed: handled, skipped, or parked elsewhere. */
  private Future<Void> handle(PolledRecord work) {
    if (work.tracker().revoked()) {
      return Future.failedFuture("partition revoked before the record started");
    }
    if (work.record().value() == null) {
      return Future.succeededFuture();
    }
    if (work.undecodable() != null) {
      counters.undecodable.increment();
      return router.park(work, work.undecodable(), 0, true);
    }
    if (processed.contains(work.event().id())) {
      counters.duplicates.increment();
      return Future.succeededFuture();
    }
    long retryAt = DeliveryHeaderFormat.retryAt(work.record());
    // The wait and the attempts run inside the record's trace, on its duplicated context.
    return observability
        .tracing()
        .consume(
            work.record().topic(),
            config.groupId(),
            work.record().headers(),
            () -> attempts.run(work, retryAt));
  }

  private Future<Void> timer(long millis) {
    Promise<Void> promise = Promise.promise();
    vertx.setTimer(Math.max(1, millis), id -> promise.complete());
    return promise.future();
  }
}
