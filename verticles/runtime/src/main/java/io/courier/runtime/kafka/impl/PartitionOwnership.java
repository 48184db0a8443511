package io.courier.runtime.kafka.impl;

import io.courier.codec.Event;
import io.courier.codec.kafka.EventDecodingException;
import io.courier.codec.kafka.EventDeserializer;
import io.courier.runtime.config.KafkaConfig.OwnershipConfig;
import io.courier.runtime.health.Readiness;
import io.courier.runtime.kafka.KafkaConnection;
import io.courier.runtime.kafka.KafkaObservability;
import io.courier.runtime.kafka.OwnedPartitions;
import io.courier.runtime.kafka.PartitionHandler;
import io.courier.runtime.tracing.KafkaTracing;
import io.opentelemetry.api.trace.Span;
import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.healthchecks.Status;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.consumer.ConsumerRebalanceListener;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.header.internals.RecordHeaders;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * {@link OwnedPartitions} on one thread of its own, which owns a consumer (the group membership and
 * the rebuilding reads) and a transactional producer (the writes). Writes queued by the service are
 * committed a batch at a time, each batch one transaction carrying the group's metadata, so the
 * group coordinator refuses a batch from an instance that is no longer a member of the current
 * generation. A partition moves through rebuilding (read from its beginning to the end it had when
 * it was assigned), serving (handed to the service on its context) and releasing (the service
 * finishes what it started; its writes are still committed) before the rebalance that takes it away
 * completes.
 */
public final class PartitionOwnership<S> implements OwnedPartitions {

  private static final Logger LOG = LoggerFactory.getLogger(PartitionOwnership.class);

  /** How long start waits for the group to give this instance its first share. */
  private static final Duration FIRST_SHARE_TIMEOUT = Duration.ofSeconds(60);

  /** How long a poll waits when there is nothing to write. */
  private static final Duration IDLE_POLL = Duration.ofMillis(5);

  private final Vertx vertx;
  private final KafkaConnection kafka;
  private final String topic;
  private final String groupId;
  private final OwnershipConfig settings;
  private final PartitionHandler<S> handler;
  private final OwnershipMeters meters;
  private final KafkaObservability observability;
  private final EventDeserializer decoder = new EventDeserializer();
  private final ConcurrentLinkedQueue<PendingWrite> writes = new ConcurrentLinkedQueue<>();

  /** Partitions writes are accepted for: serving, or releasing. */
  private final Set<Integer> writable = ConcurrentHashMap.newKeySet();

  /** Partitions the service answers for. */
  private final Set<Integer> serving = ConcurrentHashMap.newKeySet();

  // Confined to the ownership thread.
  private final Map<Integer, Rebuild<S>> rebuilding = new HashMap<>();
  private final Map<Integer, Future<Void>> handedOver = new HashMap<>();

  private Context context;
  private Thread thread;

  /** Completed once the first share the group gives this instance is served (or is none). */
  private Promise<Void> started;

  /** The partitions of the first assignment, until they are handed over; ownership thread. */
  private List<Integer> firstShare;

  private volatile boolean running;
  private volatile long drainDeadlineNanos;
  private volatile boolean joined;
  private volatile RuntimeException failure;
  private Readiness.Registration readiness = () -> {};
  private final Promise<Void> stopped = Promise.promise();

  public PartitionOwnership(
      Vertx vertx,
      KafkaConnection kafka,
      String topic,
      String groupId,
      OwnershipConfig settings,
      PartitionHandler<S> handler,
      KafkaObservability observability) {
    this.vertx = vertx;
    this.kafka = kafka;
    this.topic = topic;
    this.groupId = groupId;
    this.settings = settings;
    this.handler = handler;
    this.observability = observability;
    this.meters = new OwnershipMeters(observability.meters().registry(), groupId, serving::size);
  }

  /** A partition on its way from the topic's beginning to where it ended when assigned. */
  private record Rebuild<S>(S state, long end, long begun) {}

  /**
   * A write and whom to tell: its records, ready to send (their trace context in their headers),
   * and the PRODUCER span of each, ended when the transaction commits or fails.
   */
  record PendingWrite(
      int partition,
      List<ProducerRecord<String, Event<?>>> records,
      List<Span> spans,
      Promise<Void> done,
      Context context) {}

  @Override
  public synchronized Future<Void> start() {
    if (thread != null) {
      return Future.failedFuture(new IllegalStateException("ownership already started"));
    }
    context = vertx.getOrCreateContext();
    started = Promise.promise();
    running = true;
    thread = new Thread(() -> run(started), "courier-owner-" + groupId);
    thread.setDaemon(true);
    thread.start();
    readiness = observability.readiness().register("ownership:" + groupId, this::health);
    stopped.future().onComplete(done -> readiness.unregister());
    // A group that does not form (no broker) leaves the process started but not ready.
    long timer =
        vertx.setTimer(
            FIRST_SHARE_TIMEOUT.toMillis(),
            t -> {
              if (started.tryComplete()) {
                LOG.warn(
                    "no share of {} from group {} within {}; not ready until it comes",
                    topic,
                    groupId,
                    FIRST_SHARE_TIMEOUT);
              }
            });
    return started.future().andThen(done -> vertx.cancelTimer(timer));
  }

