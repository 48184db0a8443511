package io.courier.app.flow;

import static org.assertj.core.api.Assertions.assertThat;

import io.courier.codec.flow.Topics;
import io.courier.kafka.embedded.EmbeddedKafkaBroker;
import io.courier.kafka.embedded.SharedKafkaBroker;
import io.courier.runtime.CourierRuntime;
import io.courier.runtime.Roles;
import io.vertx.core.json.JsonObject;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/** The gateway when the services behind it are not running: 503 with Retry-After, not a hang. */
@ExtendWith(SharedKafkaBroker.class)
@DisplayName("The gateway with its dependencies down")
class DependencyDownIT {

  @TempDir Path work;
  private CourierRuntime runtime;

  @AfterEach
  void stop() throws Exception {
    if (runtime != null) {
      runtime.stop(Duration.ofSeconds(20)).await(30, TimeUnit.SECONDS);
    }
  }

  @Test
  @Timeout(120)
  @DisplayName(
      "answers 503 with Retry-After for the order and user services, and serves what is up")
  void shouldAnswer503WhenDependencyIsUnavailable(EmbeddedKafkaBroker kafka) throws Exception {
    FlowSeeds seeds = FlowSeeds.write(work, "down-", 2, 2, 10);
    FlowClient client = start(kafka, seeds, Map.of("courier.roles", "inventory-service,gateway"));

    FlowClient.Placed placed =
        client
            .place(
                "down-1",
                FlowClient.orderBody(
                    seeds.userIds().get(0), List.of(new FlowClient.Line(seeds.skus().get(0), 1))))
            .get(30, TimeUnit.SECONDS);
    assertThat(placed.status()).isEqualTo(503);
    assertThat(placed.body().getString("type"))
        .isEqualTo("https://courier.dev/problems/dependency-unavailable");

    HttpResponse<String> user =
        client.send(client.request("/api/v1/users/" + seeds.userIds().get(0)).GET());
    assertThat(user.statusCode()).isEqualTo(503);
    assertThat(user.headers().firstValue("Retry-After")).hasValue("1");
    assertThat(user.headers().firstValue("Content-Type")).hasValue("application/problem+json");

    JsonObject stock = client.getJson("/api/v1/inventory/" + seeds.skus().get(0));
    assertThat(stock.getLong("available")).isEqualTo(10);
  }

  @Test
  @Timeout(120)
  @DisplayName("answers 429 past the gateway's bulkhead, and places the rest")
  void shouldAnswer429PastTheBulkhead(EmbeddedKafkaBroker kafka) throws Exception {
    FlowSeeds seeds = FlowSeeds.write(work, "busy-", 2, 2, 1_000);
    // The shipped policies with room for one order at a time per proxy at the gateway.
    JsonObject shipped =
        new JsonObject(java.nio.file.Files.readString(Path.of("../../conf/resilience.json")));
    shipped
        .getJsonObject("policies")
        .getJsonObject("writes")
        .put("bulkhead", new JsonObject().put("maxConcurrent", 1).put("maxQueued", 0));
    String policies = shipped.encodePrettily();
    Path file = work.resolve("resilience.json");
    java.nio.file.Files.writeString(file, policies);
    FlowClient client =
        start(
            kafka,
            seeds,
            Map.of(
                "courier.roles",
                "user-service,inventory-service,order-service,gateway",
                "courier.resilience.policyFile",
                file.toString()));

    List<java.util.concurrent.CompletableFuture<FlowClient.Placed>> burst =
        new java.util.ArrayList<>();
    for (int i = 0; i < 40; i++) {
      burst.add(
          client.place(
              "busy-" + i,
              FlowClient.orderBody(
                  seeds.userIds().get(0), List.of(new FlowClient.Line(seeds.skus().get(0), 1)))));
    }
    int accepted = 0;
    int refused = 0;
    for (var each : burst) {
      FlowClient.Placed placed = each.get(60, TimeUnit.SECONDS);
      if (placed.status() == 202) {
        accepted++;
      } else {
        assertThat(placed.status()).as(placed.body().encode()).isEqualTo(429);
        assertThat(placed.body().getString("type"))
            .isEqualTo("https://courier.dev/problems/too-many-requests");
        refused++;
      }
    }
    assertThat(accepted).isPositive();
    assertThat(refused).isPositive();
  }

