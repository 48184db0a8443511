package io.courier.app.flow;

import static org.assertj.core.api.Assertions.assertThat;

import io.courier.codec.Event;
import io.courier.codec.kafka.EventDeserializer;
import io.courier.contract.v1.NotificationSent;
import io.courier.contract.v1.OrderPlaced;
import io.courier.contract.v1.PaymentCompleted;
import io.courier.contract.v1.PaymentFailed;
import io.courier.kafka.embedded.EmbeddedKafkaBroker;
import io.courier.kafka.embedded.SharedKafkaBroker;
import io.courier.runtime.CourierRuntime;
import io.courier.runtime.Roles;
import io.courier.runtime.config.ConfigLoader;
import io.courier.runtime.config.CourierConfig;
import io.courier.service.Topology;
import io.vertx.core.json.JsonObject;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.PartitionInfo;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The reference order flow in one process, every role of the dev profile, against a real broker:
 * orders placed over REST, checked over gRPC, recorded and paid for over Kafka.
 */
@ExtendWith(SharedKafkaBroker.class)
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@DisplayName("The reference order flow in one process")
class OrderFlowIT {

  private static final Logger LOG = LoggerFactory.getLogger(OrderFlowIT.class);
  private static final List<String> ROLES =
      List.of(
          "user-service",
          "inventory-service",
          "order-service",
          "payment-service",
          "notification-service",
          "gateway");

  @TempDir static Path work;

  private final String run = "r" + UUID.randomUUID().toString().substring(0, 8) + "-";
  private EmbeddedKafkaBroker kafka;
  private CourierRuntime runtime;
  private FlowSeeds seeds;
  private FlowClient client;

  @BeforeAll
  void start(EmbeddedKafkaBroker kafka) throws Exception {
    this.kafka = kafka;
    seeds = FlowSeeds.write(work, run, 20, 200, 100);
    runtime =
        CourierRuntime.start(config(kafka, seeds), Roles.available()).await(120, TimeUnit.SECONDS);
    client = new FlowClient(runtime.endpoints().get("gateway"));
  }

  @AfterAll
  void stop() throws Exception {
    if (runtime != null) {
      runtime.stop(Duration.ofSeconds(20)).await(30, TimeUnit.SECONDS);
    }
  }

  static CourierConfig config(EmbeddedKafkaBroker kafka, FlowSeeds seeds) {
    Map<String, String> props = new HashMap<>();
    props.put("courier.roles", String.join(",", ROLES));
    props.put("courier.kafka.bootstrapServers", kafka.bootstrapServers());
    props.put("courier.gateway.port", "0");
    props.put("courier.gateway.grpcPort", "0");
    props.put(
        "courier.resilience.policyFile",
        Path.of("../../conf/resilience.json").toAbsolutePath().toString());
    props.put("courier.services.user.seedFile", seeds.users().toString());
    props.put("courier.services.inventory.seedFile", seeds.inventory().toString());
    props.put("courier.services.paymentProvider.latencyMs", "5");
    props.put("courier.kafka.consumer.retryDelayMs", "500");
    return new ConfigLoader(Map.of(), props, Roles.available().keySet()).load(null);
  }

  @Test
  @Timeout(300)
  @DisplayName(
      "takes 1,000 orders over REST to a terminal state with exact stock arithmetic and one payment each")
  void shouldTakeThousandOrdersToTerminalStates() throws Exception {
    long begin = System.nanoTime();
    Map<String, FlowClient.Placed> answers =
        client.placeMany(1_000, 32, seeds.userIds(), seeds.skus(), 42);
    long placedMs = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - begin);
    assertThat(answers.values())
        .allSatisfy(a -> assertThat(a.status()).as(a.body().encode()).isEqualTo(202));
    Set<String> orderIds = new HashSet<>();
    answers.values().forEach(a -> orderIds.add(a.orderId()));
    assertThat(orderIds).hasSize(1_000);
    LOG.info("1,000 orders accepted in {} ms", placedMs);

    Map<String, JsonObject> terminal = new ConcurrentHashMap<>();
    FlowClient.awaitUntil(
        "every order CONFIRMED or CANCELLED",
        Duration.ofSeconds(180),
        () -> {
          for (String id : orderIds) {
            if (terminal.containsKey(id)) {
              continue;
            }
            JsonObject order = get("/api/v1/orders/" + id);
            if (!"PENDING".equals(order.getString("status"))) {
              terminal.put(id, order);
            }
          }
          return terminal.size() == orderIds.size();
        });

    Map<String, Long> soldBySku = new HashMap<>();
    int confirmed = 0;
    for (JsonObject order : terminal.values()) {
      if ("CONFIRMED".equals(order.getString("status"))) {
        confirmed++;
        assertThat(order.getString("paymentId")).isNotBlank();
        order
            .getJsonArray("items")
            .forEach(
                item -> {
                  JsonObject line = (JsonObject) item;
                  soldBySku.merge(
                      line.getString("sku"), (long) line.getInteger("quantity"), Long::sum);
                });
      } else {
        assertThat(order.getString("status")).isEqualTo("CANCELLED");
        assertThat(order.getString("reason")).startsWith("payment failed");
      }
    }
    LOG.info("{} confirmed, {} cancelled", confirmed, 1_000 - confirmed);
    assertThat(confirmed).as("about 10 % are declined").isBetween(800, 960);

