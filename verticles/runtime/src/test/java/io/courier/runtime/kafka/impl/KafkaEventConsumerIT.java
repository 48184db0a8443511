package io.courier.runtime.kafka.impl;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;

import io.courier.codec.Event;
import io.courier.codec.kafka.EventDecodingException;
import io.courier.codec.kafka.EventSerializer;
import io.courier.contract.v1.Order;
import io.courier.contract.v1.OrderPlaced;
import io.courier.kafka.embedded.EmbeddedKafkaBroker;
import io.courier.kafka.embedded.SharedKafkaBroker;
import io.courier.runtime.config.KafkaConfig.ConsumerConfig;
import io.courier.runtime.config.KafkaConfig.TopicsConfig;
import io.courier.runtime.config.MetricsConfig;
import io.courier.runtime.health.Readiness;
import io.courier.runtime.kafka.ConsumerStats;
import io.courier.runtime.kafka.DeadLetters;
import io.courier.runtime.kafka.DeliveryHeaders;
import io.courier.runtime.kafka.EventHandler;
import io.courier.runtime.kafka.KafkaConnection;
import io.courier.runtime.kafka.KafkaObservability;
import io.courier.runtime.metrics.CourierMetrics;
import io.courier.runtime.metrics.Meters;
import io.courier.runtime.tracing.KafkaTracing;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.VertxOptions;
import io.vertx.core.json.JsonArray;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.BooleanSupplier;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.ConsumerGroupDescription;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.GroupState;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.header.internals.RecordHeaders;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;

@ExtendWith(SharedKafkaBroker.class)
@DisplayName("The at-least-once event consumer")
class KafkaEventConsumerIT {

  private final Vertx vertx = Vertx.vertx();
  private final List<KafkaEventConsumer> consumers = new ArrayList<>();

  @AfterEach
  void close() throws Exception {
    for (KafkaEventConsumer consumer : consumers) {
      consumer.stop(Duration.ofSeconds(5)).await(30, TimeUnit.SECONDS);
    }
    vertx.close().await(30, TimeUnit.SECONDS);
  }

  @Test
  @Timeout(240)
  @DisplayName("handles every one of 100k events once across a crash without commit and a restart")
  void shouldHandleEveryEventOnceAcrossCrashAndRestart(EmbeddedKafkaBroker kafka) throws Exception {
    int total = 100_000;
    String topic = "crash-" + UUID.randomUUID();
    String group = "crash-group-" + UUID.randomUUID();
    Set<String> sent = publish(kafka, topic, total, i -> "key-" + (i % 1000));

    Map<String, Boolean> applied = new ConcurrentHashMap<>();
    AtomicInteger deliveries = new AtomicInteger();
    AtomicInteger reapplied = new AtomicInteger();
    Promise<Void> half = Promise.promise();
    Promise<Void> all = Promise.promise();
    EventHandler idempotent =
        event -> {
          deliveries.incrementAndGet();
          if (applied.putIfAbsent(event.id(), Boolean.TRUE) != null) {
            reapplied.incrementAndGet();
          }
          if (applied.size() >= total / 2) {
            half.tryComplete();
          }
          if (applied.size() == total) {
            all.tryComplete();
          }
          return Future.succeededFuture();
        };

    KafkaEventConsumer first =
        new KafkaEventConsumer(
            vertx,
            kafka.bootstrapServers(),
            List.of(topic),
            config(group, 1000, 3_600_000),
            idempotent);
    first.start().await(60, TimeUnit.SECONDS);
    half.future().await(120, TimeUnit.SECONDS);
    first.crash().await(60, TimeUnit.SECONDS);
    int handledBeforeCrash = applied.size();

    KafkaEventConsumer second =
        new KafkaEventConsumer(
            vertx, kafka.bootstrapServers(), List.of(topic), config(group, 1000, 200), idempotent);
    consumers.add(second);
    second.start().await(60, TimeUnit.SECONDS);
    all.future().await(180, TimeUnit.SECONDS);

    assertThat(applied.keySet()).isEqualTo(sent);
    ConsumerStats stats = second.stats();
    // Nothing was committed before the crash: the second consumer met every handled event again
    // and skipped it through the processed-ids store, save those whose id was still in flight.
    assertThat(stats.duplicates()).isGreaterThanOrEqualTo(handledBeforeCrash - 1_500L);
    assertThat(stats.dedupeWriteFailures()).isZero();
    assertThat(deliveries.get() - total).isLessThanOrEqualTo(1_500);
    assertThat(reapplied.get()).isEqualTo(deliveries.get() - total);
  }

