package io.courier.runtime.kafka.impl;

import static org.assertj.core.api.Assertions.assertThat;

import io.courier.codec.Event;
import io.courier.codec.kafka.EventDeserializer;
import io.courier.contract.v1.Order;
import io.courier.contract.v1.OrderPlaced;
import io.courier.kafka.embedded.EmbeddedKafkaBroker;
import io.courier.kafka.embedded.SharedKafkaBroker;
import io.courier.runtime.config.KafkaConfig.ProducerConfig;
import io.courier.runtime.kafka.EventPublisher;
import io.courier.runtime.kafka.KafkaObservability;
import io.courier.runtime.kafka.OverloadException;
import io.vertx.core.Context;
import io.vertx.core.DeploymentOptions;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.ThreadingModel;
import io.vertx.core.VerticleBase;
import io.vertx.core.Vertx;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

@ExtendWith(SharedKafkaBroker.class)
@DisplayName("The Kafka event publisher")
class KafkaEventPublisherIT {

  private final Vertx vertx = Vertx.vertx();

  @AfterEach
  void close() throws Exception {
    vertx.close().await(30, TimeUnit.SECONDS);
  }

  @Test
  @Timeout(60)
  @DisplayName("fails fast with an overload error past its in-flight bound, instead of buffering")
  void shouldFailFastPastInFlightBound(EmbeddedKafkaBroker kafka) throws Exception {
    KafkaEventPublisher publisher =
        KafkaEventPublisher.create(
                vertx,
                kafka.bootstrapServers(),
                new ProducerConfig(5, 30_000, 1_048_576, 1, 131_072),
                KafkaObservability.none(vertx))
            .await(30, TimeUnit.SECONDS);
    String topic = "overload-" + UUID.randomUUID();

    List<Future<?>> both =
        List.of(publisher.publish(topic, placed("a")), publisher.publish(topic, placed("b")));

    Throwable refused =
        both.get(1)
            .toCompletionStage()
            .handle((r, e) -> e)
            .toCompletableFuture()
            .get(10, TimeUnit.SECONDS);
    assertThat(refused)
        .isInstanceOf(OverloadException.class)
        .hasMessageContaining("kafka.producer.maxInFlight");
    assertThat(both.get(0).await(30, TimeUnit.SECONDS)).isNotNull();
    publisher.close(Duration.ofSeconds(5)).await(30, TimeUnit.SECONDS);
  }

  @Test
  @Timeout(60)
  @DisplayName("completes each publish on the caller's context, event loop or worker")
  void shouldCompleteOnTheCallersContext(EmbeddedKafkaBroker kafka) throws Exception {
    KafkaEventPublisher publisher =
        KafkaEventPublisher.create(
                vertx,
                kafka.bootstrapServers(),
                new ProducerConfig(5, 30_000, 1_048_576, 100, 131_072),
                KafkaObservability.none(vertx))
            .await(30, TimeUnit.SECONDS);
    String topic = "context-" + UUID.randomUUID();

    for (ThreadingModel model : List.of(ThreadingModel.EVENT_LOOP, ThreadingModel.WORKER)) {
      PublishingVerticle caller = new PublishingVerticle(publisher, topic);
      vertx
          .deployVerticle(caller, new DeploymentOptions().setThreadingModel(model))
          .await(30, TimeUnit.SECONDS);
      Completion completion = caller.completion.future().await(30, TimeUnit.SECONDS);

      assertThat(completion.published().topic()).isEqualTo(topic);
      assertThat(completion.context())
          .as("%s caller: completed on its context", model)
          .isSameAs(completion.callerContext());
      assertThat(completion.onEventLoop())
          .as("%s caller: completed on its kind of thread", model)
          .isEqualTo(model == ThreadingModel.EVENT_LOOP);
    }
    publisher.close(Duration.ofSeconds(5)).await(30, TimeUnit.SECONDS);
  }

