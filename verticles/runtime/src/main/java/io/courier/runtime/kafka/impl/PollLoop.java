package io.courier.runtime.kafka.impl;

import io.courier.codec.kafka.EventDeserializer;
import io.courier.runtime.config.KafkaConfig;
import io.courier.runtime.kafka.DeliveryHeaders;
import io.courier.runtime.kafka.KafkaConnection;
import io.courier.runtime.kafka.KafkaTopics;
import io.courier.runtime.kafka.TopicSpec;
import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.ext.healthchecks.Status;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Consumer;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.ConsumerRecords;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The one thread that owns the consumer's {@code KafkaConsumer}: it subscribes to the topics and
 * their retry topics, polls, pauses and resumes for back-pressure, commits through {@link
 * PartitionCommits}, and on the way out drains and leaves the group. It decodes each record and
 * hands it to the dispatch on the consumer's context. It also opens and closes the sender parked
 * records and processed ids are written with, and loads and flushes the processed ids.
 */
final class PollLoop {

  /** Logs as the consumer it belongs to. */
  private static final Logger LOG = LoggerFactory.getLogger(KafkaEventConsumer.class);

  private final KafkaConnection kafka;
  private final List<String> topics;
  private final KafkaConfig.ConsumerConfig config;
  private final KafkaConfig.TopicsConfig topicSettings;
  private final Context context;
  private final ConsumerCounters counters;
  private final AtomicInteger inFlight;
  private final Map<String, Long> lag;
  private final KafkaProcessedEvents processed;
  private final Consumer<PolledRecord> dispatch;
  private final EventDeserializer decoder = new EventDeserializer();
  private final PartitionCommits commits;
  private final ConsumerHealth health;
  private final Promise<Void> stopped = Promise.promise();

  /**
   * Records one poll returns at most: half the in-flight bound (at least one, at most 500), so the
   * consumer can poll again while the previous poll's records are still being handled.
   */
  private final int pollRecords;

  // Confined to the poll thread.
  private boolean paused;

  private RawSender sender;
  private volatile boolean running;
  private volatile boolean crashed;
  private volatile long drainDeadlineNanos;

  /**
   * @param inFlight records in flight: the loop adds each record it polls, the dispatch takes them
   *     off as they are done
   * @param lag where the loop keeps each assigned partition's lag
   * @param dispatch takes each polled record, on {@code context}
   */
  PollLoop(
      KafkaConnection kafka,
      List<String> topics,
      KafkaConfig.ConsumerConfig config,
      KafkaConfig.TopicsConfig topicSettings,
      Context context,
      ConsumerCounters counters,
      AtomicInteger inFlight,
      Map<String, Long> lag,
      KafkaProcessedEvents processed,
      Consumer<PolledRecord> dispatch) {
    this.kafka = kafka;
    this.topics = topics;
    this.config = config;
    this.topicSettings = topicSettings;
    this.context = context;
    this.counters = counters;
    this.inFlight = inFlight;
    this.lag = lag;
    this.processed = processed;
    this.dispatch = dispatch;
    this.pollRecords = Math.max(1, Math.min(500, config.maxInFlight() / 2));
    this.commits = new PartitionCommits(counters, this::running);
    this.health = new ConsumerHealth(config.groupId(), topics);
  }

  /** Starts the thread; completes on the context once it has subscribed. */
  Future<Void> start() {
    Promise<Void> started = Promise.promise();
    running = true;
    Thread thread = new Thread(() -> run(started), "courier-consumer-" + config.groupId());
    thread.setDaemon(true);
    thread.start();
    return started.future();
  }

  /** Drains the records in flight until {@code deadline}, commits and leaves the group. */
  Future<Void> stop(Duration deadline) {
    drainDeadlineNanos = System.nanoTime() + deadline.toNanos();
    running = false;
    return stopped.future();
  }

  /** Stops without draining or committing, as a killed process would. */
  Future<Void> crash() {
    crashed = true;
    running = false;
    return stopped.future();
  }

  /** Completes on the context once the thread has stopped, for whatever reason. */
  Future<Void> stopped() {
    return stopped.future();
  }

  boolean running() {
    return running;
  }