  @Test
  @Timeout(120)
  @DisplayName(
      "parks poison records in the DLT with their headers while the partition flows, and replays them")
  void shouldParkPoisonRecordsAndReplayThem(EmbeddedKafkaBroker kafka) throws Exception {
    String topic = "poison-" + UUID.randomUUID();
    AtomicBoolean providerFixed = new AtomicBoolean(false);
    Set<String> handled = ConcurrentHashMap.newKeySet();
    Promise<Void> goodOnesDone = Promise.promise();
    Promise<Void> poisonReplayed = Promise.promise();
    EventHandler handler =
        event -> {
          if (event.subject().equals("poison") && !providerFixed.get()) {
            return Future.failedFuture(new IllegalStateException("payment provider down"));
          }
          handled.add(event.subject());
          if (handled.containsAll(List.of("good-1", "good-2", "good-3"))) {
            goodOnesDone.tryComplete();
          }
          if (handled.contains("poison")) {
            poisonReplayed.tryComplete();
          }
          return Future.succeededFuture();
        };
    try (KafkaProducer<String, byte[]> raw = rawProducer(kafka);
        KafkaProducer<String, Event<?>> events = eventProducer(kafka)) {
      events.send(record(topic, placed("good-1"))).get();
      raw.send(
              new ProducerRecord<>(
                  topic,
                  0,
                  "bad-bytes",
                  new byte[] {(byte) 0xff, 1},
                  headers("courier.v1.OrderPlaced")))
          .get();
      raw.send(
              new ProducerRecord<>(
                  topic, 0, "unknown", new byte[] {8, 1}, headers("courier.v1.Nope")))
          .get();
      events.send(record(topic, placed("poison"))).get();
      events.send(record(topic, placed("good-2"))).get();
      events.send(record(topic, placed("good-3"))).get();
    }
    ConsumerConfig config =
        new ConsumerConfig(
            "poison-" + UUID.randomUUID(),
            100,
            2,
            10,
            50,
            1,
            300,
            10_000,
            1,
            100,
            3_600_000,
            5_000);
    KafkaEventConsumer consumer =
        new KafkaEventConsumer(vertx, kafka.bootstrapServers(), List.of(topic), config, handler);
    consumers.add(consumer);
    consumer.start().await(60, TimeUnit.SECONDS);

    goodOnesDone.future().await(60, TimeUnit.SECONDS);
    DeadLetters deadLetters = new DeadLetters(vertx, kafka.bootstrapServers());
    List<DeadLetters.DeadLetter> parked = awaitDeadLetters(deadLetters, topic, 3);

    assertThat(parked)
        .extracting(DeadLetters.DeadLetter::key)
        .containsExactlyInAnyOrder("bad-bytes", "unknown", "poison");
    DeadLetters.DeadLetter poison = byKey(parked, "poison");
    assertThat(poison.headers())
        .containsEntry(DeliveryHeaders.ERROR_CLASS, IllegalStateException.class.getName())
        .containsEntry(DeliveryHeaders.ERROR_MESSAGE, "payment provider down")
        .containsEntry(DeliveryHeaders.ATTEMPTS, "4")
        .containsEntry(DeliveryHeaders.RETRIES, "1")
        .containsEntry(DeliveryHeaders.ORIGINAL_TOPIC, topic)
        .containsEntry("ce_type", "courier.v1.OrderPlaced");
    assertThat(byKey(parked, "unknown").error())
        .isEqualTo(
            EventDecodingException.class.getName() + ": unknown event type 'courier.v1.Nope'");
    assertThat(byKey(parked, "bad-bytes").error())
        .contains("cannot decode courier.v1.OrderPlaced payload");
    assertThat(consumer.stats().undecodable()).isEqualTo(2);
    assertThat(consumer.stats().sentToRetry()).isEqualTo(1);

    providerFixed.set(true);
    int replayed = deadLetters.replay(topic).await(60, TimeUnit.SECONDS);

    assertThat(replayed).isEqualTo(3);
    poisonReplayed.future().await(60, TimeUnit.SECONDS);
    assertThat(deadLetters.replay(topic).await(60, TimeUnit.SECONDS))
        .as("replay remembers how far it got")
        .isLessThanOrEqualTo(2);
  }

