package io.courier.app.flow;

import static org.assertj.core.api.Assertions.assertThat;

import io.courier.codec.Event;
import io.courier.codec.flow.Topics;
import io.courier.contract.v1.NotificationSent;
import io.courier.contract.v1.OrderPlaced;
import io.courier.kafka.embedded.EmbeddedKafkaBroker;
import io.courier.kafka.embedded.SharedKafkaBroker;
import io.courier.runtime.CourierRuntime;
import io.courier.runtime.Roles;
import io.courier.runtime.config.CourierConfig;
import io.vertx.core.Vertx;
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
  private Vertx webhook;
  private final List<JsonObject> hooked = new java.util.concurrent.CopyOnWriteArrayList<>();
  private final java.util.concurrent.atomic.AtomicInteger hookRefusals =
      new java.util.concurrent.atomic.AtomicInteger();
  private final io.opentelemetry.sdk.testing.exporter.InMemorySpanExporter spans =
      io.opentelemetry.sdk.testing.exporter.InMemorySpanExporter.create();
  private final io.opentelemetry.sdk.trace.SpanProcessor spanProcessor =
      io.opentelemetry.sdk.trace.export.SimpleSpanProcessor.create(spans);
  private FlowSeeds seeds;
  private FlowClient client;

  /** Every scope; what {@link #client} and the gRPC calls send. */
  private static String adminToken;

  /** The development signing key the gateway trusts in this test. */
  private static Path keys() {
    return work.resolve("keys");
  }

  /** Every secret this flow configures or sends, never to be found in a log line. */
  private static final SecretScanner secretScanner = SecretScanner.install();

  private final String hookSecret = "hook-" + UUID.randomUUID();
  private final String apiKey = "apikey-" + UUID.randomUUID();

  @BeforeAll
  void start(EmbeddedKafkaBroker kafka) throws Exception {
    this.kafka = kafka;
    secretScanner.watch(hookSecret);
    secretScanner.watch(apiKey);
    io.courier.gateway.DevSigningKey.loadOrCreate(keys());
    secretScanner.watch(
        new JsonObject(
                java.nio.file.Files.readString(
                    keys().resolve(io.courier.gateway.DevSigningKey.FILE)))
            .getString("d"));
    seeds = FlowSeeds.write(work, run, 20, 200, 100);
    webhook = Vertx.vertx();
    int hookPort =
        webhook
            .createHttpServer()
            .requestHandler(
                request ->
                    request
                        .body()
                        .onSuccess(
                            body -> {
                              // The first 30 calls find the webhook down: those outcomes wait
                              // and are delivered later, not dead-lettered.
                              if (hookRefusals.getAndIncrement() < 30) {
                                request.response().setStatusCode(503).end();
                                return;
                              }
                              hooked.add(body.toJsonObject());
                              request.response().setStatusCode(204).end();
                            }))
            .listen(0, "127.0.0.1")
            .await(10, TimeUnit.SECONDS)
            .actualPort();
    io.courier.runtime.tracing.CourierTracing.addSpanProcessor(spanProcessor);
    runtime =
        CourierRuntime.start(
                config(
                    kafka,
                    seeds,
                    Map.of(
                        "courier.services.notification.webhookUrl",
                        "http://127.0.0.1:" + hookPort + "/hooks/orders?token=" + hookSecret,
                        "courier.gateway.auth.mode",
                        "jwt",
                        "courier.gateway.auth.devKeyDir",
                        keys().toString(),
                        "courier.security.identity.devKeyDir",
                        keys().toString())),
                Roles.available())
            .await(120, TimeUnit.SECONDS);
    adminToken = secretScanner.watch(FlowClient.adminToken(keys()));
    client = new FlowClient(runtime.endpoints().get("gateway"), adminToken);
  }

  @AfterAll
  void stop() throws Exception {
    io.courier.runtime.tracing.CourierTracing.removeSpanProcessor(spanProcessor);
    if (runtime != null) {
      runtime.stop(Duration.ofSeconds(20)).await(30, TimeUnit.SECONDS);
    }
    if (webhook != null) {
      webhook.close().await(10, TimeUnit.SECONDS);
    }
    secretScanner.uninstall();
    // The whole life of the platform, start to stop, scanned for every secret it was given or
    // sent: the dev signing key, bearer tokens, an API key and the webhook's credential.
    LOG.info("{} log events scanned for secrets", secretScanner.scanned());
    assertThat(secretScanner.scanned()).as("the scanner saw the platform's logs").isGreaterThan(50);
    assertThat(secretScanner.leaks()).as("log lines carrying a secret").isEmpty();
  }

  /**
   * A process running only the gateway (its backends absent), seeded with a few users and SKUs in
   * {@code dir}, with {@code extra} configuration on top; for tests of the edge itself.
   */
  static CourierRuntime startGatewayOnly(
      EmbeddedKafkaBroker kafka, Path dir, Map<String, String> extra) throws Exception {
    FlowSeeds seeds = FlowSeeds.write(dir, "g" + UUID.randomUUID(), 5, 5, 10);
    Map<String, String> props = new HashMap<>(extra);
    props.put("courier.roles", "gateway");
    return CourierRuntime.start(config(kafka, seeds, props), Roles.available())
        .await(60, TimeUnit.SECONDS);
  }

  static CourierConfig config(
      EmbeddedKafkaBroker kafka, FlowSeeds seeds, Map<String, String> extra) {
    Map<String, String> props = new HashMap<>(extra);
    props.putIfAbsent("courier.roles", String.join(",", ROLES));
    props.put("courier.kafka.bootstrapServers", kafka.bootstrapServers());
    props.put("courier.gateway.port", "0");
    props.put("courier.gateway.grpcPort", "0");
    props.putIfAbsent(
        "courier.resilience.policyFile",
        Path.of("../../conf/resilience.json").toAbsolutePath().toString());
    props.put("courier.services.user.seedFile", seeds.users().toString());
    props.put("courier.services.inventory.seedFile", seeds.inventory().toString());
    props.put("courier.services.paymentProvider.latencyMs", "5");
    props.put("courier.kafka.consumer.retryDelayMs", "500");
    return Roles.configLoader(Map.of(), props, Roles.available()).load(null);
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

    // Exactly one payment outcome per order, matching its state, counted record by record (no
    // process crashed here, so not even a redelivered copy); one notification per outcome.
    FlowAudit.Ledger ledger = FlowAudit.Ledger.read(kafka.bootstrapServers());
    for (Map.Entry<String, JsonObject> entry : terminal.entrySet()) {
      FlowAudit.Trail trail = ledger.trail(entry.getKey());
      assertThat(trail.gaps(entry.getValue().getString("status"))).as(entry.getKey()).isEmpty();
      assertThat(trail.duplicates()).as(entry.getKey()).isEmpty();
      assertThat(trail.placed.records()).as("OrderPlaced records of %s", entry.getKey()).isOne();
      assertThat(trail.outcomes.records())
          .as("payment outcome records of %s", entry.getKey())
          .isOne();
      assertThat(trail.terminal.records())
          .as("terminal order event records of %s", entry.getKey())
          .isOne();
    }
    Map<String, Set<String>> notified = new HashMap<>();
    FlowClient.awaitUntil(
        "a notification for every order",
        Duration.ofSeconds(60),
        () -> {
          notified.clear();
          for (Event<?> event : readAll(Topics.NOTIFICATIONS)) {
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
    // The webhook heard of every order, with its outcome, the 30 it refused at first included.
    assertThat(hookRefusals.get()).isGreaterThan(30);
    Map<String, String> heard = new HashMap<>();
    hooked.forEach(hook -> heard.put(hook.getString("orderId"), hook.getString("outcome")));
    terminal.forEach(
        (id, order) -> assertThat(heard.get(id)).as(id).isEqualTo(order.getString("status")));
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
    // Sent at once: the five requests race each other to the order service.
    List<java.util.concurrent.CompletableFuture<FlowClient.Placed>> racing = new ArrayList<>();
    for (int i = 0; i < 5; i++) {
      racing.add(client.place(key, body));
    }
    List<FlowClient.Placed> all = new ArrayList<>();
    for (var each : racing) {
      all.add(each.get(30, TimeUnit.SECONDS));
    }
    all.forEach(
        a -> {
          assertThat(a.status()).as(a.body().encode()).isEqualTo(202);
          ids.add(a.orderId());
        });
    assertThat(ids).hasSize(1);

    // The key is the user's own: another user's order with the same key is another order, and
    // the key as sent counts (%41 is not A).
    FlowClient.Placed otherUser =
        client
            .place(
                key,
                FlowClient.orderBody(
                    seeds.userIds().get(1), List.of(new FlowClient.Line(seeds.skus().get(0), 1))))
            .get(30, TimeUnit.SECONDS);
    assertThat(otherUser.status()).as(otherUser.body().encode()).isEqualTo(202);
    assertThat(otherUser.orderId()).isNotIn(ids);
    FlowClient.Placed plain = client.place(run + "A", body).get(30, TimeUnit.SECONDS);
    FlowClient.Placed encoded = client.place(run + "%41", body).get(30, TimeUnit.SECONDS);
    assertThat(List.of(plain.status(), encoded.status())).containsOnly(202);
    assertThat(encoded.orderId()).as("%41 and A are two keys").isNotEqualTo(plain.orderId());

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
        readAll(Topics.ORDERS).stream()
            .filter(e -> e.data() instanceof OrderPlaced p && p.getOrder().getId().equals(orderId))
            .map(Event::id)
            .distinct()
            .count();
    assertThat(placedEvents).isEqualTo(1);
  }

  /** One malformed request and what the gateway must answer. */
  record Bad(
      String name,
      String method,
      String path,
      String contentType,
      String key,
      String body,
      int status,
      String field,
      String type) {}

  List<Bad> badRequests() {
    String user = seeds.userIds().get(1);
    String sku = seeds.skus().get(1);
    String good =
        "{\"userId\":\"" + user + "\",\"items\":[{\"sku\":\"" + sku + "\",\"quantity\":1}]}";
    String deep = "[".repeat(1_000) + "]".repeat(1_000);
    String deepObject =
        "{\"userId\":\""
            + user
            + "\",\"items\":[{\"sku\":\""
            + sku
            + "\",\"quantity\":1}],\"x\":"
            + deep
            + "}";
    StringBuilder many = new StringBuilder("{\"userId\":\"" + user + "\",\"items\":[");
    for (int i = 0; i < 101; i++) {
      many.append(i == 0 ? "" : ",").append("{\"sku\":\"").append(sku).append("\",\"quantity\":1}");
    }
    many.append("]}");
    String json = "application/json";
    String orders = "/api/v1/orders";
    return List.of(
        new Bad(
            "broken JSON", "POST", orders, json, "k", "{\"userId\": ", 400, null, "malformed-body"),
        new Bad(
            "userId a number",
            "POST",
            orders,
            json,
            "k",
            "{\"userId\":123,\"items\":[{\"sku\":\"" + sku + "\",\"quantity\":1}]}",
            400,
            "userId",
            "invalid-body"),
        new Bad(
            "quantity zero",
            "POST",
            orders,
            json,
            "k",
            good.replace("\"quantity\":1", "\"quantity\":0"),
            400,
            "items/0/quantity",
            "invalid-body"),
        new Bad(
            "quantity negative",
            "POST",
            orders,
            json,
            "k",
            good.replace("\"quantity\":1", "\"quantity\":-3"),
            400,
            "items/0/quantity",
            "invalid-body"),
        new Bad(
            "quantity a string",
            "POST",
            orders,
            json,
            "k",
            good.replace("\"quantity\":1", "\"quantity\":\"2\""),
            400,
            "items/0/quantity",
            "invalid-body"),
        new Bad(
            "quantity a fraction",
            "POST",
            orders,
            json,
            "k",
            good.replace("\"quantity\":1", "\"quantity\":1.5"),
            400,
            "items/0/quantity",
            "invalid-body"),
        new Bad(
            "userId missing",
            "POST",
            orders,
            json,
            "k",
            "{\"items\":[{\"sku\":\"" + sku + "\",\"quantity\":1}]}",
            400,
            "userId",
            "invalid-body"),
        new Bad(
            "items missing",
            "POST",
            orders,
            json,
            "k",
            "{\"userId\":\"" + user + "\"}",
            400,
            "items",
            "invalid-body"),
        new Bad(
            "items empty",
            "POST",
            orders,
            json,
            "k",
            "{\"userId\":\"" + user + "\",\"items\":[]}",
            400,
            "items",
            "invalid-body"),
        new Bad(
            "101 items", "POST", orders, json, "k", many.toString(), 400, "items", "invalid-body"),
        new Bad(
            "sku missing",
            "POST",
            orders,
            json,
            "k",
            "{\"userId\":\"" + user + "\",\"items\":[{\"quantity\":1}]}",
            400,
            "items/0/sku",
            "invalid-body"),
        new Bad(
            "unknown property",
            "POST",
            orders,
            json,
            "k",
            good.replace("{\"userId\"", "{\"foo\":1,\"userId\""),
            400,
            "foo",
            "invalid-body"),
        new Bad("body an array", "POST", orders, json, "k", "[]", 400, null, "invalid-body"),
        new Bad("body empty", "POST", orders, json, "k", "", 400, null, null),
        new Bad("1,000-deep nested JSON", "POST", orders, json, "k", deepObject, 400, null, null),
        new Bad(
            "10,000-deep nested JSON",
            "POST",
            orders,
            json,
            "k",
            "[".repeat(10_000),
            400,
            null,
            null),
        new Bad(
            "unknown SKU",
            "POST",
            orders,
            json,
            run + "bad-sku",
            good.replace(sku, run + "no-such-sku"),
            400,
            "items/0/sku",
            "unknown-sku"),
        new Bad(
            "unknown user",
            "POST",
            orders,
            json,
            run + "bad-user",
            good.replace(user, run + "nobody"),
            400,
            "userId",
            "unknown-user"),
        new Bad(
            "inactive user",
            "POST",
            orders,
            json,
            run + "inactive",
            good.replace(user, run + "inactive"),
            400,
            "userId",
            "inactive-user"),
        new Bad(
            "more than the stock",
            "POST",
            orders,
            json,
            run + "too-many",
            good.replace("\"quantity\":1", "\"quantity\":10000"),
            409,
            "items/0/sku",
            "insufficient-stock"),
        new Bad(
            "Idempotency-Key missing",
            "POST",
            orders,
            json,
            null,
            good,
            400,
            "Idempotency-Key",
            "missing-header"),
        new Bad(
            "Idempotency-Key too long",
            "POST",
            orders,
            json,
            "k".repeat(129),
            good,
            400,
            "Idempotency-Key",
            "invalid-header"),
        new Bad(
            "10 MB body",
            "POST",
            orders,
            json,
            "k",
            good + " ".repeat(10 * 1024 * 1024),
            413,
            null,
            "body-too-large"),
        new Bad(
            "text/plain body",
            "POST",
            orders,
            "text/plain",
            "k",
            good,
            415,
            null,
            "unsupported-media-type"),
        new Bad(
            "no content type",
            "POST",
            orders,
            null,
            "k",
            good,
            415,
            null,
            "unsupported-media-type"),
        new Bad(
            "unknown order",
            "GET",
            orders + "/" + run + "nope",
            null,
            null,
            null,
            404,
            null,
            "unknown-order"),
        new Bad(
            "unknown user read",
            "GET",
            "/api/v1/users/" + run + "nobody",
            null,
            null,
            null,
            404,
            null,
            "unknown-user"),
        new Bad(
            "unknown SKU read",
            "GET",
            "/api/v1/inventory/" + run + "nothing",
            null,
            null,
            null,
            404,
            null,
            "unknown-sku"),
        new Bad(
            "unknown path",
            "GET",
            "/api/v1/nothing-here",
            null,
            null,
            null,
            404,
            null,
            "not-found"),
        new Bad(
            "wrong method", "DELETE", orders, null, null, null, 405, null, "method-not-allowed"));
  }

  @Test
  @Timeout(180)
  @DisplayName(
      "answers 30 malformed requests with the documented status and a problem naming the field, and keeps serving")
  void shouldRefuseMalformedRequestsWithProblems() throws Exception {
    List<Bad> cases = badRequests();
    assertThat(cases).hasSizeGreaterThanOrEqualTo(20);
    for (Bad bad : cases) {
      java.net.http.HttpRequest.Builder request = client.request(bad.path());
      if (bad.contentType() != null) {
        request.header("Content-Type", bad.contentType());
      }
      if (bad.key() != null) {
        request.header("Idempotency-Key", bad.key());
      }
      request.method(
          bad.method(),
          bad.body() == null
              ? java.net.http.HttpRequest.BodyPublishers.noBody()
              : java.net.http.HttpRequest.BodyPublishers.ofString(bad.body()));
      java.net.http.HttpResponse<String> response = client.send(request);
      assertThat(response.statusCode())
          .as(bad.name() + ": " + response.body())
          .isEqualTo(bad.status());
      assertThat(response.headers().firstValue("Content-Type"))
          .as(bad.name())
          .hasValue("application/problem+json");
      JsonObject problem = new JsonObject(response.body());
      assertThat(problem.getInteger("status")).as(bad.name()).isEqualTo(bad.status());
      assertThat(problem.getString("title")).as(bad.name()).isNotBlank();
      if (bad.type() != null) {
        assertThat(problem.getString("type"))
            .as(bad.name())
            .isEqualTo("https://courier.dev/problems/" + bad.type());
      }
      if (bad.field() != null) {
        assertThat(problem.getString("field"))
            .as(bad.name() + ": " + response.body())
            .isEqualTo(bad.field());
      }
    }
    // Still serving, and none of the refused requests left an order behind.
    FlowClient.Placed placed = placeOne(run + "after-bad", 1, 1);
    assertThat(placed.status()).isEqualTo(202);
    for (String key :
        List.of(run + "bad-sku", run + "bad-user", run + "inactive", run + "too-many")) {
      String id =
          java.util
              .UUID
              .nameUUIDFromBytes(("order|" + key).getBytes(java.nio.charset.StandardCharsets.UTF_8))
              .toString();
      assertThat(client.send(client.request("/api/v1/orders/" + id).GET()).statusCode())
          .as(key)
          .isEqualTo(404);
    }
  }

  @Test
  @Timeout(180)
  @DisplayName("applies a redelivered OrderPlaced and a redelivered payment outcome once")
  void shouldApplyRedeliveredEventsOnce() throws Exception {
    FlowClient.Placed placed = placeOne(run + "redelivered", 2, 2);
    assertThat(placed.status()).isEqualTo(202);
    String id = placed.orderId();
    FlowClient.awaitUntil(
        "order " + id + " terminal",
        Duration.ofSeconds(60),
        () -> !"PENDING".equals(get("/api/v1/orders/" + id).getString("status")));
    JsonObject before = get("/api/v1/orders/" + id);

    List<ConsumerRecord<String, byte[]>> originals = new ArrayList<>();
    originals.addAll(records(Topics.ORDERS, id, OrderPlaced.getDescriptor().getFullName()));
    originals.addAll(records(Topics.PAYMENTS, id, null));
    assertThat(originals).hasSize(2);
    Map<String, Object> props = new HashMap<>();
    props.put(
        org.apache.kafka.clients.producer.ProducerConfig.BOOTSTRAP_SERVERS_CONFIG,
        kafka.bootstrapServers());
    props.put(org.apache.kafka.clients.producer.ProducerConfig.ACKS_CONFIG, "all");
    try (org.apache.kafka.clients.producer.KafkaProducer<String, byte[]> producer =
        new org.apache.kafka.clients.producer.KafkaProducer<>(
            props,
            new org.apache.kafka.common.serialization.StringSerializer(),
            new org.apache.kafka.common.serialization.ByteArraySerializer())) {
      for (ConsumerRecord<String, byte[]> original : originals) {
        producer
            .send(
                new org.apache.kafka.clients.producer.ProducerRecord<>(
                    original.topic(),
                    original.partition(),
                    original.key(),
                    original.value(),
                    original.headers()))
            .get(30, TimeUnit.SECONDS);
      }
    }
    // Wait until the consumers of both topics have committed past the copies.
    FlowClient.awaitUntil(
        "payment-service consumed the copy",
        Duration.ofSeconds(60),
        () -> consumedToEnd("payment-service", Topics.ORDERS));
    FlowClient.awaitUntil(
        "order-service consumed the copy",
        Duration.ofSeconds(60),
        () -> consumedToEnd("order-service", Topics.PAYMENTS));

    assertThat(records(Topics.PAYMENTS, id, null)).as("no second charge").hasSize(2);
    assertThat(records(Topics.ORDERS, id, null)).as("placed, terminal, the copy").hasSize(3);
    assertThat(get("/api/v1/orders/" + id)).isEqualTo(before);
  }

  private boolean consumedToEnd(String group, String topic) {
    try (org.apache.kafka.clients.admin.Admin admin =
        org.apache.kafka.clients.admin.Admin.create(
            Map.of("bootstrap.servers", kafka.bootstrapServers()))) {
      Map<TopicPartition, org.apache.kafka.clients.consumer.OffsetAndMetadata> committed =
          admin.listConsumerGroupOffsets(group).partitionsToOffsetAndMetadata().get();
      Map<TopicPartition, org.apache.kafka.clients.admin.OffsetSpec> latest = new HashMap<>();
      committed.keySet().stream()
          .filter(tp -> tp.topic().equals(topic))
          .forEach(tp -> latest.put(tp, org.apache.kafka.clients.admin.OffsetSpec.latest()));
      var ends = admin.listOffsets(latest).all().get();
      return !latest.isEmpty()
          && ends.entrySet().stream()
              .allMatch(e -> committed.get(e.getKey()).offset() >= e.getValue().offset());
    } catch (Exception e) {
      throw new IllegalStateException(e);
    }
  }

  /** The raw records of one order on a topic, optionally of one event type. */
  private List<ConsumerRecord<String, byte[]>> records(String topic, String orderId, String type) {
    Map<String, Object> props = new HashMap<>();
    props.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, kafka.bootstrapServers());
    props.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false);
    List<ConsumerRecord<String, byte[]>> found = new ArrayList<>();
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
          var header = record.headers().lastHeader("ce_type");
          String recordType =
              header == null
                  ? ""
                  : new String(header.value(), java.nio.charset.StandardCharsets.UTF_8);
          if (orderId.equals(record.key()) && (type == null || type.equals(recordType))) {
            found.add(record);
          }
        }
      }
    }
    return found;
  }

  @Test
  @Timeout(60)
  @DisplayName(
      "serves PlaceOrder and GetOrder over gRPC on the gateway, with statuses for bad input")
  void shouldServeOrdersOverGrpc() throws Exception {
    String[] hostPort = runtime.endpoints().get("gateway (gRPC)").split(":");
    io.vertx.core.net.SocketAddress gateway =
        io.vertx.core.net.SocketAddress.inetSocketAddress(
            Integer.parseInt(hostPort[1]), hostPort[0]);
    io.vertx.grpc.client.GrpcClient grpc = io.vertx.grpc.client.GrpcClient.client(webhook);
    try {
      io.courier.contract.v1.PlaceOrderRequest request =
          io.courier.contract.v1.PlaceOrderRequest.newBuilder()
              .setUserId(seeds.userIds().get(3))
              .setIdempotencyKey(run + "grpc-1")
              .addItems(
                  io.courier.contract.v1.LineItem.newBuilder()
                      .setSku(seeds.skus().get(3))
                      .setQuantity(1))
              .build();
      io.courier.contract.v1.PlaceOrderResponse placed =
          unary(grpc, gateway, io.courier.contract.v1.OrderServiceGrpcClient.PlaceOrder, request);
      assertThat(placed.getStatus())
          .isEqualTo(io.courier.contract.v1.OrderStatus.ORDER_STATUS_PENDING);
      assertThat(
              unary(
                      grpc,
                      gateway,
                      io.courier.contract.v1.OrderServiceGrpcClient.PlaceOrder,
                      request)
                  .getOrderId())
          .isEqualTo(placed.getOrderId());
      io.courier.contract.v1.GetOrderResponse read =
          unary(
              grpc,
              gateway,
              io.courier.contract.v1.OrderServiceGrpcClient.GetOrder,
              io.courier.contract.v1.GetOrderRequest.newBuilder()
                  .setOrderId(placed.getOrderId())
                  .build());
      assertThat(read.getOrder().getUserId()).isEqualTo(seeds.userIds().get(3));
      assertThat(get("/api/v1/orders/" + placed.getOrderId()).getString("orderId"))
          .isEqualTo(placed.getOrderId());

      io.courier.contract.v1.PlaceOrderRequest zero =
          request.toBuilder()
              .setIdempotencyKey(run + "grpc-2")
              .setItems(0, request.getItems(0).toBuilder().setQuantity(0))
              .build();
      assertThat(
              grpcStatusOf(
                  () ->
                      unary(
                          grpc,
                          gateway,
                          io.courier.contract.v1.OrderServiceGrpcClient.PlaceOrder,
                          zero)))
          .isEqualTo(io.vertx.grpc.common.GrpcStatus.INVALID_ARGUMENT);
      assertThat(
              grpcStatusOf(
                  () ->
                      unary(
                          grpc,
                          gateway,
                          io.courier.contract.v1.OrderServiceGrpcClient.GetOrder,
                          io.courier.contract.v1.GetOrderRequest.newBuilder()
                              .setOrderId(run + "nothing")
                              .build())))
          .isEqualTo(io.vertx.grpc.common.GrpcStatus.NOT_FOUND);

      // The gRPC edge admits only verified tokens; identity headers a caller makes up count for
      // nothing, and a token without the operation's scope is refused.
      io.courier.contract.v1.GetOrderRequest read3 =
          io.courier.contract.v1.GetOrderRequest.newBuilder()
              .setOrderId(placed.getOrderId())
              .build();
      java.util.function.Function<io.vertx.core.MultiMap, io.vertx.grpc.common.GrpcStatus> readAs =
          metadata ->
              grpcStatusOf(
                  () ->
                      unary(
                          grpc,
                          gateway,
                          io.courier.contract.v1.OrderServiceGrpcClient.GetOrder,
                          read3,
                          metadata));
      assertThat(
              readAs.apply(
                  io.vertx.core.MultiMap.caseInsensitiveMultiMap()
                      .add("courier-subject", seeds.userIds().get(3))
                      .add("courier-scopes", "admin")))
          .as("made-up identity headers, no token")
          .isEqualTo(io.vertx.grpc.common.GrpcStatus.UNAUTHENTICATED);
      assertThat(readAs.apply(bearer(seeds.userIds().get(3), "orders:write")))
          .as("a token without orders:read")
          .isEqualTo(io.vertx.grpc.common.GrpcStatus.PERMISSION_DENIED);
      assertThat(readAs.apply(bearer(seeds.userIds().get(4), "orders:read")))
          .as("another user's order")
          .isEqualTo(io.vertx.grpc.common.GrpcStatus.PERMISSION_DENIED);
    } finally {
      grpc.close().await(10, TimeUnit.SECONDS);
    }
  }

  @Test
  @Timeout(90)
  @DisplayName(
      "lets a user place and read only their own orders and profile, an admin any; refusals are"
          + " 401/403 problems and the identity reaches the order service (event bus) and the user"
          + " service (gRPC)")
  void shouldConfineUsersToTheirOwnOrders() throws Exception {
    String base = runtime.endpoints().get("gateway");
    String alice = seeds.userIds().get(5);
    String bob = seeds.userIds().get(6);
    FlowClient asAlice =
        new FlowClient(
            base,
            secretScanner.watch(
                FlowClient.token(keys(), alice, Set.of("orders:write", "orders:read"))));
    FlowClient asBob =
        new FlowClient(
            base,
            secretScanner.watch(
                FlowClient.token(keys(), bob, Set.of("orders:write", "orders:read"))));
    FlowClient aliceReadOnly =
        new FlowClient(
            base, secretScanner.watch(FlowClient.token(keys(), alice, Set.of("orders:read"))));
    FlowClient anonymous = new FlowClient(base);
    String body = FlowClient.orderBody(alice, List.of(new FlowClient.Line(seeds.asideSku(), 1)));

    FlowClient.Placed mine = asAlice.place(run + "auth-1", body).get(30, TimeUnit.SECONDS);
    assertThat(mine.status()).as(mine.body().encode()).isEqualTo(202);

    FlowClient.Placed noToken = anonymous.place(run + "auth-2", body).get(30, TimeUnit.SECONDS);
    assertThat(noToken.status()).isEqualTo(401);
    assertThat(noToken.body().getString("type")).endsWith("/unauthorized");

    FlowClient.Placed noScope = aliceReadOnly.place(run + "auth-3", body).get(30, TimeUnit.SECONDS);
    assertThat(noScope.status()).isEqualTo(403);
    assertThat(noScope.body().getString("detail")).contains("orders:write");

    FlowClient.Placed forBob = asBob.place(run + "auth-4", body).get(30, TimeUnit.SECONDS);
    assertThat(forBob.status()).as("bob placing an order for alice").isEqualTo(403);
    assertThat(forBob.body().getString("type")).endsWith("/forbidden");

    String path = "/api/v1/orders/" + mine.orderId();
    assertThat(asAlice.send(asAlice.request(path).GET()).statusCode()).isEqualTo(200);
    java.net.http.HttpResponse<String> bobReads = asBob.send(asBob.request(path).GET());
    assertThat(bobReads.statusCode()).as(bobReads.body()).isEqualTo(403);
    assertThat(new JsonObject(bobReads.body()).getString("detail")).contains("another user");
    assertThat(client.send(client.request(path).GET()).statusCode())
        .as("admin reads any order")
        .isEqualTo(200);
    assertThat(anonymous.send(anonymous.request(path).GET()).statusCode()).isEqualTo(401);
    assertThat(
            anonymous.send(anonymous.request(path).header("X-API-Key", apiKey).GET()).statusCode())
        .as("an API key is no bearer token")
        .isEqualTo(401);
    // A token whose signature was cut short: refused, and neither it nor the real one is logged.
    String forged =
        secretScanner.watch(
            asAlice.token().substring(0, asAlice.token().lastIndexOf('.') + 1) + "AAAA");
    FlowClient forger = new FlowClient(base, forged);
    assertThat(forger.send(forger.request(path).GET()).statusCode()).isEqualTo(401);

    assertThat(asAlice.send(asAlice.request("/api/v1/users/" + alice).GET()).statusCode())
        .isEqualTo(200);
    java.net.http.HttpResponse<String> bobsView =
        asBob.send(asBob.request("/api/v1/users/" + alice).GET());
    assertThat(bobsView.statusCode()).as(bobsView.body()).isEqualTo(403);
    assertThat(
            asBob.send(asBob.request("/api/v1/inventory/" + seeds.asideSku()).GET()).statusCode())
        .as("stock needs no scope")
        .isEqualTo(200);
  }

  @Test
  @Timeout(90)
  @DisplayName(
      "takes a caller's identity over the event bus and gRPC only sealed with the platform's key:"
          + " claimed headers and another key's seal get 401 / UNAUTHENTICATED")
  void shouldTakeOnlySealedIdentitiesInsideThePlatform() throws Exception {
    String alice = seeds.userIds().get(7);
    String bob = seeds.userIds().get(8);
    FlowClient asAlice =
        new FlowClient(
            runtime.endpoints().get("gateway"),
            FlowClient.token(keys(), alice, Set.of("orders:write", "orders:read")));
    FlowClient.Placed mine =
        asAlice
            .place(
                run + "sealed-1",
                FlowClient.orderBody(alice, List.of(new FlowClient.Line(seeds.asideSku(), 1))))
            .get(30, TimeUnit.SECONDS);
    assertThat(mine.status()).as(mine.body().encode()).isEqualTo(202);
    io.courier.runtime.security.IdentitySeal platform =
        io.courier.runtime.security.IdentitySeal.load(
            new io.courier.runtime.config.IdentityConfig(false, "", keys().toString(), 60_000));
    secretScanner.watch(java.nio.file.Files.readString(keys().resolve("identity.key")).strip());
    io.courier.runtime.security.IdentitySeal foreign =
        io.courier.runtime.security.IdentitySeal.of(
            "a key that is not the platform's".getBytes(java.nio.charset.StandardCharsets.UTF_8),
            false,
            60_000,
            java.time.Clock.systemUTC());
    String address =
        io.courier.codec.flow.Addresses.of(
            io.courier.codec.flow.Addresses.ORDER_GET,
            io.courier.codec.flow.Partitions.of(
                mine.orderId(),
                io.courier.runtime.config.KafkaConfig.TopicsConfig.DEFAULTS.partitions()));
    interface Call {
      Object apply(io.vertx.core.eventbus.DeliveryOptions options) throws Exception;
    }
    Call getOrder =
        options ->
            runtime
                .vertx()
                .eventBus()
                .<io.courier.contract.v1.GetOrderResponse>request(
                    address,
                    io.courier.contract.v1.GetOrderRequest.newBuilder()
                        .setOrderId(mine.orderId())
                        .build(),
                    options.setSendTimeout(10_000))
                .<Object>map(reply -> reply.body().getOrder().getUserId())
                .otherwise(
                    e ->
                        e instanceof io.vertx.core.eventbus.ReplyException reply
                            ? reply.failureCode()
                            : e.toString())
                .await(20, TimeUnit.SECONDS);
    io.courier.service.CallerIdentity admin =
        new io.courier.service.CallerIdentity(bob, Set.of("admin"));

    assertThat(
            getOrder.apply(
                new io.vertx.core.eventbus.DeliveryOptions()
                    .addHeader("courier-subject", bob)
                    .addHeader("courier-scopes", "admin")))
        .as("a subject and scopes claimed in the clear")
        .isEqualTo(401);
    assertThat(
            getOrder.apply(
                admin.sealedWith(foreign).writeTo(new io.vertx.core.eventbus.DeliveryOptions())))
        .as("sealed with another key")
        .isEqualTo(401);
    assertThat(
            getOrder.apply(
                new io.courier.service.CallerIdentity(bob, Set.of("orders:read"))
                    .sealedWith(platform)
                    .writeTo(new io.vertx.core.eventbus.DeliveryOptions())))
        .as("another user, sealed by the platform")
        .isEqualTo(403);
    assertThat(
            getOrder.apply(
                admin.sealedWith(platform).writeTo(new io.vertx.core.eventbus.DeliveryOptions())))
        .as("an admin, sealed by the platform")
        .isEqualTo(alice);

    String[] userService = runtime.endpoints().get("user-service (gRPC)").split(":");
    io.vertx.core.net.SocketAddress users =
        io.vertx.core.net.SocketAddress.inetSocketAddress(
            Integer.parseInt(userService[userService.length - 1]), "127.0.0.1");
    io.vertx.grpc.client.GrpcClient grpc = io.vertx.grpc.client.GrpcClient.client(runtime.vertx());
    try {
      io.courier.contract.v1.GetUserRequest aliceProfile =
          io.courier.contract.v1.GetUserRequest.newBuilder().setUserId(alice).build();
      assertThat(
              grpcStatusOf(
                  () ->
                      unary(
                          grpc,
                          users,
                          io.courier.contract.v1.UserServiceGrpcClient.GetUser,
                          aliceProfile,
                          io.vertx.core.MultiMap.caseInsensitiveMultiMap()
                              .add("courier-subject", alice)
                              .add("courier-scopes", "admin"))))
          .as("the user service, with identity headers claimed in the clear")
          .isEqualTo(io.vertx.grpc.common.GrpcStatus.UNAUTHENTICATED);
      assertThat(
              grpcStatusOf(
                  () ->
                      unary(
                          grpc,
                          users,
                          io.courier.contract.v1.UserServiceGrpcClient.GetUser,
                          aliceProfile,
                          admin
                              .sealedWith(foreign)
                              .writeTo(io.vertx.core.MultiMap.caseInsensitiveMultiMap()))))
          .as("the user service, with another key's seal")
          .isEqualTo(io.vertx.grpc.common.GrpcStatus.UNAUTHENTICATED);
      assertThat(
              unary(
                      grpc,
                      users,
                      io.courier.contract.v1.UserServiceGrpcClient.GetUser,
                      aliceProfile,
                      new io.courier.service.CallerIdentity(alice, Set.of("orders:read"))
                          .sealedWith(platform)
                          .writeTo(io.vertx.core.MultiMap.caseInsensitiveMultiMap()))
                  .getUser()
                  .getId())
          .as("the user service, alice sealed by the platform")
          .isEqualTo(alice);
    } finally {
      grpc.close().await(10, TimeUnit.SECONDS);
    }
  }

  private static <Req, Resp> Resp unary(
      io.vertx.grpc.client.GrpcClient grpc,
      io.vertx.core.net.SocketAddress server,
      io.vertx.grpc.common.ServiceMethod<Resp, Req> method,
      Req request)
      throws java.util.concurrent.TimeoutException {
    return unary(
        grpc,
        server,
        method,
        request,
        io.vertx.core.MultiMap.caseInsensitiveMultiMap()
            .add("authorization", "Bearer " + adminToken));
  }

  /** gRPC metadata carrying a dev token for {@code subject} with {@code scope}. */
  private static io.vertx.core.MultiMap bearer(String subject, String scope) {
    try {
      return io.vertx.core.MultiMap.caseInsensitiveMultiMap()
          .add("authorization", "Bearer " + FlowClient.token(keys(), subject, Set.of(scope)));
    } catch (java.io.IOException e) {
      throw new java.io.UncheckedIOException(e);
    }
  }

  /** A unary call with {@code metadata} as its only headers. */
  private static <Req, Resp> Resp unary(
      io.vertx.grpc.client.GrpcClient grpc,
      io.vertx.core.net.SocketAddress server,
      io.vertx.grpc.common.ServiceMethod<Resp, Req> method,
      Req request,
      io.vertx.core.MultiMap metadata)
      throws java.util.concurrent.TimeoutException {
    return grpc.request(server, method)
        .compose(
            call -> {
              call.headers().addAll(metadata);
              return call.send(request).compose(response -> response.last());
            })
        .await(30, TimeUnit.SECONDS);
  }

  private static io.vertx.grpc.common.GrpcStatus grpcStatusOf(
      java.util.concurrent.Callable<?> call) {
    try {
      call.call();
      throw new AssertionError("the call succeeded");
    } catch (io.vertx.grpc.client.InvalidStatusException e) {
      return e.actualStatus();
    } catch (Exception e) {
      throw new AssertionError("not a gRPC status: " + e, e);
    }
  }

  /**
   * Places one unit of the seed's SKU {@code sku} for its user {@code user}, waiting for the
   * answer.
   */
  @Test
  @Timeout(120)
  @DisplayName("exposes the flow's metrics on /metrics with bounded labels only")
  void shouldExposeBoundedMetrics() throws Exception {
    for (int i = 0; i < 5; i++) {
      FlowClient.Placed placed = placeOne(run + "metrics-" + i, 3 + i, 3 + i);
      assertThat(placed.status()).isEqualTo(202);
      awaitTerminal(placed.orderId());
    }
    client.getJson("/api/v1/inventory/" + seeds.skus().get(0));
    // JVM GC pause timers appear with the first collection.
    System.gc();
    String health = runtime.endpoints().get("health");
    String metricsUrl = health.replace("/health/ready", "/metrics");
    // The consumers' lag is refreshed every 5 s.
    FlowClient.awaitUntil(
        "consumer lag reported",
        Duration.ofSeconds(20),
        () ->
            scrape(metricsUrl)
                .contains("courier_kafka_consumer_partition_lag{group=\"payment-service\""));
    String metrics = scrape(metricsUrl);
    java.nio.file.Files.writeString(Path.of("target/flow-metrics.txt"), metrics);

    assertThat(metrics)
        .contains("vertx_http_server_requests_total{")
        .contains("vertx_http_server_response_time_seconds_bucket{")
        // HTTP clients: the payment service's calls to the provider, gRPC calls over HTTP/2.
        .contains("vertx_http_client_requests_total{")
        .contains("vertx_http_client_response_time_seconds_bucket{")
        .contains(
            "courier_resilience_retry_budget_total{outcome=\"denied\",target=\"payment-provider\"}")
        .contains("courier_resilience_retry_budget_used{target=\"order-service\"}")
        .contains("courier_resilience_retries_total{target=\"inventory-service\"}")
        .contains("vertx_eventbus_")
        .contains(
            "courier_grpc_server_seconds_count{method=\"courier.v1.UserService/GetUser\",status=\"OK\"}")
        .contains(
            "courier_grpc_client_seconds_count{method=\"ReserveStock\",service=\"inventory-service\",status=\"OK\"}")
        .contains(
            "courier_resilience_calls_seconds_count{outcome=\"success\",target=\"order-service\"}")
        .contains("courier_resilience_breaker_state{target=\"inventory-service\"} 0.0")
        .contains(
            "courier_kafka_publish_seconds_count{outcome=\"acked\",topic=\"courier.payments\"}")
        // Orders and stock are written by their partitions' owners, in transactions.
        .contains("courier_ownership_commit_seconds_count{group=\"order-service.owners\"}")
        .contains("courier_ownership_commit_seconds_count{group=\"inventory-service.owners\"}")
        .contains(
            "courier_ownership_writes_total{group=\"order-service.owners\",outcome=\"committed\"}")
        .contains("courier_ownership_partitions{group=\"order-service.owners\"} 6.0")
        .contains("courier_kafka_consumer_handled_total{group=\"payment-service\"}")
        .contains("courier_kafka_consumer_lag{group=\"payment-service\"} ")
        .contains(
            "courier_kafka_consumer_partition_lag{group=\"payment-service\",partition=\"0\","
                + "topic=\"courier.orders\"}")
        .contains("kafka_producer_record_send_total")
        .contains("jvm_memory_used_bytes{", "jvm_threads_live_threads", "process_cpu_usage");
    assertThat(monitoringMetricNames())
        .allSatisfy(name -> assertThat(families(metrics)).contains(name));
    List<String> series = metrics.lines().filter(l -> !l.startsWith("#") && !l.isBlank()).toList();
    assertThat(series)
        .as("client requests that got an answer, by method and status")
        .anyMatch(
            l ->
                l.startsWith("vertx_http_client_responses_total{")
                    && l.matches(".*code=\"2\\d\\d\".*")
                    && l.contains("method=\"POST\"")
                    && !l.endsWith(" 0.0"));
    java.util.regex.Pattern unbounded =
        java.util.regex.Pattern.compile(
            "=\"[^\"]*(?:[0-9a-f]{8}-[0-9a-f]{4}-|\\d{6,}|127\\.0\\.0\\.1:|/api/v1/orders/[^:\"])[^\"]*\"");
    assertThat(series).noneMatch(line -> unbounded.matcher(line).find());
    assertThat(series).as("series in all").hasSizeLessThan(4_000);
  }

  @Test
  @Timeout(60)
  @DisplayName(
      "carries x-courier-version from the REST edge over the event bus to the order service's"
          + " inventory calls: the running version places, an unknown one is refused 503 naming"
          + " target and version, a malformed one 400")
  void shouldCarryTheRequestedVersionToTheInventory() throws Exception {
    io.courier.discovery.Discovery registry =
        new io.courier.discovery.EmbeddedDiscovery(runtime.vertx());
    String running;
    try {
      running =
          registry
              .resolve("inventory-service")
              .await(10, TimeUnit.SECONDS)
              .get(0)
              .tags()
              .get("version");
    } finally {
      registry.close();
    }
    assertThat(placeWithVersion(run + "version-running", running).statusCode()).isEqualTo(202);

    java.net.http.HttpResponse<String> unknown = placeWithVersion(run + "version-9", "9");
    assertThat(unknown.statusCode()).as(unknown.body()).isEqualTo(503);
    JsonObject problem = new JsonObject(unknown.body());
    assertThat(problem.getString("type"))
        .isEqualTo("https://courier.dev/problems/version-unavailable");
    assertThat(problem.getString("detail"))
        .isEqualTo("no instance of version '9' of inventory-service is known");

    java.net.http.HttpResponse<String> malformed = placeWithVersion(run + "version-bad", "2 b");
    assertThat(malformed.statusCode()).as(malformed.body()).isEqualTo(400);
    assertThat(new JsonObject(malformed.body()).getString("field")).isEqualTo("x-courier-version");
  }

  private java.net.http.HttpResponse<String> placeWithVersion(String key, String version)
      throws Exception {
    return client.send(
        client
            .request("/api/v1/orders")
            .header("Content-Type", "application/json")
            .header("Idempotency-Key", key)
            .header("x-courier-version", version)
            .POST(
                java.net.http.HttpRequest.BodyPublishers.ofString(
                    FlowClient.orderBody(
                        seeds.userIds().get(10),
                        List.of(new FlowClient.Line(seeds.skus().get(10), 1))))));
  }

  @Test
  @Timeout(60)
  @DisplayName(
      "registers every endpoint in discovery: REST and gRPC edges, the gRPC services and the"
          + " order service's event-bus service, with role, protocol and version tags")
  void shouldRegisterEveryEndpointInDiscovery() throws Exception {
    io.courier.discovery.Discovery registry =
        new io.courier.discovery.EmbeddedDiscovery(runtime.vertx());
    try {
      int restPort = java.net.URI.create(runtime.endpoints().get("gateway")).getPort();
      assertThat(registry.resolve("gateway").await(10, TimeUnit.SECONDS))
          .singleElement()
          .satisfies(
              gateway -> {
                assertThat(gateway.port()).isEqualTo(restPort);
                assertThat(gateway.tags())
                    .containsEntry("protocol", "http")
                    .containsEntry("role", "gateway")
                    .containsKey("version");
              });
      assertThat(registry.resolve("gateway-grpc").await(10, TimeUnit.SECONDS))
          .singleElement()
          .satisfies(grpc -> assertThat(grpc.tags()).containsEntry("protocol", "grpc"));
      int healthPort = java.net.URI.create(runtime.endpoints().get("health")).getPort();
      assertThat(registry.resolve("order-service").await(10, TimeUnit.SECONDS))
          .singleElement()
          .satisfies(
              orders -> {
                assertThat(orders.port()).as("its readiness port").isEqualTo(healthPort);
                assertThat(orders.tags())
                    .containsEntry("protocol", "eventbus")
                    .containsEntry("address", "courier.order.place")
                    .containsEntry("role", "order-service");
              });
      for (String grpcService : List.of("user-service", "inventory-service")) {
        assertThat(registry.resolve(grpcService).await(10, TimeUnit.SECONDS))
            .as(grpcService)
            .singleElement()
            .satisfies(service -> assertThat(service.tags()).containsEntry("protocol", "grpc"));
      }
    } finally {
      registry.close();
    }
  }

  @Test
  @Timeout(60)
  @DisplayName(
      "shows process, breakers, consumers and discovered peers on /admin, and sets log levels")
  void shouldServeTheAdminView() throws Exception {
    FlowClient.Placed placed = placeOne(run + "admin", 4, 4);
    assertThat(placed.status()).isEqualTo(202);
    awaitTerminal(placed.orderId());
    String admin = runtime.endpoints().get("admin");
    FlowClient.awaitUntil(
        "consumer partitions in the admin view",
        Duration.ofSeconds(20),
        () ->
            new JsonObject(scrape(admin))
                    .getJsonObject("consumers")
                    .getJsonObject("payment-service", new JsonObject())
                    .getJsonObject("partitions", new JsonObject())
                    .size()
                > 0);

    JsonObject view = new JsonObject(scrape(admin));
    assertThat(view.getJsonObject("process").getString("state")).isEqualTo("READY");
    assertThat(view.getJsonObject("process").getJsonObject("roles").getMap())
        .containsEntry("order-service", "deployed")
        .containsEntry("gateway", "deployed");
    assertThat(view.getJsonObject("cluster").getJsonArray("members").getList())
        .containsExactly("local");
    assertThat(view.getJsonObject("cluster").getJsonArray("processes")).hasSize(1);
    assertThat(view.getJsonObject("breakers").getString("inventory-service")).isEqualTo("CLOSED");
    assertThat(view.getJsonObject("breakers").getString("user-service")).isEqualTo("CLOSED");
    assertThat(view.getJsonObject("consumers").getJsonObject("payment-service").getLong("lag"))
        .isNotNull();
    JsonObject discovered = view.getJsonObject("sections").getJsonObject("discovered");
    assertThat(discovered.getJsonArray("user-service")).isNotEmpty();
    assertThat(discovered.getJsonArray("inventory-service").getJsonObject(0).getString("address"))
        .startsWith("127.0.0.1:");

    String logger = admin + "/loggers/io.courier.order";
    java.net.http.HttpResponse<String> set = put(logger, "{\"level\":\"debug\"}");
    assertThat(set.statusCode()).isEqualTo(200);
    assertThat(new JsonObject(scrape(logger)).getString("effectiveLevel")).isEqualTo("DEBUG");
    assertThat(org.slf4j.LoggerFactory.getLogger("io.courier.order.OrderVerticle").isDebugEnabled())
        .isTrue();
    java.net.http.HttpResponse<String> bad = put(logger, "{\"level\":\"LOUD\"}");
    assertThat(bad.statusCode()).isEqualTo(400);
    assertThat(bad.body()).contains("unknown level 'LOUD'");
    java.net.http.HttpResponse<String> notJson = put(logger, "level=INFO");
    assertThat(notJson.statusCode()).isEqualTo(400);
    assertThat(scrapeStatus(admin + "/loggers/bad%20name")).isEqualTo(400);
    put(logger, "{\"level\":\"INFO\"}");
    assertThat(new JsonObject(scrape(logger)).getString("level")).isEqualTo("INFO");
  }

  private static java.net.http.HttpResponse<String> put(String url, String body) throws Exception {
    return java.net.http.HttpClient.newHttpClient()
        .send(
            java.net.http.HttpRequest.newBuilder(java.net.URI.create(url))
                .PUT(java.net.http.HttpRequest.BodyPublishers.ofString(body))
                .build(),
            java.net.http.HttpResponse.BodyHandlers.ofString());
  }

  private static int scrapeStatus(String url) throws Exception {
    return java.net.http.HttpClient.newHttpClient()
        .send(
            java.net.http.HttpRequest.newBuilder(java.net.URI.create(url)).build(),
            java.net.http.HttpResponse.BodyHandlers.ofString())
        .statusCode();
  }

  @Test
  @Timeout(90)
  @DisplayName("gives one POST one trace: gateway, event bus, gRPC, Kafka, payment, back to orders")
  void shouldTraceOneOrderAcrossEveryHop() throws Exception {
    String traceId = UUID.randomUUID().toString().replace("-", "");
    ch.qos.logback.classic.Logger notifications =
        (ch.qos.logback.classic.Logger)
            LoggerFactory.getLogger("io.courier.notification.NotificationVerticle");
    List<ch.qos.logback.classic.spi.ILoggingEvent> logged =
        new java.util.concurrent.CopyOnWriteArrayList<>();
    ch.qos.logback.core.AppenderBase<ch.qos.logback.classic.spi.ILoggingEvent> capture =
        new ch.qos.logback.core.AppenderBase<>() {
          @Override
          protected void append(ch.qos.logback.classic.spi.ILoggingEvent event) {
            event.prepareForDeferredProcessing();
            logged.add(event);
          }
        };
    capture.setContext(notifications.getLoggerContext());
    capture.start();
    notifications.addAppender(capture);
    String body =
        FlowClient.orderBody(
            seeds.userIds().get(6), List.of(new FlowClient.Line(seeds.skus().get(6), 1)));
    java.net.http.HttpResponse<String> answer =
        client.send(
            client
                .request("/api/v1/orders")
                .header("Content-Type", "application/json")
                .header("Idempotency-Key", run + "traced")
                .header("traceparent", "00-" + traceId + "-00f067aa0ba902b7-01")
                .POST(java.net.http.HttpRequest.BodyPublishers.ofString(body)));
    assertThat(answer.statusCode()).isEqualTo(202);
    String tracedOrder = new JsonObject(answer.body()).getString("orderId");
    awaitTerminal(tracedOrder);
    FlowClient.awaitUntil(
        "the payment outcome consumed by the order service, in the trace",
        Duration.ofSeconds(30),
        () ->
            trace(traceId).stream()
                .anyMatch(
                    s ->
                        s.getName().equals("courier.payments process")
                            && "order-service"
                                .equals(
                                    s.getAttributes()
                                        .get(
                                            io.opentelemetry.api.common.AttributeKey.stringKey(
                                                "messaging.consumer.group.name")))));
    List<io.opentelemetry.sdk.trace.data.SpanData> trace = trace(traceId);
    trace.forEach(
        s ->
            LOG.info(
                "span {} {} {} parent {} {}",
                s.getKind(),
                s.getName(),
                s.getSpanId(),
                s.getParentSpanId(),
                s.getAttributes()));
    // The notification service's log line about this order carries the request's trace id, and
    // the shipped conf/logback-json.xml writes it as one ECS JSON line with the role and instance.
    FlowClient.awaitUntil(
        "a notification logged in the trace",
        Duration.ofSeconds(30),
        () -> logged.stream().anyMatch(e -> traceId.equals(e.getMDCPropertyMap().get("trace.id"))));
    notifications.detachAppender(capture);
    ch.qos.logback.classic.spi.ILoggingEvent line =
        logged.stream()
            .filter(e -> traceId.equals(e.getMDCPropertyMap().get("trace.id")))
            .findFirst()
            .orElseThrow();
    JsonObject encoded = writtenAsShipped(line, traceId);
    assertThat(encoded.getString("log.level")).isEqualTo("INFO");
    assertThat(encoded.getString("log.logger"))
        .isEqualTo("io.courier.notification.NotificationVerticle");
    assertThat(encoded.getString("message")).startsWith("notify user ");
    assertThat(java.time.Instant.parse(encoded.getString("@timestamp")))
        .isBefore(java.time.Instant.now());
    assertThat(encoded.getString("ecs.version")).isNotBlank();
    assertThat(encoded.getString("trace.id")).isEqualTo(traceId);
    assertThat(encoded.getString("span.id")).matches("[0-9a-f]{16}");
    assertThat(encoded.getString("service.name")).isEqualTo("courier");
    assertThat(encoded.getString("role")).contains("notification-service", "order-service");
    assertThat(encoded.getString("instance")).isNotBlank();
    List<String> hops = trace.stream().map(OrderFlowIT::hop).toList();
    // The owner of the order's partition of the orders topic listens there.
    String placeAddress =
        io.courier.codec.flow.Addresses.of(
            io.courier.codec.flow.Addresses.ORDER_PLACE,
            io.courier.codec.flow.Partitions.of(
                tracedOrder,
                io.courier.runtime.config.KafkaConfig.TopicsConfig.DEFAULTS.partitions()));
    assertThat(hops)
        .contains(
            "SERVER POST /api/v1/orders",
            "CLIENT send " + placeAddress,
            "SERVER send " + placeAddress,
            "SERVER POST /courier.v1.UserService/GetUser",
            "SERVER POST /courier.v1.InventoryService/ReserveStock",
            "PRODUCER courier.orders publish courier.orders",
            "CONSUMER courier.orders process courier.orders",
            "SERVER POST /v1/charges",
            "PRODUCER courier.payments publish courier.payments",
            "CONSUMER courier.payments process courier.payments");
    assertThat(hops).anyMatch(h -> h.startsWith("CLIENT POST http") && h.endsWith("/GetUser"));
    // Every consumer span is linked to the producer span it continues.
    Set<String> producers = new HashSet<>();
    trace.stream()
        .filter(s -> s.getKind() == io.opentelemetry.api.trace.SpanKind.PRODUCER)
        .forEach(s -> producers.add(s.getSpanId()));
    assertThat(
            trace.stream().filter(s -> s.getKind() == io.opentelemetry.api.trace.SpanKind.CONSUMER))
        .isNotEmpty()
        .allSatisfy(
            s -> {
              assertThat(s.getLinks()).isNotEmpty();
              assertThat(producers).contains(s.getLinks().get(0).getSpanContext().getSpanId());
              assertThat(producers).contains(s.getParentSpanId());
            });
  }

  @Test
  @Timeout(90)
  @DisplayName(
      "carries a caller's deadline from either edge to every service, smaller at each hop, capped"
          + " by gateway.requestTimeoutMs, and refuses a malformed Courier-Timeout-Ms")
  void shouldShrinkTheCallersDeadlineHopByHop() throws Exception {
    // Under the inventory calls' own policy timeout (1.5 s), so what reaches the inventory service
    // is what is left of the caller's; the user calls' policy (0.5 s) is shorter still.
    String restTrace = UUID.randomUUID().toString().replace("-", "");
    java.net.http.HttpResponse<String> answer =
        client.send(
            client
                .request("/api/v1/orders")
                .header("Content-Type", "application/json")
                .header("Idempotency-Key", run + "deadline-rest")
                .header("Courier-Timeout-Ms", "1400")
                .header("traceparent", "00-" + restTrace + "-00f067aa0ba902b7-01")
                .POST(
                    java.net.http.HttpRequest.BodyPublishers.ofString(
                        FlowClient.orderBody(
                            seeds.userIds().get(8),
                            List.of(new FlowClient.Line(seeds.skus().get(8), 1))))));
    assertThat(answer.statusCode()).as(answer.body()).isEqualTo(202);
    String restOrder = new JsonObject(answer.body()).getString("orderId");
    Map<String, Double> rest =
        deadlinesAlongTheWay(restTrace, restOrder, "SERVER POST /api/v1/orders");
    assertThat(rest.get("edge")).isLessThanOrEqualTo(1400.0).isGreaterThan(rest.get("order"));
    assertThat(rest.get("order"))
        .isGreaterThan(rest.get("user"))
        .isGreaterThan(rest.get("inventory"));

    // Over gRPC, the caller's grpc-timeout is the deadline.
    String grpcTrace = UUID.randomUUID().toString().replace("-", "");
    String[] hostPort = runtime.endpoints().get("gateway (gRPC)").split(":");
    io.vertx.grpc.client.GrpcClient grpc = io.vertx.grpc.client.GrpcClient.client(webhook);
    try {
      io.courier.contract.v1.PlaceOrderResponse placed =
          grpc.request(
                  io.vertx.core.net.SocketAddress.inetSocketAddress(
                      Integer.parseInt(hostPort[1]), hostPort[0]),
                  io.courier.contract.v1.OrderServiceGrpcClient.PlaceOrder)
              .compose(
                  call -> {
                    call.headers()
                        .add("authorization", "Bearer " + adminToken)
                        .add("traceparent", "00-" + grpcTrace + "-00f067aa0ba902b7-01");
                    call.timeout(1300, TimeUnit.MILLISECONDS);
                    return call.send(
                            io.courier.contract.v1.PlaceOrderRequest.newBuilder()
                                .setUserId(seeds.userIds().get(9))
                                .setIdempotencyKey(run + "deadline-grpc")
                                .addItems(
                                    io.courier.contract.v1.LineItem.newBuilder()
                                        .setSku(seeds.skus().get(9))
                                        .setQuantity(1))
                                .build())
                        .compose(response -> response.last());
                  })
              .await(30, TimeUnit.SECONDS);
      Map<String, Double> overGrpc =
          deadlinesAlongTheWay(
              grpcTrace, placed.getOrderId(), "SERVER POST /courier.v1.OrderService/PlaceOrder");
      assertThat(overGrpc.get("edge"))
          .isLessThanOrEqualTo(1300.0)
          .isGreaterThan(overGrpc.get("order"));
      assertThat(overGrpc.get("order"))
          .isGreaterThan(overGrpc.get("user"))
          .isGreaterThan(overGrpc.get("inventory"));
    } finally {
      grpc.close().await(10, TimeUnit.SECONDS);
    }

    // More than the gateway allows is cut to gateway.requestTimeoutMs (5 s here).
    String cappedTrace = UUID.randomUUID().toString().replace("-", "");
    assertThat(
            client
                .send(
                    client
                        .request("/api/v1/inventory/" + seeds.skus().get(8))
                        .header("Courier-Timeout-Ms", "600000")
                        .header("traceparent", "00-" + cappedTrace + "-00f067aa0ba902b7-01")
                        .GET())
                .statusCode())
        .isEqualTo(200);
    FlowClient.awaitUntil(
        "the capped read's edge span",
        Duration.ofSeconds(30),
        () -> remainingAt(cappedTrace, "SERVER GET /api/v1/inventory/" + seeds.skus().get(8)) > 0);
    assertThat(remainingAt(cappedTrace, "SERVER GET /api/v1/inventory/" + seeds.skus().get(8)))
        .isLessThanOrEqualTo(5000.0)
        .isGreaterThan(4000.0);

    for (String bad : List.of("abc", "0", "-5", "1.5", "20s", "9999999999999999999")) {
      java.net.http.HttpResponse<String> refused =
          client.send(
              client
                  .request("/api/v1/inventory/" + seeds.skus().get(8))
                  .header("Courier-Timeout-Ms", bad)
                  .GET());
      assertThat(refused.statusCode()).as("Courier-Timeout-Ms: '%s'", bad).isEqualTo(400);
      JsonObject problem = new JsonObject(refused.body());
      assertThat(problem.getString("type")).endsWith("/invalid-header");
      assertThat(problem.getString("field")).isEqualToIgnoringCase("Courier-Timeout-Ms");
    }
  }

  /**
   * What was left of a placing's deadline (milliseconds) at the edge span named {@code edgeHop}, at
   * the order service, and at the user and inventory services' gRPC servers.
   */
  private Map<String, Double> deadlinesAlongTheWay(String traceId, String orderId, String edgeHop) {
    String placeAddress =
        io.courier.codec.flow.Addresses.of(
            io.courier.codec.flow.Addresses.ORDER_PLACE,
            io.courier.codec.flow.Partitions.of(
                orderId, io.courier.runtime.config.KafkaConfig.TopicsConfig.DEFAULTS.partitions()));
    Map<String, String> hops =
        Map.of(
            "edge",
            edgeHop,
            "order",
            "SERVER send " + placeAddress,
            "user",
            "SERVER POST /courier.v1.UserService/GetUser",
            "inventory",
            "SERVER POST /courier.v1.InventoryService/ReserveStock");
    FlowClient.awaitUntil(
        "every hop of trace " + traceId + " with its deadline",
        Duration.ofSeconds(30),
        () -> hops.values().stream().allMatch(hop -> remainingAt(traceId, hop) > 0));
    Map<String, Double> remaining = new java.util.TreeMap<>();
    hops.forEach((name, hop) -> remaining.put(name, remainingAt(traceId, hop)));
    LOG.info("deadline left along trace {}: {}", traceId, remaining);
    return remaining;
  }

  /** {@code courier.deadline.remaining_ms} of the trace's first span that is {@code hop}, or -1. */
  private double remainingAt(String traceId, String hop) {
    return trace(traceId).stream()
        .filter(s -> hop.equals(hop(s)))
        .map(s -> s.getAttributes().get(io.courier.runtime.tracing.SpanDeadline.REMAINING_MS))
        .filter(java.util.Objects::nonNull)
        .findFirst()
        .orElse(-1.0);
  }

  /**
   * Writes {@code event} as a process started with {@code
   * -Dlogback.configurationFile=conf/logback-json.xml} does: a Logback context configured by Joran
   * from the shipped file routes it through its logger for the event's name (levels, additivity,
   * appenders) to its JSON console appender, whose stream goes to a file here instead of stdout.
   * Gives the line carrying {@code traceId}, parsed.
   */
  private static JsonObject writtenAsShipped(
      ch.qos.logback.classic.spi.ILoggingEvent event, String traceId) throws Exception {
    ch.qos.logback.classic.LoggerContext shipped = new ch.qos.logback.classic.LoggerContext();
    ch.qos.logback.classic.joran.JoranConfigurator configurator =
        new ch.qos.logback.classic.joran.JoranConfigurator();
    configurator.setContext(shipped);
    configurator.doConfigure(Path.of("../../conf/logback-json.xml").toFile());
    Path file = Path.of("target/flow-json.log");
    try {
      assertThat(shipped.getStatusManager().getCopyOfStatusList())
          .noneMatch(status -> status.getLevel() >= ch.qos.logback.core.status.Status.WARN);
      ch.qos.logback.classic.Logger logger = shipped.getLogger(event.getLoggerName());
      assertThat(logger.isEnabledFor(event.getLevel()))
          .as("the shipped levels let the line through")
          .isTrue();
      ch.qos.logback.classic.AsyncAppender queue =
          (ch.qos.logback.classic.AsyncAppender)
              shipped.getLogger(org.slf4j.Logger.ROOT_LOGGER_NAME).getAppender("ASYNC");
      @SuppressWarnings("unchecked")
      ch.qos.logback.core.OutputStreamAppender<ch.qos.logback.classic.spi.ILoggingEvent> json =
          (ch.qos.logback.core.OutputStreamAppender<ch.qos.logback.classic.spi.ILoggingEvent>)
              queue.getAppender("JSON");
      try (java.io.OutputStream out = java.nio.file.Files.newOutputStream(file)) {
        json.setOutputStream(out);
        logger.callAppenders(event);
        queue.stop(); // writes what it holds
        json.stop();
      }
    } finally {
      shipped.stop();
    }
    List<String> lines =
        java.nio.file.Files.readAllLines(file).stream().filter(l -> l.contains(traceId)).toList();
    assertThat(lines).as("lines of " + file + " with the trace id").hasSize(1);
    return new JsonObject(lines.get(0));
  }

  /** A span as kind, name and what it addressed (path, URL or destination). */
  private static String hop(io.opentelemetry.sdk.trace.data.SpanData span) {
    var attributes = span.getAttributes();
    String target = attributes.get(io.opentelemetry.api.common.AttributeKey.stringKey("url.path"));
    if (target == null) {
      target = attributes.get(io.opentelemetry.api.common.AttributeKey.stringKey("url.full"));
    }
    if (target == null) {
      target =
          attributes.get(
              io.opentelemetry.api.common.AttributeKey.stringKey("messaging.destination.name"));
    }
    return span.getKind() + " " + span.getName() + " " + target;
  }

  private List<io.opentelemetry.sdk.trace.data.SpanData> trace(String traceId) {
    return spans.getFinishedSpanItems().stream()
        .filter(s -> s.getTraceId().equals(traceId))
        .toList();
  }

  private void awaitTerminal(String orderId) {
    FlowClient.awaitUntil(
        "order " + orderId + " terminal",
        Duration.ofSeconds(30),
        () -> {
          try {
            return !"PENDING"
                .equals(client.getJson("/api/v1/orders/" + orderId).getString("status"));
          } catch (Exception e) {
            return false;
          }
        });
  }

  /** Every metric name the shipped alert rules and dashboard query, after their runbooks check. */
  @SuppressWarnings("unchecked")
  private static Set<String> monitoringMetricNames() throws Exception {
    Path monitoring = Path.of("../../deploy/monitoring");
    Map<String, Object> rules =
        io.fabric8.kubernetes.client.utils.Serialization.unmarshal(
            java.nio.file.Files.readString(monitoring.resolve("courier-alerts.yaml")), Map.class);
    String operations = java.nio.file.Files.readString(Path.of("../../docs/operations.md"));
    Set<String> anchors = new HashSet<>();
    operations
        .lines()
        .filter(l -> l.startsWith("#"))
        .forEach(
            l ->
                anchors.add(
                    l.replaceFirst("^#+ ", "")
                        .toLowerCase(java.util.Locale.ROOT)
                        .replaceAll("[^a-z0-9 -]", "")
                        .replace(' ', '-')));
    List<String> exprs = new ArrayList<>();
    for (Object group : (List<Object>) rules.get("groups")) {
      for (Object each : (List<Object>) ((Map<String, Object>) group).get("rules")) {
        Map<String, Object> rule = (Map<String, Object>) each;
        Map<String, Object> annotations = (Map<String, Object>) rule.get("annotations");
        String runbook = String.valueOf(annotations.get("runbook_url"));
        assertThat(rule).containsKeys("alert", "expr", "labels");
        assertThat(anchors)
            .as("runbook of " + rule.get("alert"))
            .contains(runbook.substring(runbook.indexOf('#') + 1));
        exprs.add(String.valueOf(rule.get("expr")));
      }
    }
    JsonObject dashboard =
        new JsonObject(
            java.nio.file.Files.readString(monitoring.resolve("courier-dashboard.json")));
    for (Object panel : dashboard.getJsonArray("panels")) {
      for (Object target : ((JsonObject) panel).getJsonArray("targets")) {
        exprs.add(((JsonObject) target).getString("expr"));
      }
    }
    assertThat(exprs).hasSizeGreaterThan(15);
    Set<String> names = new java.util.TreeSet<>();
    java.util.regex.Matcher matcher =
        java.util.regex.Pattern.compile("\\b(?:courier|vertx|jvm|process|kafka)_[a-z0-9_]+")
            .matcher(String.join("\n", exprs));
    while (matcher.find()) {
      names.add(matcher.group());
    }
    return names;
  }

  /** Metric names a scrape holds: each family, with a histogram's or summary's series names. */
  private static Set<String> families(String metrics) {
    Set<String> names = new HashSet<>();
    metrics
        .lines()
        .filter(l -> l.startsWith("# TYPE "))
        .forEach(
            l -> {
              String[] parts = l.split(" ");
              names.add(parts[2]);
              if (parts[3].equals("histogram") || parts[3].equals("summary")) {
                names.addAll(List.of(parts[2] + "_bucket", parts[2] + "_count", parts[2] + "_sum"));
              }
            });
    return names;
  }

  private static String scrape(String url) {
    try {
      return java.net.http.HttpClient.newHttpClient()
          .send(
              java.net.http.HttpRequest.newBuilder(java.net.URI.create(url)).build(),
              java.net.http.HttpResponse.BodyHandlers.ofString())
          .body();
    } catch (Exception e) {
      return "";
    }
  }

  private FlowClient.Placed placeOne(String key, int user, int sku) throws Exception {
    return client
        .place(
            key,
            FlowClient.orderBody(
                seeds.userIds().get(user), List.of(new FlowClient.Line(seeds.skus().get(sku), 1))))
        .get(30, TimeUnit.SECONDS);
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
    List<Event<?>> events = new ArrayList<>();
    io.courier.service.StateTopics.replay(
        io.courier.runtime.kafka.KafkaConnection.plaintext(servers), topic, events::add);
    return events;
  }
}
