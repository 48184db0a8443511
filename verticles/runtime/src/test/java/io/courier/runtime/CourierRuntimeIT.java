package io.courier.runtime;

import static org.assertj.core.api.Assertions.assertThat;

import io.courier.codec.Event;
import io.courier.codec.kafka.EventDeserializer;
import io.courier.contract.v1.Order;
import io.courier.contract.v1.OrderPlaced;
import io.courier.kafka.embedded.EmbeddedKafkaBroker;
import io.courier.kafka.embedded.SharedKafkaBroker;
import io.courier.runtime.config.ConfigLoader;
import io.courier.runtime.config.CourierConfig;
import io.courier.runtime.kafka.EventPublisher;
import io.vertx.core.Future;
import io.vertx.ext.healthchecks.CheckResult;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

@ExtendWith(SharedKafkaBroker.class)
@DisplayName("The Courier runtime")
class CourierRuntimeIT {

  private final List<String> journal = new CopyOnWriteArrayList<>();
  private CourierRuntime runtime;

  @AfterEach
  void stopRuntime() throws Exception {
    if (runtime != null && runtime.state() != CourierRuntime.State.STOPPED) {
      runtime.stop(Duration.ofSeconds(20)).await(30, TimeUnit.SECONDS);
    }
  }

  @Test
  @io.vertx.junit5.Timeout(value = 60, timeUnit = TimeUnit.SECONDS)
  @DisplayName("starts roles in order, reports ready, and stops them in reverse order")
  void shouldStartInOrderAndStopInReverse(EmbeddedKafkaBroker kafka) throws Exception {
    CourierConfig config = config(kafka, "first,second");

    runtime = CourierRuntime.start(config, roles()).await(30, TimeUnit.SECONDS);

    assertThat(runtime.state()).isEqualTo(CourierRuntime.State.READY);
    assertThat(journal).containsExactly("start first", "start second");
    CheckResult ready = readiness().await(10, TimeUnit.SECONDS);
    assertThat(ready.getUp()).isTrue();
    assertThat(ready.toJson().encode())
        .contains("\"id\":\"role:first\"", "\"id\":\"role:second\"", "\"id\":\"kafka-producer\"");

    runtime.stop(Duration.ofSeconds(20)).await(30, TimeUnit.SECONDS);

    assertThat(journal).containsExactly("start first", "start second", "stop second", "stop first");
    assertThat(runtime.state()).isEqualTo(CourierRuntime.State.STOPPED);
  }

  @Test
  @io.vertx.junit5.Timeout(value = 60, timeUnit = TimeUnit.SECONDS)
  @DisplayName("fails start-up naming the role that failed, after undoing the roles before it")
  void shouldNameFailingRoleAndUndoEarlierOnes(EmbeddedKafkaBroker kafka) {
    CourierConfig config = config(kafka, "first,broken,second");

    Throwable failure =
        CourierRuntime.start(config, roles())
            .toCompletionStage()
            .handle((r, e) -> e)
            .toCompletableFuture()
            .join();

    assertThat(failure)
        .isInstanceOf(StartupException.class)
        .hasMessage("role 'broken' failed to start: disk on fire");
    assertThat(((StartupException) failure).step()).isEqualTo("role 'broken'");
    assertThat(journal).containsExactly("start first", "stop first");
  }