  @Test
  @Timeout(120)
  @DisplayName("waits out a dependency that says retry-later instead of dead-lettering the event")
  void shouldWaitOutRetryLaterWithoutSpendingAttempts(EmbeddedKafkaBroker kafka) throws Exception {
    String topic = "later-" + UUID.randomUUID();
    AtomicInteger calls = new AtomicInteger();
    Promise<Void> handled = Promise.promise();
    // Two in-place attempts and one pass through the retry topic would park a failing record
    // after four calls; this one is refused twelve times, then handled.
    EventHandler handler =
        event -> {
          if (calls.incrementAndGet() <= 12) {
            return Future.failedFuture(
                new io.courier.runtime.kafka.RetryLaterException(
                    "payment provider: circuit breaker open", null));
          }
          handled.tryComplete();
          return Future.succeededFuture();
        };
    try (KafkaProducer<String, Event<?>> events = eventProducer(kafka)) {
      events.send(record(topic, placed("waits"))).get();
    }
    ConsumerConfig config =
        new ConsumerConfig(
            "later-" + UUID.randomUUID(), 100, 2, 10, 40, 1, 300, 10_000, 1, 100, 3_600_000, 5_000);
    KafkaEventConsumer consumer =
        new KafkaEventConsumer(vertx, kafka.bootstrapServers(), List.of(topic), config, handler);
    consumers.add(consumer);
    consumer.start().await(60, TimeUnit.SECONDS);

    handled.future().await(60, TimeUnit.SECONDS);

    assertThat(calls.get()).isEqualTo(13);
    assertThat(consumer.stats().sentToRetry()).isZero();
    assertThat(consumer.stats().sentToDeadLetter()).isZero();
    assertThat(consumer.stats().retriedInPlace()).isEqualTo(12);
  }

  @Test
  @Timeout(120)
  @DisplayName(
      "dead-letters an event whose dependency stays down past retryLaterMaxMs, and its key moves"
          + " on")
  void shouldDeadLetterRetryLaterPastItsBound(EmbeddedKafkaBroker kafka) throws Exception {
    String topic = "later-bound-" + UUID.randomUUID();
    Promise<Void> nextHandled = Promise.promise();
    EventHandler handler =
        event -> {
          if (event.id().equals("stuck")) {
            return Future.failedFuture(
                new io.courier.runtime.kafka.RetryLaterException("provider down for good", null));
          }
          nextHandled.tryComplete();
          return Future.succeededFuture();
        };
    try (KafkaProducer<String, Event<?>> events = eventProducer(kafka)) {
      // Same key: the second waits behind the first, until the first is dead-lettered.
      events.send(record(topic, withId(placed("same-key"), "stuck"))).get(30, TimeUnit.SECONDS);
      events.send(record(topic, placed("same-key"))).get(30, TimeUnit.SECONDS);
    }
    ConsumerConfig config =
        new ConsumerConfig(
            "later-bound-" + UUID.randomUUID(), 100, 2, 10, 40, 1, 300, 10_000, 1, 100, 500, 5_000);
    KafkaEventConsumer consumer =
        new KafkaEventConsumer(vertx, kafka.bootstrapServers(), List.of(topic), config, handler);
    consumers.add(consumer);
    consumer.start().await(60, TimeUnit.SECONDS);

    nextHandled.future().await(60, TimeUnit.SECONDS);

    Map<String, String> parked = headersOfFirst(kafka, topic + DeliveryHeaders.DLT_SUFFIX);
    assertThat(parked)
        .containsEntry(DeliveryHeaders.ERROR_CLASS, RetryLaterExhaustedException.class.getName())
        .containsEntry(DeliveryHeaders.ORIGINAL_TOPIC, topic);
    assertThat(parked.get(DeliveryHeaders.ERROR_MESSAGE))
        .startsWith("waited ")
        .endsWith("ms for a dependency: provider down for good");
    assertThat(consumer.stats().sentToDeadLetter()).isEqualTo(1);
    assertThat(consumer.stats().sentToRetry()).as("not through the retry topic").isZero();
  }

