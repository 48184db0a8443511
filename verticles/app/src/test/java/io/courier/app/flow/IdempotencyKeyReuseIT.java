package io.courier.app.flow;

import static org.assertj.core.api.Assertions.assertThat;

import io.courier.codec.flow.Partitions;
import io.courier.kafka.embedded.EmbeddedKafkaBroker;
import io.courier.kafka.embedded.SharedKafkaBroker;
import io.courier.order.OrderServiceRole;
import io.courier.runtime.CourierRuntime;
import io.courier.runtime.Roles;
import io.courier.runtime.config.KafkaConfig.TopicsConfig;
import io.vertx.core.json.JsonObject;
import java.net.URI;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/**
 * A user's placing reserves its stock and then fails to record the order (the {@code order-store}
 * fault point fails the write, as a lost write to the orders topic would), so the stock stays held
 * under the order id of the user and the Idempotency-Key. A retry with the same key and another
 * body must not take that stock over: through the REST edge, one process with the user, inventory,
 * order and gateway roles on the shared broker, its SKUs spread over the stock topic's partitions
 * (so several owners answer each reservation).
 */
@ExtendWith(SharedKafkaBroker.class)
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@DisplayName("An Idempotency-Key reused with another body after a placing that was not recorded")
class IdempotencyKeyReuseIT {

  private static final int PARTITIONS = TopicsConfig.DEFAULTS.partitions();
  private static final long STOCK = 20;

  @TempDir static Path work;

  private final String run = "k" + UUID.randomUUID().toString().substring(0, 8) + "-";
  private CourierRuntime runtime;
  private FlowSeeds seeds;
  private FlowClient client;
  private String faults;
  private final List<String> unused = new ArrayList<>();

  @BeforeAll
  void start(EmbeddedKafkaBroker kafka) throws Exception {
    seeds = FlowSeeds.write(work, run, 2, 8, STOCK);
    unused.addAll(seeds.skus());
    runtime =
        CourierRuntime.start(
                OrderFlowIT.config(
                    kafka,
                    seeds,
                    Map.of(
                        "courier.roles",
                        "user-service,inventory-service,order-service,gateway",
                        "courier.gateway.auth.mode",
                        "none",
                        "courier.admin.faultInjection",
                        "true",
                        // Long enough for a test's steps to end before the sweep looks at the
                        // first attempt's lines, short enough to wait for it once.
                        "courier.services.inventory.reservationTtlMs",
                        "10000",
                        "courier.services.inventory.sweepIntervalMs",
                        "200")),
                Roles.available())
            .await(120, TimeUnit.SECONDS);
    client = new FlowClient(runtime.endpoints().get("gateway"));
    faults = runtime.endpoints().get("admin") + "/faults/" + OrderServiceRole.STORE_FAULT_POINT;
  }

  @AfterAll
  void stop() throws Exception {
    if (runtime != null) {
      runtime.stop(Duration.ofSeconds(20)).await(30, TimeUnit.SECONDS);
    }
  }

  @Test
  @Timeout(120)
  @DisplayName(
      "answers 409 idempotency-key-reused to another body, holds nothing for it, and completes the"
          + " first body")
  void shouldRefuseAnotherBodyWithoutTakingOverTheFirstAttemptsStock() throws Exception {
    String user = seeds.userIds().get(0);
    List<String> skus = ofTwoOwners();
    String held = skus.get(0);
    String other = skus.get(1);
    String key = run + "reused";
    String firstBody = FlowClient.orderBody(user, List.of(new FlowClient.Line(held, 2)));

    HttpResponse<String> failed = placeWhileTheStoreFails(key, firstBody);
    assertThat(failed.statusCode()).as(failed.body()).isEqualTo(503);
    assertThat(new JsonObject(failed.body()).getString("type")).endsWith("/store-unavailable");
    assertThat(stock(held).getLong("reserved")).as("the first attempt's hold").isEqualTo(2);

    // Overlapping the first attempt's SKU, and one of another owner.
    HttpResponse<String> reused =
        place(
            key,
            FlowClient.orderBody(
                user, List.of(new FlowClient.Line(held, 5), new FlowClient.Line(other, 1))));
    assertThat(reused.statusCode()).as(reused.body()).isEqualTo(409);
    assertThat(reused.headers().firstValue("Content-Type")).hasValue("application/problem+json");
    assertThat(new JsonObject(reused.body()).getString("type")).endsWith("/idempotency-key-reused");
    assertThat(stock(held).getLong("reserved")).as("the first attempt's hold, kept").isEqualTo(2);
    assertThat(stock(held).getLong("available")).isEqualTo(STOCK - 2);
    assertThat(stock(other).getLong("reserved")).as("nothing held for the reuse").isZero();
    assertThat(stock(other).getLong("available")).isEqualTo(STOCK);

    HttpResponse<String> retried = place(key, firstBody);
    assertThat(retried.statusCode()).as(retried.body()).isEqualTo(202);
    JsonObject order =
        client.getJson("/api/v1/orders/" + new JsonObject(retried.body()).getString("orderId"));
    assertThat(order.getJsonArray("items")).hasSize(1);
    assertThat(order.getJsonArray("items").getJsonObject(0).getString("sku")).isEqualTo(held);
    assertThat(order.getJsonArray("items").getJsonObject(0).getInteger("quantity")).isEqualTo(2);
    assertThat(stock(held).getLong("reserved")).as("held once, not twice").isEqualTo(2);
  }