  @Test
  @Timeout(120)
  @DisplayName(
      "refuses events past its in-flight byte bound with an overload error, and delivers every"
          + " event it accepted")
  void shouldRefusePastInFlightByteBoundAndDeliverWhatItAccepted(EmbeddedKafkaBroker kafka)
      throws Exception {
    // The count bound is far away: only the bytes (half the producer's 64 MiB buffer) can refuse.
    KafkaEventPublisher publisher =
        KafkaEventPublisher.create(
                vertx,
                kafka.bootstrapServers(),
                new ProducerConfig(5, 60_000, 1_048_576, 10_000, 131_072),
                KafkaObservability.none(vertx))
            .await(30, TimeUnit.SECONDS);
    String topic = "bytes-" + UUID.randomUUID();
    // 80 events of ~900 KB, published in one go: about 72 MB against a bound of 32 MiB.
    OrderPlaced large =
        OrderPlaced.newBuilder()
            .setOrder(Order.newBuilder().setId("large").setCancelReason("x".repeat(900_000)))
            .build();
    List<Event<OrderPlaced>> events = new ArrayList<>();
    for (int i = 0; i < 80; i++) {
      events.add(Event.of("/test", "large-" + i, large));
    }
    Promise<List<Future<EventPublisher.Published>>> submitted = Promise.promise();
    vertx.runOnContext(
        v ->
            submitted.complete(
                events.stream().map(event -> publisher.publish(topic, event)).toList()));
    List<Future<EventPublisher.Published>> results = submitted.future().await(30, TimeUnit.SECONDS);
    Future.join(results).otherwiseEmpty().await(90, TimeUnit.SECONDS);

    Set<String> accepted = new HashSet<>();
    List<Throwable> refusals = new ArrayList<>();
    int firstRefused = -1;
    for (int i = 0; i < results.size(); i++) {
      if (results.get(i).succeeded()) {
        accepted.add(events.get(i).id());
      } else {
        refusals.add(results.get(i).cause());
        firstRefused = firstRefused < 0 ? i : firstRefused;
      }
    }
    assertThat(refusals)
        .isNotEmpty()
        .allSatisfy(
            refused ->
                assertThat(refused)
                    .isInstanceOf(OverloadException.class)
                    .hasMessageContaining("bytes in flight"));
    assertThat(firstRefused)
        .as("refused only once about 32 MiB were in flight (34 events are 30.6 MB)")
        .isGreaterThanOrEqualTo(34);
    assertThat(accepted.size() + refusals.size())
        .as("every publish not refused was acknowledged")
        .isEqualTo(events.size());
    assertThat(readIds(kafka.bootstrapServers(), topic, accepted.size()))
        .as("the topic holds exactly the accepted events")
        .isEqualTo(accepted);
    Event<OrderPlaced> after = placed("after");
    assertThat(publisher.publish(topic, after).await(30, TimeUnit.SECONDS).topic())
        .as("acknowledged bytes leave the bound")
        .isEqualTo(topic);
    publisher.close(Duration.ofSeconds(5)).await(30, TimeUnit.SECONDS);
  }