  @Test
  @Timeout(120)
  @DisplayName(
      "keeps per-key order while handling different keys in parallel, never more at once than its"
          + " in-flight bound")
  void shouldKeepPerKeyOrderUnderBoundedParallelism(EmbeddedKafkaBroker kafka) throws Exception {
    String topic = "order-" + UUID.randomUUID();
    // More keys than the bound, so that only the bound keeps the handlers running at once down.
    int keys = 40;
    int perKey = 50;
    int maxInFlight = 16;
    List<Event<?>> events = new ArrayList<>();
    for (int seq = 0; seq < perKey; seq++) {
      for (int key = 0; key < keys; key++) {
        events.add(
            Event.of(
                "/test",
                "key-" + key,
                OrderPlaced.newBuilder()
                    .setOrder(Order.newBuilder().setId(Integer.toString(seq)))
                    .build()));
      }
    }
    try (KafkaProducer<String, Event<?>> producer = eventProducer(kafka)) {
      for (Event<?> event : events) {
        producer.send(record(topic, event));
      }
      producer.flush();
    }
    Map<String, List<Integer>> seen = new ConcurrentHashMap<>();
    AtomicInteger active = new AtomicInteger();
    AtomicInteger maxActive = new AtomicInteger();
    AtomicInteger done = new AtomicInteger();
    Promise<Void> finished = Promise.promise();
    EventHandler handler =
        event -> {
          maxActive.accumulateAndGet(active.incrementAndGet(), Math::max);
          seen.computeIfAbsent(event.subject(), k -> new CopyOnWriteArrayList<>())
              .add(Integer.parseInt(((OrderPlaced) event.data()).getOrder().getId()));
          Promise<Void> later = Promise.promise();
          vertx.setTimer(
              1 + ThreadLocalRandom.current().nextInt(3),
              id -> {
                active.decrementAndGet();
                later.complete();
                if (done.incrementAndGet() == keys * perKey) {
                  finished.tryComplete();
                }
              });
          return later.future();
        };
    KafkaEventConsumer consumer =
        new KafkaEventConsumer(
            vertx,
            kafka.bootstrapServers(),
            List.of(topic),
            config("order-" + UUID.randomUUID(), maxInFlight, 200),
            handler);
    consumers.add(consumer);
    consumer.start().await(60, TimeUnit.SECONDS);
    finished.future().await(90, TimeUnit.SECONDS);

    assertThat(seen).hasSize(keys);
    seen.values().forEach(sequence -> assertThat(sequence).isSorted().hasSize(perKey));
    assertThat(maxActive.get())
        .as("keys ran in parallel, at most maxInFlight at once")
        .isBetween(2, maxInFlight);
  }

  @Test
  @Timeout(120)
  @DisplayName("pauses its partitions under back-pressure and resumes without leaving the group")
  void shouldPauseUnderBackPressure(EmbeddedKafkaBroker kafka) throws Exception {
    String topic = "pressure-" + UUID.randomUUID();
    int total = 600;
    publish(kafka, topic, total, i -> "k-" + i);
    AtomicInteger done = new AtomicInteger();
    Promise<Void> finished = Promise.promise();
    EventHandler slow =
        event -> {
          Promise<Void> later = Promise.promise();
          vertx.setTimer(
              2,
              id -> {
                later.complete();
                if (done.incrementAndGet() == total) {
                  finished.tryComplete();
                }
              });
          return later.future();
        };
    KafkaEventConsumer consumer =
        new KafkaEventConsumer(
            vertx,
            kafka.bootstrapServers(),
            List.of(topic),
            config("pressure-" + UUID.randomUUID(), 20, 100),
            slow);
    consumers.add(consumer);
    consumer.start().await(60, TimeUnit.SECONDS);
    finished.future().await(90, TimeUnit.SECONDS);

    ConsumerStats stats = consumer.stats();
    assertThat(stats.pauses()).isPositive();
    assertThat(stats.handled()).isEqualTo(total);
    assertThat(stats.received()).isEqualTo(total);
    assertThat(stats.lag()).isNotEmpty();
    assertThat(stats.meanHandlerMillis()).isPositive();
  }

  @Test
  @Timeout(120)
  @DisplayName("holds a record on the retry topic until its courier_retry_at time, then handles it")
  void shouldHoldRetryTopicRecordsUntilTheirRetryTime(EmbeddedKafkaBroker kafka) throws Exception {
    String topic = "delay-" + UUID.randomUUID();
    long retryDelayMs = 1_500;
    List<Long> calls = new CopyOnWriteArrayList<>();
    Promise<Void> handledAgain = Promise.promise();
    EventHandler failsOnce =
        event -> {
          calls.add(System.currentTimeMillis());
          if (calls.size() == 1) {
            return Future.failedFuture(new IllegalStateException("payment provider down"));
          }
          handledAgain.tryComplete();
          return Future.succeededFuture();
        };
    try (KafkaProducer<String, Event<?>> events = eventProducer(kafka)) {
      events.send(record(topic, placed("delayed"))).get(30, TimeUnit.SECONDS);
    }
    // One attempt in place, then one pass through the retry topic, retryDelayMs later.
    ConsumerConfig config =
        new ConsumerConfig(
            "delay-" + UUID.randomUUID(),
            100,
            1,
            10,
            50,
            1,
            retryDelayMs,
            10_000,
            1,
            100,
            3_600_000,
            5_000);
    KafkaEventConsumer consumer =
        new KafkaEventConsumer(vertx, kafka.bootstrapServers(), List.of(topic), config, failsOnce);
    consumers.add(consumer);
    consumer.start().await(60, TimeUnit.SECONDS);
    handledAgain.future().await(60, TimeUnit.SECONDS);

    Map<String, String> retried = headersOfFirst(kafka, topic + DeliveryHeaders.RETRY_SUFFIX);
    long retryAt = Long.parseLong(retried.get(DeliveryHeaders.RETRY_AT));
    assertThat(calls).hasSize(2);
    assertThat(retryAt)
        .as("the retry time is the configured delay after the failure")
        .isGreaterThanOrEqualTo(calls.get(0) + retryDelayMs);
    assertThat(calls.get(1))
        .as("handled again no earlier than its retry time")
        .isGreaterThanOrEqualTo(retryAt);
    assertThat(retried)
        .containsEntry(DeliveryHeaders.RETRIES, "1")
        .containsEntry(DeliveryHeaders.ATTEMPTS, "1")
        .containsEntry(DeliveryHeaders.ERROR_MESSAGE, "payment provider down");
    assertThat(consumer.stats().sentToRetry()).isEqualTo(1);
    assertThat(consumer.stats().sentToDeadLetter()).isZero();
  }