  @Test
  @Timeout(120)
  @DisplayName(
      "undoes the first attempt's stock once past its TTL when the key was placed with other SKUs")
  void shouldUndoTheFirstAttemptsStockWhenTheOrderWasPlacedWithOtherSkus() throws Exception {
    String user = seeds.userIds().get(1);
    List<String> skus = ofTwoOwners();
    String first = skus.get(0);
    String second = skus.get(1);
    String key = run + "elsewhere";

    HttpResponse<String> failed =
        placeWhileTheStoreFails(
            key, FlowClient.orderBody(user, List.of(new FlowClient.Line(first, 3))));
    assertThat(failed.statusCode()).as(failed.body()).isEqualTo(503);
    assertThat(stock(first).getLong("reserved")).isEqualTo(3);

    // Only owners holding nothing of the order are asked: they cannot tell, and it is placed.
    HttpResponse<String> placed =
        place(key, FlowClient.orderBody(user, List.of(new FlowClient.Line(second, 1))));
    assertThat(placed.statusCode()).as(placed.body()).isEqualTo(202);
    String orderId = new JsonObject(placed.body()).getString("orderId");

    FlowClient.awaitUntil(
        "the first attempt's hold is undone by the orphan sweep",
        Duration.ofSeconds(60),
        () -> stock(first).getLong("reserved") == 0);
    assertThat(stock(first).getLong("available")).isEqualTo(STOCK);
    assertThat(client.getJson("/api/v1/orders/" + orderId).getString("status"))
        .as("undone while the order is pending, not released by its end")
        .isEqualTo("PENDING");
    assertThat(stock(second).getLong("reserved")).as("the order's own hold").isEqualTo(1);
  }

  /** Places {@code body} with the order store failing every write, then clears the fault. */
  private HttpResponse<String> placeWhileTheStoreFails(String key, String body) throws Exception {
    admin(HttpRequest.newBuilder(URI.create(faults)).PUT(ofString("{\"errorRatio\": 1}")));
    try {
      return place(key, body);
    } finally {
      admin(HttpRequest.newBuilder(URI.create(faults)).DELETE());
    }
  }

  private void admin(HttpRequest.Builder request) throws Exception {
    HttpResponse<String> answer = client.send(request);
    assertThat(answer.statusCode()).as(answer.body()).isEqualTo(200);
  }

  private HttpResponse<String> place(String key, String body) throws Exception {
    return client.send(
        client
            .request("/api/v1/orders")
            .header("Content-Type", "application/json")
            .header("Idempotency-Key", key)
            .POST(ofString(body)));
  }

  private static HttpRequest.BodyPublisher ofString(String body) {
    return HttpRequest.BodyPublishers.ofString(body);
  }

  /** Two seeded SKUs no other test uses, in partitions of the stock topic apart. */
  private List<String> ofTwoOwners() {
    for (String one : unused) {
      for (String two : unused) {
        if (Partitions.of(one, PARTITIONS) != Partitions.of(two, PARTITIONS)) {
          unused.remove(one);
          unused.remove(two);
          return List.of(one, two);
        }
      }
    }
    throw new AssertionError("no two unused SKUs in different partitions: " + unused);
  }

  private JsonObject stock(String sku) {
    JsonObject level = client.getJsonOrNull("/api/v1/inventory/" + sku).join();
    if (level == null) {
      throw new AssertionError("no stock level for " + sku);
    }
    return level;
  }
}