  @Test
  @io.vertx.junit5.Timeout(value = 60, timeUnit = TimeUnit.SECONDS)
  @DisplayName("is not ready while a role is still starting, and names it")
  void shouldReportNotReadyWhileRoleStarts(EmbeddedKafkaBroker kafka) throws Exception {
    io.vertx.core.Promise<Void> release = io.vertx.core.Promise.promise();
    Map<String, Role> roles = new java.util.HashMap<>(roles());
    io.vertx.core.Promise<RoleContext> slowStarted = io.vertx.core.Promise.promise();
    roles.put(
        "slow",
        role(
            "slow",
            context -> {
              slowStarted.tryComplete(context);
              return release.future();
            }));
    Future<CourierRuntime> starting = CourierRuntime.start(config(kafka, "first,slow"), roles);

    RoleContext context = slowStarted.future().await(30, TimeUnit.SECONDS);
    CheckResult notReady = context.readiness().checks().checkStatus().await(10, TimeUnit.SECONDS);
    assertThat(notReady.getUp()).isFalse();
    assertThat(notReady.toJson().encode())
        .contains("{\"id\":\"role:slow\",\"status\":\"DOWN\"")
        .contains("{\"id\":\"role:first\",\"status\":\"UP\"}");

    release.complete();
    runtime = starting.await(30, TimeUnit.SECONDS);
    assertThat(readiness().await(10, TimeUnit.SECONDS).getUp()).isTrue();
  }

  @Test
  @io.vertx.junit5.Timeout(value = 60, timeUnit = TimeUnit.SECONDS)
  @DisplayName("publishes an event that a consumer reads back from Kafka, acknowledged")
  void shouldPublishAcknowledgedEvent(EmbeddedKafkaBroker kafka) throws Exception {
    List<RoleContext> contexts = new ArrayList<>();
    Map<String, Role> roles =
        Map.of(
            "publisher",
            role(
                "publisher",
                context -> {
                  contexts.add(context);
                  return Future.succeededFuture();
                }));
    runtime = CourierRuntime.start(config(kafka, "publisher"), roles).await(30, TimeUnit.SECONDS);
    String topic = "runtime-publish-" + UUID.randomUUID();
    Event<OrderPlaced> event =
        Event.of(
            "/courier/test",
            "o-9",
            OrderPlaced.newBuilder().setOrder(Order.newBuilder().setId("o-9")).build());

    EventPublisher.Published published =
        contexts.get(0).publisher().publish(topic, event).await(30, TimeUnit.SECONDS);

    assertThat(published.topic()).isEqualTo(topic);
    assertThat(published.offset()).isZero();
    assertThat(readBack(kafka, topic)).isEqualTo(event);
  }

  private Future<CheckResult> readiness() {
    return runtime.readiness().checks().checkStatus();
  }

  private static Event<?> readBack(EmbeddedKafkaBroker kafka, String topic) {
    try (KafkaConsumer<String, Event<?>> consumer =
        new KafkaConsumer<>(
            Map.of(
                ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG,
                kafka.bootstrapServers(),
                ConsumerConfig.GROUP_ID_CONFIG,
                "runtime-it-" + UUID.randomUUID(),
                ConsumerConfig.AUTO_OFFSET_RESET_CONFIG,
                "earliest"),
            new StringDeserializer(),
            new EventDeserializer())) {
      consumer.subscribe(List.of(topic));
      long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
      while (System.nanoTime() < deadline) {
        for (ConsumerRecord<String, Event<?>> record : consumer.poll(Duration.ofMillis(200))) {
          return record.value();
        }
      }
    }
    return null;
  }

  private static CourierConfig config(EmbeddedKafkaBroker kafka, String roles) {
    return new ConfigLoader(
            Map.of(),
            Map.of(
                "courier.kafka.bootstrapServers",
                kafka.bootstrapServers(),
                "courier.roles",
                roles,
                "courier.shutdown.drainTimeoutMs",
                "20000"),
            TestRoles.named("first", "second", "broken", "slow", "publisher"))
        .load(null);
  }

  private Map<String, Role> roles() {
    return Map.of(
        "first",
        journalRole("first"),
        "second",
        journalRole("second"),
        "broken",
        role("broken", context -> Future.failedFuture(new IllegalStateException("disk on fire"))));
  }

  private Role journalRole(String name) {
    return TestRoles.journaling(name, journal);
  }

  private static Role role(String name, java.util.function.Function<RoleContext, Future<?>> start) {
    return TestRoles.starting(name, (context, vertx) -> start.apply(context));
  }
}