    // Stock settles once the inventory has consumed every outcome: nothing stays reserved.
    FlowClient.awaitUntil(
        "no SKU holds reserved stock",
        Duration.ofSeconds(60),
        () ->
            seeds.skus().stream()
                .allMatch(sku -> get("/api/v1/inventory/" + sku).getLong("reserved") == 0));
    for (String sku : seeds.skus()) {
      JsonObject level = get("/api/v1/inventory/" + sku);
      assertThat(level.getLong("available") + level.getLong("reserved") + level.getLong("sold"))
          .as("initial stock of %s", sku)
          .isEqualTo(seeds.stock());
      assertThat(level.getLong("sold"))
          .as("sold of %s", sku)
          .isEqualTo(soldBySku.getOrDefault(sku, 0L));
    }

    // Exactly one payment outcome per order, matching its state; one notification per outcome.
    Map<String, Set<String>> completed = new HashMap<>();
    Map<String, Set<String>> failed = new HashMap<>();
    for (Event<?> event : readAll(Topology.PAYMENTS_TOPIC)) {
      if (event.data() instanceof PaymentCompleted done && orderIds.contains(done.getOrderId())) {
        completed.computeIfAbsent(done.getOrderId(), k -> new HashSet<>()).add(event.id());
      } else if (event.data() instanceof PaymentFailed no && orderIds.contains(no.getOrderId())) {
        failed.computeIfAbsent(no.getOrderId(), k -> new HashSet<>()).add(event.id());
      }
    }
    for (Map.Entry<String, JsonObject> entry : terminal.entrySet()) {
      boolean isConfirmed = "CONFIRMED".equals(entry.getValue().getString("status"));
      assertThat(completed.getOrDefault(entry.getKey(), Set.of())).hasSize(isConfirmed ? 1 : 0);
      assertThat(failed.getOrDefault(entry.getKey(), Set.of())).hasSize(isConfirmed ? 0 : 1);
    }
    Map<String, Set<String>> notified = new HashMap<>();
    FlowClient.awaitUntil(
        "a notification for every order",
        Duration.ofSeconds(60),
        () -> {
          notified.clear();
          for (Event<?> event : readAll(Topology.NOTIFICATIONS_TOPIC)) {
            if (event.data() instanceof NotificationSent sent
                && orderIds.contains(sent.getNotification().getOrderId())) {
              notified
                  .computeIfAbsent(sent.getNotification().getOrderId(), k -> new HashSet<>())
                  .add(event.id());
            }
          }
          return notified.size() == orderIds.size();
        });
    assertThat(notified.values()).allSatisfy(ids -> assertThat(ids).hasSize(1));
  }

  @Test
  @Timeout(120)
  @DisplayName(
      "gives one order for the same request sent five times with one key, and 409 for another body")
  void shouldPlaceOneOrderPerIdempotencyKey() throws Exception {
    String key = run + "same-key";
    String body =
        FlowClient.orderBody(
            seeds.userIds().get(0), List.of(new FlowClient.Line(seeds.skus().get(0), 2)));
    Set<String> ids = new HashSet<>();
    List<FlowClient.Placed> all = new ArrayList<>();
    for (int i = 0; i < 5; i++) {
      all.add(client.place(key, body).get(30, TimeUnit.SECONDS));
    }
    all.forEach(
        a -> {
          assertThat(a.status()).isEqualTo(202);
          ids.add(a.orderId());
        });
    assertThat(ids).hasSize(1);

    FlowClient.Placed other =
        client
            .place(
                key,
                FlowClient.orderBody(
                    seeds.userIds().get(0), List.of(new FlowClient.Line(seeds.skus().get(0), 3))))
            .get(30, TimeUnit.SECONDS);
    assertThat(other.status()).isEqualTo(409);
    assertThat(other.body().getString("type")).endsWith("/idempotency-key-reused");

    String orderId = ids.iterator().next();
    long placedEvents =
        readAll(Topology.ORDERS_TOPIC).stream()
            .filter(e -> e.data() instanceof OrderPlaced p && p.getOrder().getId().equals(orderId))
            .map(Event::id)
            .distinct()
            .count();
    assertThat(placedEvents).isEqualTo(1);
  }

  private JsonObject get(String path) {
    try {
      return client.getJson(path);
    } catch (Exception e) {
      throw new IllegalStateException(e);
    }
  }

  /** Every event on the topic now, read by a consumer of the test's own. */
  List<Event<?>> readAll(String topic) {
    return readAll(kafka.bootstrapServers(), topic);
  }

  static List<Event<?>> readAll(String servers, String topic) {
    Map<String, Object> props = new HashMap<>();
    props.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, servers);
    props.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false);
    EventDeserializer decoder = new EventDeserializer();
    List<Event<?>> events = new ArrayList<>();
    try (KafkaConsumer<String, byte[]> consumer =
        new KafkaConsumer<>(props, new StringDeserializer(), new ByteArrayDeserializer())) {
      List<TopicPartition> partitions = new ArrayList<>();
      for (PartitionInfo info : consumer.partitionsFor(topic, Duration.ofSeconds(10))) {
        partitions.add(new TopicPartition(topic, info.partition()));
      }
      consumer.assign(partitions);
      consumer.seekToBeginning(partitions);
      Map<TopicPartition, Long> end = consumer.endOffsets(partitions);
      while (end.entrySet().stream().anyMatch(e -> consumer.position(e.getKey()) < e.getValue())) {
        for (ConsumerRecord<String, byte[]> record : consumer.poll(Duration.ofMillis(200))) {
          events.add(decoder.deserialize(topic, record.headers(), record.value()));
        }
      }
    }
    return events;
  }
}