  @Test
  @Timeout(120)
  @DisplayName(
      "on stop, lets in-flight handlers finish within the deadline and commits them: the group"
          + " never gets them again")
  void shouldFinishInFlightHandlersAndCommitOnStop(EmbeddedKafkaBroker kafka) throws Exception {
    String topic = "drain-" + UUID.randomUUID();
    String group = "drain-" + UUID.randomUUID();
    int total = 10;
    Set<String> sent = publish(kafka, topic, total, i -> "k-" + i);
    // Handlers hold their records until released; the list is touched on the consumer's context.
    List<Promise<Void>> held = new ArrayList<>();
    AtomicReference<io.vertx.core.Context> handlerContext = new AtomicReference<>();
    Set<String> finished = ConcurrentHashMap.newKeySet();
    Promise<Void> allInFlight = Promise.promise();
    EventHandler holding =
        event -> {
          handlerContext.set(Vertx.currentContext());
          Promise<Void> release = Promise.promise();
          held.add(release);
          if (held.size() == total) {
            allInFlight.tryComplete();
          }
          return release.future().onSuccess(v -> finished.add(event.id()));
        };
    // No periodic commit before stop: only the final commit can cover these records.
    KafkaEventConsumer first =
        new KafkaEventConsumer(
            vertx, kafka.bootstrapServers(), List.of(topic), config(group, 100, 600_000), holding);
    consumers.add(first);
    first.start().await(60, TimeUnit.SECONDS);
    allInFlight.future().await(60, TimeUnit.SECONDS);
    assertThat(first.stats().inFlight()).isEqualTo(total);

    Future<Void> stopped = first.stop(Duration.ofSeconds(20));
    // Released a little after stop, so the consumer is draining while they finish.
    handlerContext
        .get()
        .runOnContext(v -> vertx.setTimer(200, id -> held.forEach(Promise::complete)));
    stopped.await(30, TimeUnit.SECONDS);

    assertThat(finished).as("every in-flight handler finished").isEqualTo(sent);
    assertThat(first.stats().inFlight()).isZero();
    assertThat(first.stats().handled()).isEqualTo(total);
    assertThat(committed(kafka, group))
        .as("the final commit covers every record, so they finished within the deadline")
        .containsExactly(Map.entry(new TopicPartition(topic, 0), (long) total));

    Event<OrderPlaced> marker = placed("marker");
    Promise<Void> markerSeen = Promise.promise();
    List<String> redelivered = new CopyOnWriteArrayList<>();
    KafkaEventConsumer second =
        new KafkaEventConsumer(
            vertx,
            kafka.bootstrapServers(),
            List.of(topic),
            config(group, 100, 200),
            event -> {
              if (event.id().equals(marker.id())) {
                markerSeen.tryComplete();
              } else {
                redelivered.add(event.id());
              }
              return Future.succeededFuture();
            });
    consumers.add(second);
    second.start().await(60, TimeUnit.SECONDS);
    try (KafkaProducer<String, Event<?>> events = eventProducer(kafka)) {
      events.send(record(topic, marker)).get(30, TimeUnit.SECONDS);
    }
    markerSeen.future().await(60, TimeUnit.SECONDS);

    assertThat(redelivered).isEmpty();
    assertThat(second.stats().received()).as("only the record sent after the stop").isEqualTo(1);
    assertThat(second.stats().duplicates()).isZero();
  }

