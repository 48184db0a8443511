package io.courier.runtime.kafka.impl;

import io.courier.codec.Event;
import io.courier.codec.kafka.EventDecodingException;
import io.courier.codec.kafka.EventDeserializer;
import io.courier.runtime.Causes;
import io.courier.runtime.config.CourierConfig.ConsumerConfig;
import io.courier.runtime.kafka.ConsumerStats;
import io.courier.runtime.kafka.DeliveryHeaders;
import io.courier.runtime.kafka.EventConsumer;
import io.courier.runtime.kafka.EventHandler;
import io.courier.runtime.kafka.NonRetryableException;
import io.courier.runtime.kafka.RetryLaterException;
import io.courier.runtime.metrics.HandlerTimer;
import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.LongAdder;
import org.apache.kafka.clients.consumer.ConsumerRebalanceListener;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.ConsumerRecords;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The at-least-once consumer behind {@link EventConsumer}. One thread owns the {@code
 * KafkaConsumer} (poll, pause, resume, commit); records are decoded there and handed to the Vert.x
 * context that started the consumer, where per-key queues keep records of one key in order while
 * different keys run in parallel. Offsets are committed per partition only up to the lowest record
 * still in flight.
 */
public final class KafkaEventConsumer implements EventConsumer {

  private static final Logger LOG = LoggerFactory.getLogger(KafkaEventConsumer.class);

  /**
   * How long the poll thread may go without returning from {@code poll} before readiness calls the
   * consumer stuck. The loop polls every 100 ms; only a commit on revocation (10 s at most) or a
   * long flush holds it up.
   */
  private static final long POLL_STALL_NANOS = TimeUnit.SECONDS.toNanos(30);

  private final Vertx vertx;
  private final String bootstrapServers;
  private final List<String> topics;
  private final ConsumerConfig config;
  private final EventHandler handler;
  private final EventDeserializer decoder = new EventDeserializer();
  private final Map<TopicPartition, PartitionOffsets> offsets = new ConcurrentHashMap<>();

  /**
   * The last offset this consumer committed per partition it still owns (or owned when it stopped:
   * a close's revocation keeps them), logged when it leaves the group.
   */
  private final Map<TopicPartition, Long> lastCommitted = new ConcurrentHashMap<>();

  private final AtomicInteger inFlight = new AtomicInteger();
  private final Counters counters = new Counters();
  private final Map<String, Long> lag = new ConcurrentHashMap<>();
  private final KafkaProcessedEvents processed;
  private final HandlerTimer handlerTimer;

  // Confined to the context.
  private final Map<String, ArrayDeque<Work>> keyQueues = new HashMap<>();

  /**
   * Records one poll returns at most: half the in-flight bound (at least one, at most 500), so the
   * consumer can poll again while the previous poll's records are still being handled.
   */
  private final int pollRecords;

  // Confined to the poll thread.
  private boolean paused;

  private Context context;
  private RawSender sender;
  private Thread pollThread;
  private volatile boolean running;
  private volatile boolean crashed;
  private volatile long drainDeadlineNanos;
  private Promise<Void> stopped;

  // What readiness reads: whether the group has assigned partitions (an empty share included) at
  // least once, when poll last returned, how many partitions are assigned, why the thread died.
  private volatile boolean joined;
  private volatile long lastPollNanos = System.nanoTime();
  private volatile int assignedPartitions;
  private volatile RuntimeException failure;
  private io.courier.runtime.impl.ReadinessChecks.Registration readiness = () -> {};

  /**
   * @param topics the topics to consume; each one's {@code .retry} topic is consumed too
   */
  public KafkaEventConsumer(
      Vertx vertx,
      String bootstrapServers,
      List<String> topics,
      ConsumerConfig config,
      EventHandler handler) {
    this.vertx = vertx;
    this.bootstrapServers = bootstrapServers;
    this.topics = List.copyOf(topics);
    this.config = config;
    this.handler = handler;
    this.pollRecords = Math.max(1, Math.min(500, config.maxInFlight() / 2));
    this.handlerTimer = new HandlerTimer(vertx, config.groupId());
    this.processed =
        new KafkaProcessedEvents(
            bootstrapServers,
            config.groupId(),
            config.dedupeCapacity(),
            TimeUnit.HOURS.toMillis(config.dedupeRetentionHours()));
  }