  @Test
  @Timeout(180)
  @DisplayName(
      "waits out a payment provider that is down for 8 s: every order confirms, none is dead-lettered")
  void shouldWaitOutPaymentProviderOutage(EmbeddedKafkaBroker kafka) throws Exception {
    FlowSeeds seeds = FlowSeeds.write(work, "outage-", 2, 2, 1_000);
    io.vertx.core.Vertx provider = io.vertx.core.Vertx.vertx();
    java.util.concurrent.atomic.AtomicBoolean down =
        new java.util.concurrent.atomic.AtomicBoolean(true);
    java.util.concurrent.atomic.AtomicInteger refused =
        new java.util.concurrent.atomic.AtomicInteger();
    try {
      int port =
          provider
              .createHttpServer()
              .requestHandler(
                  request -> {
                    if (down.get()) {
                      refused.incrementAndGet();
                      request.response().setStatusCode(503).end();
                    } else {
                      request
                          .response()
                          .setStatusCode(201)
                          .putHeader("Content-Type", "application/json")
                          .end("{\"status\":\"captured\",\"paymentId\":\"pay-test\"}");
                    }
                  })
              .listen(0, "127.0.0.1")
              .await(10, TimeUnit.SECONDS)
              .actualPort();
      FlowClient client =
          start(
              kafka,
              seeds,
              Map.of(
                  "courier.roles",
                  "user-service,inventory-service,order-service,payment-service,gateway",
                  "courier.services.paymentProvider.enabled",
                  "false",
                  "courier.services.payment.providerUrl",
                  "http://127.0.0.1:" + port));
      List<String> ids = new java.util.ArrayList<>();
      for (int i = 0; i < 20; i++) {
        FlowClient.Placed placed =
            client
                .place(
                    "outage-" + i,
                    FlowClient.orderBody(
                        seeds.userIds().get(i % 2),
                        List.of(new FlowClient.Line(seeds.skus().get(i % 2), 1))))
                .get(30, TimeUnit.SECONDS);
        assertThat(placed.status()).isEqualTo(202);
        ids.add(placed.orderId());
      }
      // Long enough for the consumer's attempts and retry-topic passes (about 2 s in this
      // configuration) and for the breaker to open.
      FlowClient.awaitUntil(
          "the provider refused 20 charges (its breaker opens)",
          Duration.ofSeconds(60),
          () -> refused.get() >= 20);
      provider.setTimer(8_000, id -> down.set(false));
      FlowClient.awaitUntil(
          "every order confirmed",
          Duration.ofSeconds(120),
          () ->
              ids.stream()
                  .allMatch(
                      id -> {
                        try {
                          return "CONFIRMED"
                              .equals(client.getJson("/api/v1/orders/" + id).getString("status"));
                        } catch (Exception e) {
                          return false;
                        }
                      }));
      List<io.courier.runtime.kafka.DeadLetters.DeadLetter> parked =
          io.courier.runtime.kafka.DeadLetters.listBlocking(
              kafka.bootstrapServers(), Topics.ORDERS, 10_000);
      assertThat(parked).noneMatch(letter -> ids.contains(letter.key()));
    } finally {
      provider.close().await(10, TimeUnit.SECONDS);
    }
  }

  /** Starts the roles the overrides name and returns a client of their gateway. */
  private FlowClient start(
      EmbeddedKafkaBroker kafka, FlowSeeds seeds, Map<String, String> overrides) throws Exception {
    runtime =
        CourierRuntime.start(OrderFlowIT.config(kafka, seeds, overrides), Roles.available())
            .await(120, TimeUnit.SECONDS);
    return new FlowClient(runtime.endpoints().get("gateway"));
  }
}