  /**
   * Up once the group has given this instance its share (possibly none, with more instances than
   * partitions) while the ownership thread runs; a partition still rebuilding does not take it
   * down, since its keys wait within their deadline.
   */
  private void health(Promise<Status> promise) {
    JsonObject data =
        new JsonObject()
            .put("group", groupId)
            .put("topic", topic)
            .put("serving", new JsonArray(serving.stream().sorted().toList()));
    RuntimeException error = failure;
    String down =
        error != null
            ? "stopped on an error: " + error
            : !running ? "stopped" : !joined ? "joining the group" : null;
    promise.complete(down == null ? Status.OK(data) : Status.KO(data.put("reason", down)));
  }

  @Override
  public synchronized Future<Void> stop(Duration drain) {
    if (thread == null) {
      return Future.succeededFuture();
    }
    drainDeadlineNanos = System.nanoTime() + drain.toNanos();
    running = false;
    return stopped.future();
  }

  @Override
  public Future<Void> write(int partition, List<StateRecord> records) {
    if (!writable.contains(partition)) {
      return Future.failedFuture(notOwner(partition));
    }
    Promise<Void> done = Promise.promise();
    List<ProducerRecord<String, Event<?>>> ready = new ArrayList<>(records.size());
    List<Span> spans = new ArrayList<>(records.size());
    for (StateRecord record : records) {
      RecordHeaders headers = new RecordHeaders();
      // Started on the caller's thread, so the span continues the request that made the change.
      spans.add(observability.tracing().produce(topic, headers));
      ready.add(new ProducerRecord<>(topic, partition, record.key(), record.event(), headers));
    }
    writes.add(new PendingWrite(partition, ready, spans, done, vertx.getOrCreateContext()));
    return done.future()
        .andThen(written -> spans.forEach(span -> KafkaTracing.end(span, written.cause())));
  }

  @Override
  public Set<Integer> serving() {
    return Set.copyOf(serving);
  }

  NotOwnerException notOwner(int partition) {
    return new NotOwnerException(
        "partition " + partition + " of " + topic + " is not owned here (it is moving)");
  }

  private void run(Promise<Void> started) {
    KafkaConsumer<String, byte[]> consumer = null;
    KafkaProducer<String, Event<?>> producer = null;
    try {
      producer = producer();
      consumer = OwnershipClients.consumer(kafka, groupId, settings);
      KafkaConsumer<String, byte[]> owned = consumer;
      OwnershipWriter writer =
          new OwnershipWriter(
              topic,
              groupId,
              writes,
              writable,
              meters,
              this::notOwner,
              this::producer,
              producer,
              owned);
      consumer.subscribe(List.of(topic), new Listener(owned, writer));
      while (running) {
        writer.commit();
        for (ConsumerRecord<String, byte[]> record :
            consumer.poll(writes.isEmpty() ? IDLE_POLL : Duration.ZERO)) {
          Rebuild<S> rebuild = rebuilding.get(record.partition());
          if (rebuild != null) {
            replay(rebuild.state(), record);
          }
        }
        handOverRebuilt(consumer);
      }
      releaseAll(new ArrayList<>(writable), writer, drainDeadlineNanos);
      writer.commit();
      producer = writer.producer();
    } catch (RuntimeException e) {
      failure = e;
      LOG.error("ownership of {} in group {} stopped on an error", topic, groupId, e);
      context.runOnContext(v -> started.tryFail(e));
    } finally {
      failPending(new IllegalStateException("the ownership of " + topic + " stopped"));
      OwnershipClients.closeQuietly(consumer, producer);
      context.runOnContext(v -> stopped.tryComplete());
    }
  }

  private void replay(S state, ConsumerRecord<String, byte[]> record) {
    if (record.value() == null) {
      handler.replay(state, record.key(), null);
      return;
    }
    try {
      handler.replay(
          state,
          record.key(),
          decoder.deserialize(record.topic(), record.headers(), record.value()));
    } catch (EventDecodingException e) {
      LOG.warn(
          "skipping undecodable record {}-{}@{} while rebuilding: {}",
          record.topic(),
          record.partition(),
          record.offset(),
          e.getMessage());
    }
  }