  @Override
  public synchronized Future<Void> start() {
    if (pollThread != null) {
      return Future.failedFuture(new IllegalStateException("consumer already started"));
    }
    context = vertx.getOrCreateContext();
    Promise<Void> started = Promise.promise();
    stopped = Promise.promise();
    running = true;
    pollThread = new Thread(() -> run(started), "courier-consumer-" + config.groupId());
    pollThread.setDaemon(true);
    pollThread.start();
    return started
        .future()
        .onSuccess(
            v -> {
              io.courier.runtime.metrics.ConsumerMeters meters =
                  io.courier.runtime.metrics.ConsumerMeters.bind(vertx, config.groupId(), this);
              stopped.future().onComplete(done -> meters.close());
              synchronized (this) {
                if (!running) {
                  return; // stopped before it was ever ready: no check to leave behind
                }
                readiness =
                    io.courier.runtime.impl.ReadinessChecks.register(
                        vertx,
                        "kafka-consumer:" + config.groupId(),
                        promise -> promise.complete(health()));
              }
            });
  }

  /**
   * This consumer as readiness sees it: up once the group has given it its share of partitions
   * (possibly none, when the group has more members than partitions) while its poll thread keeps
   * polling; down while joining, after the thread stopped on an error, or when it has not polled
   * for {@link #POLL_STALL_NANOS}. A later rebalance does not take it down: every member of the
   * group rebalances at once, and readiness must not drop them all together.
   */
  io.vertx.ext.healthchecks.Status health() {
    io.vertx.core.json.JsonObject data =
        new io.vertx.core.json.JsonObject()
            .put("group", config.groupId())
            .put("topics", new io.vertx.core.json.JsonArray(topics));
    RuntimeException error = failure;
    long sincePollNanos = System.nanoTime() - lastPollNanos;
    if (error != null) {
      return io.vertx.ext.healthchecks.Status.KO(
          data.put("reason", "stopped on an error: " + error));
    }
    if (!running) {
      return io.vertx.ext.healthchecks.Status.KO(data.put("reason", "stopped"));
    }
    if (!joined) {
      return io.vertx.ext.healthchecks.Status.KO(data.put("reason", "joining the group"));
    }
    if (sincePollNanos > POLL_STALL_NANOS) {
      return io.vertx.ext.healthchecks.Status.KO(
          data.put(
              "reason", "no poll for " + TimeUnit.NANOSECONDS.toMillis(sincePollNanos) + " ms"));
    }
    return io.vertx.ext.healthchecks.Status.OK(
        data.put("partitions", assignedPartitions).put("inFlight", inFlight.get()));
  }

  @Override
  public synchronized Future<Void> stop(Duration deadline) {
    if (pollThread == null) {
      return Future.succeededFuture();
    }
    drainDeadlineNanos = System.nanoTime() + deadline.toNanos();
    running = false;
    io.courier.runtime.impl.ReadinessChecks.Registration check = readiness;
    return stopped.future().onComplete(done -> check.unregister());
  }

  /**
   * Stops as a killed process would: no drain and no commit. Records handled since the last commit
   * are delivered again to the next consumer of the group. For tests of redelivery.
   */
  synchronized Future<Void> crash() {
    if (pollThread == null) {
      return Future.succeededFuture();
    }
    crashed = true;
    running = false;
    io.courier.runtime.impl.ReadinessChecks.Registration check = readiness;
    return stopped.future().onComplete(done -> check.unregister());
  }

  @Override
  public ConsumerStats stats() {
    return counters.snapshot(inFlight.get(), processed.writeFailures(), lag);
  }

  // ---------------------------------------------------------------- poll thread

  private void run(Promise<Void> started) {
    KafkaConsumer<String, byte[]> consumer = null;
    try {
      sender = new RawSender(bootstrapServers, "courier-consumer-" + config.groupId());
      processed.load();
      consumer =
          new KafkaConsumer<>(
              consumerProps(), new StringDeserializer(), new ByteArrayDeserializer());
      List<String> subscription = new ArrayList<>(topics);
      topics.forEach(topic -> subscription.add(topic + DeliveryHeaders.RETRY_SUFFIX));
      KafkaConsumer<String, byte[]> owned = consumer;
      consumer.subscribe(subscription, new Rebalance(owned));
      context.runOnContext(v -> started.tryComplete());
      pollLoop(consumer);
      if (!crashed) {
        drain(consumer);
      }
      // Closing waits for commits still in flight and commits on revocation before leaving.
      boolean left = closeQuietly(consumer);
      consumer = null;
      if (!crashed && left) {
        Map<String, Long> committed = new java.util.TreeMap<>();
        lastCommitted.forEach((partition, offset) -> committed.put(partition.toString(), offset));
        LOG.info("consumer group {} left; committed offsets {}", config.groupId(), committed);
      }
    } catch (RuntimeException e) {
      failure = e;
      LOG.error("consumer of {} stopped on an error", topics, e);
      context.runOnContext(v -> started.tryFail(e));
    } finally {
      if (consumer != null) {
        closeQuietly(consumer);
      }
      closeSender();
      context.runOnContext(v -> stopped.tryComplete());
    }
  }