  @Test
  @Timeout(120)
  @DisplayName(
      "in a rebalance, lets the handler running on a partition it gives up finish and commits it"
          + " before the member joining gets the partition: the record is handled once")
  void shouldFinishRunningHandlersBeforeGivingAPartitionUp(EmbeddedKafkaBroker kafka)
      throws Exception {
    String topic = "handover-" + UUID.randomUUID();
    String group = "handover-" + UUID.randomUUID();
    TopicPartition partition = new TopicPartition(topic, 0);
    Event<OrderPlaced> held = placed("held");
    Event<OrderPlaced> marker = placed("marker");
    // What happened, in the order it happened: "A started <id>", "released", "B handled <id>".
    List<String> events = new CopyOnWriteArrayList<>();
    Promise<Void> releaseHeld = Promise.promise();
    AtomicReference<io.vertx.core.Context> heldOn = new AtomicReference<>();
    Promise<Void> heldStarted = Promise.promise();
    Promise<Void> markerHandled = Promise.promise();
    try (Admin admin = admin(kafka)) {
      // One partition: whichever member the group gives it to, this one record decides the test.
      admin
          .createTopics(List.of(new NewTopic(topic, 1, (short) 1)))
          .all()
          .get(30, TimeUnit.SECONDS);
      try (KafkaProducer<String, Event<?>> producer = eventProducer(kafka)) {
        producer.send(record(topic, held)).get(30, TimeUnit.SECONDS);
      }
      // Only the commit on revocation can cover the held record; it may wait up to a minute.
      KafkaEventConsumer first =
          new KafkaEventConsumer(
              vertx,
              kafka.bootstrapServers(),
              List.of(topic),
              config(group, 100, 600_000, 60_000),
              event -> {
                events.add("A started " + event.subject());
                if (event.id().equals(marker.id())) {
                  markerHandled.tryComplete();
                  return Future.succeededFuture();
                }
                heldOn.set(Vertx.currentContext());
                heldStarted.tryComplete();
                return releaseHeld.future();
              });
      consumers.add(first);
      first.start().await(60, TimeUnit.SECONDS);
      heldStarted.future().await(60, TimeUnit.SECONDS);

      KafkaEventConsumer second =
          new KafkaEventConsumer(
              vertx,
              kafka.bootstrapServers(),
              List.of(topic),
              config(group, 100, 200),
              event -> {
                events.add("B handled " + event.subject());
                if (event.id().equals(marker.id())) {
                  markerHandled.tryComplete();
                }
                return Future.succeededFuture();
              });
      consumers.add(second);
      second.start().await(60, TimeUnit.SECONDS);
      await(
          "the first member, told of the second one's join, waits for its held handler",
          () -> releasing(first).contains(partition.toString()));

      assertThat(groupState(admin, group))
          .as("the rebalance waits for the first member, whose handler still runs")
          .isEqualTo(GroupState.PREPARING_REBALANCE);
      assertThat(second.stats().received()).as("nothing reached the second member").isZero();
      assertThat(committed(admin, group).getOrDefault(partition, 0L))
          .as("nothing committed past the held record yet")
          .isZero();
      events.add("released");
      heldOn.get().runOnContext(v -> releaseHeld.complete());
      await(
          "both members hold their partitions",
          () -> {
            ConsumerGroupDescription described = describe(admin, group);
            return described.groupState() == GroupState.STABLE && described.members().size() == 2;
          });

      assertThat(committed(admin, group))
          .as("the first member committed the held record on revocation")
          .containsEntry(partition, 1L);
      assertThat(first.stats().handled()).isEqualTo(1);
      assertThat(first.stats().releaseTimeouts()).isZero();
      assertThat(releasing(first)).isEmpty();

      try (KafkaProducer<String, Event<?>> producer = eventProducer(kafka)) {
        producer.send(record(topic, marker)).get(30, TimeUnit.SECONDS);
      }
      markerHandled.future().await(60, TimeUnit.SECONDS);
    }

    assertThat(events)
        .as("the held record was handled once, by the first member, before anything on the second")
        .startsWith("A started held", "released")
        .containsOnlyOnce("A started held")
        .doesNotContain("B handled held");
    assertThat(events.subList(2, events.size()))
        .as("then only the marker, by whichever member the group gave the partition")
        .containsAnyOf("A started marker", "B handled marker")
        .hasSize(1);
  }