  /** Hands every partition read to its end over to the service. */
  private void handOverRebuilt(KafkaConsumer<String, byte[]> consumer) {
    if (rebuilding.isEmpty()) {
      firstShareServed();
      return;
    }
    for (Integer partition : List.copyOf(rebuilding.keySet())) {
      TopicPartition tp = new TopicPartition(topic, partition);
      Rebuild<S> rebuild = rebuilding.get(partition);
      if (consumer.position(tp) < rebuild.end()) {
        continue;
      }
      rebuilding.remove(partition);
      // Its later records are this instance's own writes: no need to read them back.
      consumer.pause(List.of(tp));
      long took = System.nanoTime() - rebuild.begun();
      meters.rebuilt(took);
      LOG.info(
          "{} partition {} rebuilt (to offset {}) in {} ms; serving it",
          topic,
          partition,
          rebuild.end(),
          TimeUnit.NANOSECONDS.toMillis(took));
      writable.add(partition);
      Promise<Void> served = Promise.promise();
      handedOver.put(partition, served.future());
      context.runOnContext(
          v ->
              handler
                  .serve(partition, rebuild.state())
                  .onSuccess(done -> serving.add(partition))
                  .onComplete(served));
    }
    if (rebuilding.isEmpty()) {
      firstShareServed();
    }
  }

  /** Completes the start once the partitions of the first assignment are served (or gone). */
  private void firstShareServed() {
    if (firstShare == null) {
      return;
    }
    List<Future<Void>> first = new ArrayList<>();
    firstShare.forEach(
        partition -> first.add(handedOver.getOrDefault(partition, Future.succeededFuture())));
    firstShare = null;
    context.runOnContext(v -> Future.join(first).onComplete(done -> started.tryComplete()));
  }

  /**
   * Has the service release {@code partitions} and waits until it has, or until {@code
   * deadlineNanos}, committing its writes meanwhile.
   */
  private void releaseAll(
      Collection<Integer> partitions, OwnershipWriter writer, long deadlineNanos) {
    List<Future<Void>> releases = new ArrayList<>();
    for (Integer partition : partitions) {
      Future<Void> served = handedOver.remove(partition);
      if (served == null) {
        continue;
      }
      Promise<Void> released = Promise.promise();
      context.runOnContext(
          v ->
              served
                  .transform(
                      ar -> {
                        serving.remove(partition);
                        return ar.succeeded()
                            ? handler.release(partition)
                            : Future.<Void>succeededFuture();
                      })
                  .onComplete(released));
      releases.add(released.future());
    }
    Future<?> all = Future.join(releases);
    while (!all.isComplete() && System.nanoTime() < deadlineNanos) {
      writer.commit();
      OwnershipClients.pause(IDLE_POLL.toMillis());
    }
    if (!all.isComplete()) {
      LOG.warn("{} partitions {} let go before the service released them", topic, partitions);
    }
    writer.commit();
    partitions.forEach(writable::remove);
  }

  private void failPending(Throwable error) {
    for (PendingWrite write; (write = writes.poll()) != null; ) {
      PendingWrite failed = write;
      failed.context().runOnContext(v -> failed.done().tryFail(error));
    }
  }

  KafkaProducer<String, Event<?>> producer() {
    return OwnershipClients.producer(kafka, groupId, settings);
  }

  /** Rebuilds what is assigned; releases what is taken away before letting it go. */
  private final class Listener implements ConsumerRebalanceListener {
    private final KafkaConsumer<String, byte[]> consumer;
    private final OwnershipWriter writer;

    Listener(KafkaConsumer<String, byte[]> consumer, OwnershipWriter writer) {
      this.consumer = consumer;
      this.writer = writer;
    }

    @Override
    public void onPartitionsAssigned(Collection<TopicPartition> partitions) {
      boolean first = !joined;
      joined = true;
      if (partitions.isEmpty()) {
        if (first) {
          context.runOnContext(v -> started.tryComplete());
        }
        return;
      }
      if (first) {
        firstShare = numbers(partitions);
      }
      consumer.seekToBeginning(partitions);
      Map<TopicPartition, Long> ends = consumer.endOffsets(partitions);
      long now = System.nanoTime();
      for (TopicPartition partition : partitions) {
        rebuilding.put(
            partition.partition(),
            new Rebuild<>(handler.rebuilding(partition.partition()), ends.get(partition), now));
      }
      LOG.info(
          "{} partitions {} assigned to this instance; rebuilding them",
          topic,
          numbers(partitions));
      meters.rebalanced();
    }

    @Override
    public void onPartitionsRevoked(Collection<TopicPartition> partitions) {
      if (partitions.isEmpty()) {
        return;
      }
      LOG.info(
          "{} partitions {} taken from this instance; releasing them", topic, numbers(partitions));
      List<Integer> numbers = numbers(partitions);
      numbers.forEach(rebuilding::remove);
      releaseAll(
          numbers,
          writer,
          System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(settings.releaseTimeoutMs()));
    }

    @Override
    public void onPartitionsLost(Collection<TopicPartition> partitions) {
      LOG.warn("{} partitions {} lost (this instance left the group)", topic, numbers(partitions));
      List<Integer> numbers = numbers(partitions);
      numbers.forEach(rebuilding::remove);
      // Another instance may own them already: nothing more of theirs may be committed.
      numbers.forEach(writable::remove);
      releaseAll(
          numbers,
          writer,
          System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(settings.releaseTimeoutMs()));
    }

    private List<Integer> numbers(Collection<TopicPartition> partitions) {
      return partitions.stream().map(TopicPartition::partition).sorted().toList();
    }
  }
}