  private Map<String, Object> consumerProps() {
    Map<String, Object> props = new HashMap<>();
    props.put(
        org.apache.kafka.clients.consumer.ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG,
        bootstrapServers);
    props.put(org.apache.kafka.clients.consumer.ConsumerConfig.GROUP_ID_CONFIG, config.groupId());
    props.put(org.apache.kafka.clients.consumer.ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false);
    props.put(
        org.apache.kafka.clients.consumer.ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
    props.put(
        org.apache.kafka.clients.consumer.ConsumerConfig.MAX_POLL_RECORDS_CONFIG, pollRecords);
    props.put(
        org.apache.kafka.clients.consumer.ConsumerConfig.CLIENT_ID_CONFIG,
        "courier-consumer-" + config.groupId());
    return props;
  }

  /**
   * Polls only while a full poll fits under the bound: the partitions pause once more than {@code
   * maxInFlight - pollRecords} records are in flight and resume at half the bound. Only this thread
   * adds to {@code inFlight}, so records in flight (and with them the handlers running at once)
   * never exceed {@code maxInFlight}.
   */
  private void pollLoop(KafkaConsumer<String, byte[]> consumer) {
    long nextCommit = System.nanoTime();
    while (running) {
      int now = inFlight.get();
      if (!paused && now > config.maxInFlight() - pollRecords) {
        consumer.pause(consumer.assignment());
        paused = true;
        counters.pauses.increment();
      } else if (paused && now <= config.maxInFlight() / 2) {
        consumer.resume(consumer.paused());
        paused = false;
      }
      ConsumerRecords<String, byte[]> records = consumer.poll(Duration.ofMillis(100));
      lastPollNanos = System.nanoTime();
      assignedPartitions = consumer.assignment().size();
      for (ConsumerRecord<String, byte[]> record : records) {
        accept(record);
      }
      if (System.nanoTime() >= nextCommit) {
        commit(consumer, false);
        recordLag(consumer);
        nextCommit = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(config.commitIntervalMs());
      }
    }
  }

  private void recordLag(KafkaConsumer<String, byte[]> consumer) {
    Set<TopicPartition> assigned = consumer.assignment();
    lag.keySet().removeIf(name -> assigned.stream().noneMatch(p -> p.toString().equals(name)));
    for (TopicPartition partition : assigned) {
      consumer.currentLag(partition).ifPresent(behind -> lag.put(partition.toString(), behind));
    }
  }

  /** Stops fetching, waits for in-flight records up to the deadline, commits what completed. */
  private void drain(KafkaConsumer<String, byte[]> consumer) {
    consumer.pause(consumer.assignment());
    while (inFlight.get() > 0 && System.nanoTime() < drainDeadlineNanos) {
      consumer.poll(Duration.ofMillis(50));
    }
    if (inFlight.get() > 0) {
      LOG.warn(
          "stopping with {} record(s) still in flight; they will be redelivered", inFlight.get());
    }
    processed.flush(sender);
    commit(consumer, true);
  }

  private void accept(ConsumerRecord<String, byte[]> record) {
    TopicPartition partition = new TopicPartition(record.topic(), record.partition());
    PartitionOffsets tracker = offsets.computeIfAbsent(partition, p -> new PartitionOffsets());
    tracker.received(record.offset());
    inFlight.incrementAndGet();
    counters.received.increment();
    Event<?> event = null;
    RuntimeException undecodable = null;
    if (record.value() != null) {
      try {
        event = decoder.deserialize(record.topic(), record.headers(), record.value());
      } catch (EventDecodingException e) {
        undecodable = e;
      }
    }
    Work work = new Work(record, event, undecodable, tracker);
    context.runOnContext(v -> enqueue(work));
  }

  private void commit(KafkaConsumer<String, byte[]> consumer, boolean sync) {
    Map<TopicPartition, OffsetAndMetadata> toCommit = new HashMap<>();
    for (TopicPartition partition : consumer.assignment()) {
      PartitionOffsets tracker = offsets.get(partition);
      long offset = tracker == null ? -1 : tracker.toCommit();
      if (offset >= 0) {
        toCommit.put(partition, new OffsetAndMetadata(offset));
      }
    }
    if (toCommit.isEmpty()) {
      return;
    }
    if (sync) {
      try {
        consumer.commitSync(toCommit, Duration.ofSeconds(10));
        markCommitted(toCommit);
      } catch (RuntimeException e) {
        LOG.warn(
            "final commit failed; records after the last commit will be redelivered: {}",
            e.toString());
      }
    } else {
      consumer.commitAsync(
          toCommit,
          (committed, error) -> {
            if (error == null) {
              markCommitted(committed);
            } else {
              LOG.debug("commit failed, retried at the next interval: {}", error.toString());
            }
          });
    }
  }

  private void markCommitted(Map<TopicPartition, OffsetAndMetadata> committed) {
    committed.forEach(
        (partition, offset) -> {
          if (!running || offsets.containsKey(partition)) {
            lastCommitted.merge(partition, offset.offset(), Math::max);
          }
          PartitionOffsets tracker = offsets.get(partition);
          if (tracker != null) {
            tracker.markCommitted(offset.offset());
          }
        });
    counters.committed.increment();
  }

  /** Closes the consumer, leaving the group; false when it did not close cleanly. */
  private boolean closeQuietly(KafkaConsumer<String, byte[]> consumer) {
    try {
      if (consumer != null) {
        consumer.close(Duration.ofSeconds(10));
      }
      return true;
    } catch (RuntimeException e) {
      LOG.warn("consumer did not close cleanly: {}", e.toString());
      return false;
    }
  }

  private void closeSender() {
    try {
      if (sender != null) {
        sender.close();
      }
    } catch (RuntimeException e) {
      LOG.warn("consumer's sender did not close cleanly: {}", e.toString());
    }
  }

  /** Keeps offsets of assigned partitions; commits what completed before giving one up. */
  private final class Rebalance implements ConsumerRebalanceListener {
    private final KafkaConsumer<String, byte[]> consumer;

    Rebalance(KafkaConsumer<String, byte[]> consumer) {
      this.consumer = consumer;
    }

    @Override
    public void onPartitionsRevoked(Collection<TopicPartition> partitions) {
      if (crashed) {
        onPartitionsLost(partitions);
        return;
      }
      Map<TopicPartition, OffsetAndMetadata> toCommit = new HashMap<>();
      for (TopicPartition partition : partitions) {
        PartitionOffsets tracker = offsets.remove(partition);
        if (tracker != null) {
          tracker.revoke();
          long offset = tracker.toCommit();
          if (offset >= 0) {
            toCommit.put(partition, new OffsetAndMetadata(offset));
          }
        }
      }
      if (!toCommit.isEmpty()) {
        try {
          consumer.commitSync(toCommit, Duration.ofSeconds(10));
          toCommit.forEach(
              (partition, offset) -> lastCommitted.merge(partition, offset.offset(), Math::max));
        } catch (RuntimeException e) {
          LOG.warn("commit on revocation failed: {}", e.toString());
        }
      }
      if (running) {
        // Another member owns them now and commits past these.
        partitions.forEach(lastCommitted::remove);
      }
    }

    @Override
    public void onPartitionsLost(Collection<TopicPartition> partitions) {
      partitions.forEach(
          partition -> {
            lastCommitted.remove(partition);
            PartitionOffsets tracker = offsets.remove(partition);
            if (tracker != null) {
              tracker.revoke();
            }
          });
    }

    @Override
    public void onPartitionsAssigned(Collection<TopicPartition> partitions) {
      partitions.forEach(partition -> offsets.put(partition, new PartitionOffsets()));
      assignedPartitions = consumer.assignment().size();
      joined = true;
      // A partition gained while paused for back-pressure would otherwise deliver past the bound.
      if (!running || paused) {
        consumer.pause(partitions);
      }
    }
  }

  // ---------------------------------------------------------------- context

  /** One polled record on its way through the handler. */
  private record Work(
      ConsumerRecord<String, byte[]> record,
      Event<?> event,
      RuntimeException undecodable,
      PartitionOffsets tracker) {}

  private void enqueue(Work work) {
    String key =
        work.record.topic()
            + '\u0000'
            + (work.record.key() != null ? work.record.key() : "#" + work.record.partition());
    ArrayDeque<Work> queue = keyQueues.get(key);
    if (queue != null) {
      queue.add(work);
      return;
    }
    keyQueues.put(key, new ArrayDeque<>());
    process(work, key);
  }

  private void process(Work work, String key) {
    handle(work)
        .onComplete(
            ar -> {
              if (ar.failed() && work.tracker.revoked()) {
                LOG.debug("record of a revoked partition dropped: {}", ar.cause().toString());
              } else if (ar.failed()) {
                LOG.warn(
                    "record {}-{}@{} left incomplete, it will be redelivered: {}",
                    work.record.topic(),
                    work.record.partition(),
                    work.record.offset(),
                    ar.cause().toString());
              } else {
                work.tracker.completed(work.record.offset());
              }
              inFlight.decrementAndGet();
              ArrayDeque<Work> queue = keyQueues.get(key);
              Work next = queue == null ? null : queue.poll();
              if (next == null) {
                keyQueues.remove(key);
              } else {
                process(next, key);
              }
            });
  }

  /** Completes when the record may be committed: handled, skipped, or parked elsewhere. */
  private Future<Void> handle(Work work) {
    if (work.tracker.revoked()) {
      return Future.failedFuture("partition revoked before the record started");
    }
    if (work.record.value() == null) {
      return Future.succeededFuture();
    }
    if (work.undecodable != null) {
      counters.undecodable.increment();
      return park(work, work.undecodable, 0, true);
    }
    if (processed.contains(work.event.id())) {
      counters.duplicates.increment();
      return Future.succeededFuture();
    }
    long retryAt = DeliveryHeaderFormat.retryAt(work.record);
    // The wait and the attempts run inside the record's trace, on its duplicated context.
    return io.courier.runtime.tracing.KafkaTracing.consume(
        vertx,
        work.record.topic(),
        config.groupId(),
        work.record.headers(),
        () -> waitUntil(retryAt).compose(v -> attempt(work, 1, 0)));
  }

  /**
   * Completes once the wall clock has reached {@code epochMillis} (a record's {@link
   * DeliveryHeaders#RETRY_AT}). The timer runs on the monotonic clock, which may drift from the
   * wall clock the header was written with: the time is checked again when it fires.
   */
  private Future<Void> waitUntil(long epochMillis) {
    long wait = epochMillis - System.currentTimeMillis();
    return wait > 0 ? timer(wait).compose(v -> waitUntil(epochMillis)) : Future.succeededFuture();
  }

  /**
   * @param attempt the attempt number, counting failures that spend attempts
   * @param waits how often the handler said {@link RetryLaterException} so far
   */
  private Future<Void> attempt(Work work, int attempt, int waits) {
    long begin = System.nanoTime();
    Future<Void> result;
    try {
      result = handler.handle(work.event);
      if (result == null) {
        result = Future.failedFuture(new IllegalStateException("handler returned no future"));
      }
    } catch (RuntimeException e) {
      result = Future.failedFuture(e);
    }
    return result.transform(
        ar -> {
          long took = System.nanoTime() - begin;
          String topic = DeliveryHeaders.baseTopic(work.record.topic());
          if (ar.succeeded()) {
            handlerTimer.record(topic, HandlerTimer.Outcome.SUCCESS, took);
            counters.handled.increment();
            counters.handlerNanos.add(took);
            // The id is written in a batch, without waiting for the broker. Only a process dying
            // after the handler and before both that write and the offset commit land hands the
            // event to a handler again; waiting for the acknowledgement leaves the same window
            // and costs a round trip per record.
            processed.remember(work.event.id(), sender, vertx);
            return Future.<Void>succeededFuture();
          }
          Throwable cause = ar.cause();
          boolean later = retryLater(cause);
          handlerTimer.record(
              topic, later ? HandlerTimer.Outcome.RETRY_LATER : HandlerTimer.Outcome.FAILURE, took);
          if (running && later) {
            counters.retriedInPlace.increment();
            if (waits == 0 || waits % 20 == 0) {
              LOG.info(
                  "record {}-{}@{} waits for a dependency (try {}): {}",
                  work.record.topic(),
                  work.record.partition(),
                  work.record.offset(),
                  waits + 1,
                  cause.getMessage());
            }
            return timer(backoff(Math.min(waits + 1, 30)))
                .compose(v -> attempt(work, attempt, waits + 1));
          }
          boolean retryable = !(cause instanceof NonRetryableException);
          if (retryable && attempt < config.inPlaceAttempts() && running) {
            counters.retriedInPlace.increment();
            return timer(backoff(attempt)).compose(v -> attempt(work, attempt + 1, waits));
          }
          return park(work, cause, attempt, !retryable);
        });
  }

  /** Whether the failure says "not now" rather than "this event fails". */
  private static boolean retryLater(Throwable failure) {
    return Causes.find(failure, RetryLaterException.class).isPresent()
        || Causes.find(failure, io.courier.runtime.kafka.OverloadException.class).isPresent();
  }

  /** Moves the record to its retry topic, or to its dead-letter topic when retries are spent. */
  private Future<Void> park(Work work, Throwable cause, int attempts, boolean deadLetterNow) {
    ConsumerRecord<String, byte[]> record = work.record;
    int totalAttempts = DeliveryHeaderFormat.attempts(record) + attempts;
    boolean toDeadLetter =
        deadLetterNow || DeliveryHeaderFormat.retries(record) >= config.retryTopicAttempts();
    ProducerRecord<String, byte[]> parked =
        toDeadLetter
            ? DeliveryHeaderFormat.toDeadLetterTopic(record, cause, totalAttempts)
            : DeliveryHeaderFormat.toRetryTopic(
                record, cause, totalAttempts, System.currentTimeMillis() + config.retryDelayMs());
    String message = String.valueOf(cause.getMessage());
    return sendUntilStopped(parked)
        .onSuccess(
            v -> {
              if (toDeadLetter) {
                counters.sentToDeadLetter.increment();
                LOG.warn(
                    "record {}-{}@{} (key {}) parked in {} after {} attempt(s): {}",
                    record.topic(),
                    record.partition(),
                    record.offset(),
                    record.key(),
                    parked.topic(),
                    totalAttempts,
                    message);
              } else {
                counters.sentToRetry.increment();
              }
            });
  }

  private Future<Void> sendUntilStopped(ProducerRecord<String, byte[]> record) {
    return sender
        .send(record, context)
        .<Void>mapEmpty()
        .recover(
            e -> {
              if (!running) {
                return Future.failedFuture(e);
              }
              LOG.warn("could not write to {}, trying again: {}", record.topic(), e.toString());
              return timer(1_000).compose(v -> sendUntilStopped(record));
            });
  }

  private long backoff(int attempt) {
    double exponential = config.backoffInitialMs() * Math.pow(2, attempt - 1.0);
    double capped = Math.min(config.backoffMaxMs(), exponential);
    return Math.max(1, (long) (capped * (0.5 + ThreadLocalRandom.current().nextDouble() * 0.5)));
  }

  private Future<Void> timer(long millis) {
    Promise<Void> promise = Promise.promise();
    vertx.setTimer(Math.max(1, millis), id -> promise.complete());
    return promise.future();
  }

  /** Counters, updated from the poll thread and the context. */
  private static final class Counters {
    final LongAdder received = new LongAdder();
    final LongAdder handled = new LongAdder();
    final LongAdder duplicates = new LongAdder();
    final LongAdder retriedInPlace = new LongAdder();
    final LongAdder sentToRetry = new LongAdder();
    final LongAdder sentToDeadLetter = new LongAdder();
    final LongAdder undecodable = new LongAdder();
    final LongAdder committed = new LongAdder();
    final LongAdder pauses = new LongAdder();
    final LongAdder handlerNanos = new LongAdder();

    ConsumerStats snapshot(int inFlight, long dedupeWriteFailures, Map<String, Long> lag) {
      long handledCount = handled.sum();
      return new ConsumerStats(
          received.sum(),
          handledCount,
          duplicates.sum(),
          retriedInPlace.sum(),
          sentToRetry.sum(),
          sentToDeadLetter.sum(),
          undecodable.sum(),
          committed.sum(),
          pauses.sum(),
          inFlight,
          handledCount == 0 ? 0 : handlerNanos.sum() / 1e6 / handledCount,
          dedupeWriteFailures,
          lag);
    }
  }
}