  @Test
  @Timeout(120)
  @DisplayName(
      "exports handler latency as a timer per group, topic and outcome, with the SLO buckets")
  void shouldExportHandlerLatencyAsTimer(EmbeddedKafkaBroker kafka) throws Exception {
    PrometheusMeterRegistry registry =
        CourierMetrics.install(new VertxOptions(), new MetricsConfig(true, List.of(10L, 100L)))
            .orElseThrow();
    KafkaObservability observed =
        new KafkaObservability(Meters.of(registry), KafkaTracing.none(), Readiness.create(vertx));
    try {
      String topic = "timed-" + UUID.randomUUID();
      String group = "timed-" + UUID.randomUUID();
      publish(kafka, topic, 3, i -> "k-" + i);
      AtomicBoolean failedOnce = new AtomicBoolean();
      AtomicInteger handled = new AtomicInteger();
      Promise<Void> allHandled = Promise.promise();
      EventHandler flakyOnce =
          event -> {
            if (failedOnce.compareAndSet(false, true)) {
              return Future.failedFuture(new IllegalStateException("flaky"));
            }
            if (handled.incrementAndGet() == 3) {
              allHandled.tryComplete();
            }
            return Future.succeededFuture();
          };
      KafkaEventConsumer consumer =
          new KafkaEventConsumer(
              vertx,
              KafkaConnection.plaintext(kafka.bootstrapServers()),
              List.of(topic),
              config(group, 100, 200),
              TopicsConfig.DEFAULTS,
              flakyOnce,
              observed);
      consumers.add(consumer);
      consumer.start().await(60, TimeUnit.SECONDS);
      allHandled.future().await(60, TimeUnit.SECONDS);
      // Stopping waits for the handlers' completions, where the timer records.
      consumer.stop(Duration.ofSeconds(10)).await(30, TimeUnit.SECONDS);

      String tags = "group=\"" + group + "\",outcome=\"%s\",topic=\"" + topic + "\"";
      String scrape = registry.scrape();
      assertThat(scrape)
          .contains(
              "courier_kafka_consumer_handler_seconds_count{" + tags.formatted("success") + "} 3")
          .contains(
              "courier_kafka_consumer_handler_seconds_count{" + tags.formatted("failure") + "} 1")
          .contains(
              "courier_kafka_consumer_handler_seconds_count{"
                  + tags.formatted("retry_later")
                  + "} 0")
          .contains(
              "courier_kafka_consumer_handler_seconds_bucket{"
                  + tags.formatted("success")
                  + ",le=\"0.1\"}")
          .contains(
              "courier_kafka_consumer_handler_seconds_bucket{"
                  + tags.formatted("success")
                  + ",le=\"+Inf\"} 3");
    } finally {
      registry.close();
    }
  }

  private static Map<String, String> headersOfFirst(EmbeddedKafkaBroker kafka, String topic) {
    try (KafkaConsumer<String, byte[]> reader =
        new KafkaConsumer<>(
            Map.of(
                org.apache.kafka.clients.consumer.ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG,
                kafka.bootstrapServers(),
                org.apache.kafka.clients.consumer.ConsumerConfig.GROUP_ID_CONFIG,
                "reader-" + UUID.randomUUID(),
                org.apache.kafka.clients.consumer.ConsumerConfig.AUTO_OFFSET_RESET_CONFIG,
                "earliest"),
            new StringDeserializer(),
            new ByteArrayDeserializer())) {
      reader.subscribe(List.of(topic));
      long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
      while (System.nanoTime() < deadline) {
        for (ConsumerRecord<String, byte[]> record : reader.poll(Duration.ofMillis(200))) {
          Map<String, String> headers = new HashMap<>();
          record.headers().forEach(h -> headers.put(h.key(), new String(h.value(), UTF_8)));
          return headers;
        }
      }
      throw new AssertionError("no record on " + topic + " within 30 s");
    }
  }

  private static Map<TopicPartition, Long> committed(EmbeddedKafkaBroker kafka, String group)
      throws Exception {
    try (Admin admin = admin(kafka)) {
      return committed(admin, group);
    }
  }

  private static Map<TopicPartition, Long> committed(Admin admin, String group) throws Exception {
    Map<TopicPartition, Long> offsets = new HashMap<>();
    admin
        .listConsumerGroupOffsets(group)
        .partitionsToOffsetAndMetadata()
        .get(30, TimeUnit.SECONDS)
        .forEach((partition, offset) -> offsets.put(partition, offset.offset()));
    return offsets;
  }