  /** The sender the thread opened before it subscribed, and closes after it left the group. */
  RawSender sender() {
    return sender;
  }

  /** This consumer as readiness sees it: see {@link ConsumerHealth#status}. */
  Status health() {
    return health.status(running, inFlight.get());
  }

  private void run(Promise<Void> started) {
    KafkaConsumer<String, byte[]> consumer = null;
    try {
      // Where failed records go, made before the first record could need them.
      List<TopicSpec> parking = new ArrayList<>();
      for (String topic : topics) {
        parking.add(TopicSpec.events(topic + DeliveryHeaders.RETRY_SUFFIX));
        parking.add(TopicSpec.events(topic + DeliveryHeaders.DLT_SUFFIX));
      }
      KafkaTopics.ensure(kafka, topicSettings, parking);
      sender = new RawSender(kafka, "courier-consumer-" + config.groupId());
      processed.load();
      consumer =
          new KafkaConsumer<>(
              consumerProps(), new StringDeserializer(), new ByteArrayDeserializer());
      List<String> subscription = new ArrayList<>(topics);
      topics.forEach(topic -> subscription.add(topic + DeliveryHeaders.RETRY_SUFFIX));
      // A partition gained while paused for back-pressure would otherwise deliver past the bound.
      consumer.subscribe(
          subscription,
          new RebalanceListener(
              consumer,
              commits,
              health,
              () -> crashed,
              this::releaseDeadlineNanos,
              () -> !running || paused,
              this::catchUpProcessed));
      context.runOnContext(v -> started.tryComplete());
      pollLoop(consumer);
      if (!crashed) {
        drain(consumer);
      }
      // Closing waits for commits still in flight and commits on revocation before leaving.
      boolean left = closeQuietly(consumer);
      consumer = null;
      if (!crashed && left) {
        LOG.info(
            "consumer group {} left; committed offsets {}",
            config.groupId(),
            commits.lastCommitted());
      }
    } catch (RuntimeException e) {
      health.failed(e);
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

  /**
   * Until when a revocation starting now waits for the handlers running on the partitions it gives
   * up: {@code releaseTimeoutMs} from now in a rebalance; on the way out no later than the drain's
   * deadline, as the drain already waited for them.
   */
  private long releaseDeadlineNanos() {
    long release = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(config.releaseTimeoutMs());
    return running || release - drainDeadlineNanos < 0 ? release : drainDeadlineNanos;
  }

  /**
   * Reads the processed ids other members wrote since this consumer last read them, so records of
   * partitions just gained that another member handled (and did not commit) are skipped. A failure
   * costs only redeliveries to idempotent handlers, so it is logged, not thrown into the poll.
   */
  private void catchUpProcessed() {
    try {
      processed.catchUp();
    } catch (RuntimeException e) {
      LOG.warn(
          "could not read the processed ids of {} for the partitions just gained; events handled"
              + " elsewhere and not committed may be handled again: {}",
          config.groupId(),
          e.toString());
    }
  }

  private Map<String, Object> consumerProps() {
    Map<String, Object> props = new HashMap<>(kafka.properties());
    props.put(ConsumerConfig.GROUP_ID_CONFIG, config.groupId());
    props.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false);
    props.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
    // Owners write state in transactions: an aborted write (a fenced owner's) is never handled.
    props.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
    props.put(ConsumerConfig.MAX_POLL_RECORDS_CONFIG, pollRecords);
    props.put(ConsumerConfig.CLIENT_ID_CONFIG, "courier-consumer-" + config.groupId());
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
      health.polled(consumer.assignment().size());
      for (ConsumerRecord<String, byte[]> record : records) {
        accept(record);
      }
      if (System.nanoTime() >= nextCommit) {
        commits.commit(consumer, false);
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
    commits.commit(consumer, true);
  }

  private void accept(ConsumerRecord<String, byte[]> record) {
    TopicPartition partition = new TopicPartition(record.topic(), record.partition());
    PartitionOffsets tracker = commits.tracker(partition);
    tracker.received(record.offset());
    inFlight.incrementAndGet();
    counters.received.increment();
    PolledRecord work = PolledRecord.decode(record, decoder, tracker);
    context.runOnContext(v -> dispatch.accept(work));
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
}