  @Test
  @Timeout(180)
  @DisplayName(
      "settles every publish honestly across a broker restart and loses no acknowledged event")
  void shouldLoseNoAcknowledgedEventAcrossBrokerRestart(@TempDir Path dir) throws Exception {
    int port = freePort();
    int controllerPort = freePort();
    EmbeddedKafkaBroker broker = broker(dir, port, controllerPort).start();
    try {
      KafkaEventPublisher publisher =
          KafkaEventPublisher.create(
                  vertx,
                  broker.bootstrapServers(),
                  new ProducerConfig(5, 60_000, 1_048_576, 50_000, 131_072),
                  KafkaObservability.none(vertx))
              .await(30, TimeUnit.SECONDS);
      String topic = "restart-" + UUID.randomUUID();
      int total = 10_000;
      Set<String> acked = ConcurrentHashMap.newKeySet();
      AtomicInteger failed = new AtomicInteger();
      AtomicInteger settled = new AtomicInteger();
      Promise<Void> allSettled = Promise.promise();
      Promise<Void> quarterSent = Promise.promise();
      AtomicInteger sent = new AtomicInteger();
      vertx.setPeriodic(
          10,
          timer -> {
            for (int i = 0; i < 50 && sent.get() < total; i++) {
              Event<OrderPlaced> event = placed("o-" + sent.incrementAndGet());
              publisher
                  .publish(topic, event)
                  .onComplete(
                      ar -> {
                        if (ar.succeeded()) {
                          acked.add(event.id());
                        } else {
                          failed.incrementAndGet();
                        }
                        if (settled.incrementAndGet() == total) {
                          allSettled.tryComplete();
                        }
                      });
            }
            if (sent.get() >= total / 4) {
              quarterSent.tryComplete();
            }
            if (sent.get() >= total) {
              vertx.cancelTimer(timer);
            }
          });

      quarterSent.future().await(60, TimeUnit.SECONDS);
      broker.close();
      broker = broker(dir, port, controllerPort).start();
      allSettled.future().await(120, TimeUnit.SECONDS);
      publisher.close(Duration.ofSeconds(10)).await(30, TimeUnit.SECONDS);

      assertThat(acked.size() + failed.get()).isEqualTo(total);
      assertThat(acked.size())
          .as("most publishes ride out a short outage")
          .isGreaterThan(total / 2);
      assertThat(readIds(broker.bootstrapServers(), topic, acked.size())).containsAll(acked);
    } finally {
      broker.close();
    }
  }

  /** Publishes one event from its start and reports where the completion ran. */
  private static final class PublishingVerticle extends VerticleBase {
    private final KafkaEventPublisher publisher;
    private final String topic;
    final Promise<Completion> completion = Promise.promise();

    PublishingVerticle(KafkaEventPublisher publisher, String topic) {
      this.publisher = publisher;
      this.topic = topic;
    }

    @Override
    public Future<?> start() {
      Context caller = Vertx.currentContext();
      publisher
          .publish(topic, placed("context"))
          .onComplete(
              ar ->
                  completion.handle(
                      ar.map(
                          published ->
                              new Completion(
                                  caller,
                                  Vertx.currentContext(),
                                  Context.isOnEventLoopThread(),
                                  published))));
      return Future.succeededFuture();
    }
  }

  private record Completion(
      Context callerContext,
      Context context,
      boolean onEventLoop,
      EventPublisher.Published published) {}

  private static EmbeddedKafkaBroker broker(Path dir, int port, int controllerPort) {
    return EmbeddedKafkaBroker.builder()
        .dataDir(dir.resolve("kafka"))
        .port(port)
        .controllerPort(controllerPort)
        .build();
  }

  private static Set<String> readIds(String bootstrap, String topic, int atLeast) {
    Set<String> ids = new HashSet<>();
    try (KafkaConsumer<String, Event<?>> consumer =
        new KafkaConsumer<>(
            Map.of(
                ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG,
                bootstrap,
                ConsumerConfig.GROUP_ID_CONFIG,
                "reader-" + UUID.randomUUID(),
                ConsumerConfig.AUTO_OFFSET_RESET_CONFIG,
                "earliest"),
            new StringDeserializer(),
            new EventDeserializer())) {
      consumer.subscribe(List.of(topic));
      long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
      int idle = 0;
      while (System.nanoTime() < deadline && (ids.size() < atLeast || idle < 5)) {
        List<ConsumerRecord<String, Event<?>>> batch = new ArrayList<>();
        consumer.poll(Duration.ofMillis(200)).forEach(batch::add);
        idle = batch.isEmpty() ? idle + 1 : 0;
        batch.forEach(record -> ids.add(record.value().id()));
      }
    }
    return ids;
  }

  private static Event<OrderPlaced> placed(String id) {
    return Event.of(
        "/test", id, OrderPlaced.newBuilder().setOrder(Order.newBuilder().setId(id)).build());
  }

  private static int freePort() {
    return io.courier.kafka.embedded.LoopbackPorts.free();
  }
}