  private static Admin admin(EmbeddedKafkaBroker kafka) {
    return Admin.create(
        Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, kafka.bootstrapServers()));
  }

  private static ConsumerGroupDescription describe(Admin admin, String group) {
    try {
      return admin
          .describeConsumerGroups(List.of(group))
          .describedGroups()
          .get(group)
          .get(30, TimeUnit.SECONDS);
    } catch (Exception e) {
      throw new AssertionError("could not describe group " + group, e);
    }
  }

  /** The partitions {@code consumer} is waiting to give up, as its readiness check shows them. */
  private static List<Object> releasing(KafkaEventConsumer consumer) {
    JsonArray partitions = consumer.health().getData().getJsonArray("releasing");
    return partitions == null ? List.of() : partitions.getList();
  }

  private static GroupState groupState(Admin admin, String group) {
    return describe(admin, group).groupState();
  }

  /** Checks {@code condition} every 100 ms until it holds; fails after 60 s. */
  private static void await(String what, BooleanSupplier condition) {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
    while (!condition.getAsBoolean()) {
      if (System.nanoTime() - deadline > 0) {
        throw new AssertionError("timed out waiting until " + what);
      }
      CompletableFuture.runAsync(
              () -> {}, CompletableFuture.delayedExecutor(100, TimeUnit.MILLISECONDS))
          .join();
    }
  }

  private static ConsumerConfig config(String group, int maxInFlight, long commitIntervalMs) {
    return config(group, maxInFlight, commitIntervalMs, 5_000);
  }

  private static ConsumerConfig config(
      String group, int maxInFlight, long commitIntervalMs, long releaseTimeoutMs) {
    return new ConsumerConfig(
        group,
        maxInFlight,
        3,
        10,
        100,
        1,
        200,
        200_000,
        1,
        commitIntervalMs,
        3_600_000,
        releaseTimeoutMs);
  }

  private static List<DeadLetters.DeadLetter> awaitDeadLetters(
      DeadLetters deadLetters, String topic, int count) throws Exception {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
    List<DeadLetters.DeadLetter> letters = List.of();
    while (letters.size() < count && System.nanoTime() < deadline) {
      letters = deadLetters.list(topic, 100).await(30, TimeUnit.SECONDS);
    }
    return letters;
  }

  private static DeadLetters.DeadLetter byKey(List<DeadLetters.DeadLetter> letters, String key) {
    return letters.stream().filter(l -> key.equals(l.key())).findFirst().orElseThrow();
  }

  private static Set<String> publish(
      EmbeddedKafkaBroker kafka,
      String topic,
      int count,
      java.util.function.IntFunction<String> key)
      throws Exception {
    Set<String> ids = new HashSet<>();
    try (KafkaProducer<String, Event<?>> producer = eventProducer(kafka)) {
      for (int i = 0; i < count; i++) {
        Event<OrderPlaced> event =
            Event.of(
                "/test",
                key.apply(i),
                OrderPlaced.newBuilder().setOrder(Order.newBuilder().setId("o-" + i)).build());
        ids.add(event.id());
        producer.send(record(topic, event));
      }
      producer.flush();
    }
    return ids;
  }

  /** {@code event} with the id {@code id}. */
  private static <T extends com.google.protobuf.Message> Event<T> withId(
      Event<T> event, String id) {
    return new Event<>(
        id,
        event.type(),
        event.source(),
        event.time(),
        event.subject(),
        event.schemaVersion(),
        event.traceparent(),
        event.tracestate(),
        event.data());
  }

  private static Event<OrderPlaced> placed(String subject) {
    return Event.of(
        "/test",
        subject,
        OrderPlaced.newBuilder().setOrder(Order.newBuilder().setId(subject)).build());
  }

  private static ProducerRecord<String, Event<?>> record(String topic, Event<?> event) {
    return new ProducerRecord<>(topic, 0, event.subject(), event);
  }

  private static RecordHeaders headers(String type) {
    RecordHeaders headers = new RecordHeaders();
    headers.add("ce_specversion", "1.0".getBytes(UTF_8));
    headers.add("ce_id", UUID.randomUUID().toString().getBytes(UTF_8));
    headers.add("ce_type", type.getBytes(UTF_8));
    headers.add("ce_source", "/test".getBytes(UTF_8));
    headers.add("ce_time", "2026-11-22T10:00:00Z".getBytes(UTF_8));
    headers.add("ce_subject", "x".getBytes(UTF_8));
    return headers;
  }

  private static KafkaProducer<String, Event<?>> eventProducer(EmbeddedKafkaBroker kafka) {
    return new KafkaProducer<>(
        Map.of(
            ProducerConfig.BOOTSTRAP_SERVERS_CONFIG,
            kafka.bootstrapServers(),
            ProducerConfig.ACKS_CONFIG,
            "all",
            ProducerConfig.LINGER_MS_CONFIG,
            5),
        new StringSerializer(),
        new EventSerializer());
  }

  private static KafkaProducer<String, byte[]> rawProducer(EmbeddedKafkaBroker kafka) {
    return new KafkaProducer<>(
        Map.of(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, kafka.bootstrapServers()),
        new StringSerializer(),
        new ByteArraySerializer());
  }
}
