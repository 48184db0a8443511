package io.courier.app.flow;

import static org.assertj.core.api.Assertions.assertThat;

import io.courier.contract.v1.InventoryServiceGrpcClient;
import io.courier.contract.v1.LineItem;
import io.courier.contract.v1.ReservationStatus;
import io.courier.contract.v1.ReserveStockRequest;
import io.courier.contract.v1.ReserveStockResponse;
import io.courier.kafka.embedded.EmbeddedKafkaBroker;
import io.courier.kafka.embedded.SharedKafkaBroker;
import io.courier.runtime.CourierRuntime;
import io.courier.runtime.Roles;
import io.vertx.core.json.JsonObject;
import io.vertx.core.net.SocketAddress;
import io.vertx.grpc.client.GrpcClient;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/**
 * The saga's deadlines in one process without a payment service, so no payment outcome ever comes:
 * an order PENDING past its payment timeout is cancelled with its stock released, and a reservation
 * no order holds is undone once past its TTL. Both are counted.
 */
@ExtendWith(SharedKafkaBroker.class)
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@DisplayName("Saga deadlines")
class SagaDeadlinesIT {

  private static final long STOCK = 50;

  @TempDir static Path work;

  private final String run = "d" + UUID.randomUUID().toString().substring(0, 8) + "-";
  private CourierRuntime runtime;
  private FlowSeeds seeds;
  private FlowClient client;
  private int inventoryPort;

  @BeforeAll
  void start(EmbeddedKafkaBroker kafka) throws Exception {
    seeds = FlowSeeds.write(work, run, 3, 4, STOCK);
    inventoryPort = CourierProcess.freePort();
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
                        "courier.services.inventory.grpcPort",
                        Integer.toString(inventoryPort),
                        "courier.services.order.paymentTimeoutMs",
                        "1500",
                        "courier.services.order.sweepIntervalMs",
                        "200",
                        "courier.services.inventory.reservationTtlMs",
                        "1500",
                        "courier.services.inventory.sweepIntervalMs",
                        "200")),
                Roles.available())
            .await(120, TimeUnit.SECONDS);
    client = new FlowClient(runtime.endpoints().get("gateway"));
  }

  @AfterAll
  void stop() throws Exception {
    if (runtime != null) {
      runtime.stop(Duration.ofSeconds(20)).await(30, TimeUnit.SECONDS);
    }
  }

  @Test
  @Timeout(90)
  @DisplayName("cancels an order with no payment outcome past its timeout and releases its stock")
  void shouldCancelAnOrderPastItsPaymentTimeout() throws Exception {
    String sku = seeds.skus().get(0);
    FlowClient.Placed placed =
        client
            .place(
                run + "unpaid",
                FlowClient.orderBody(seeds.userIds().get(0), List.of(new FlowClient.Line(sku, 3))))
            .get(30, TimeUnit.SECONDS);
    assertThat(placed.status()).as(placed.body().encode()).isEqualTo(202);
    assertThat(available(sku)).isEqualTo(STOCK - 3);

    AtomicReference<JsonObject> order = new AtomicReference<>();
    FlowClient.awaitUntil(
        "the unpaid order is cancelled",
        Duration.ofSeconds(60),
        () -> {
          order.set(client.getJsonOrNull("/api/v1/orders/" + placed.orderId()).join());
          return order.get() != null && "CANCELLED".equals(order.get().getString("status"));
        });
    assertThat(order.get().getString("reason")).isEqualTo("payment timed out");
    assertThat(available(sku)).isEqualTo(STOCK);
    assertThat(reserved(sku)).isZero();
    assertThat(scrape()).containsPattern("courier_order_payment_timeouts_total [1-9]");
  }

  @Test
  @Timeout(90)
  @DisplayName("undoes a reservation that no order holds once past its TTL")
  void shouldUndoAnOrphanedReservation() throws Exception {
    String sku = seeds.skus().get(1);
    GrpcClient grpc = GrpcClient.client(runtime.vertx());
    try {
      ReserveStockResponse reserved =
          grpc.request(
                  SocketAddress.inetSocketAddress(inventoryPort, "127.0.0.1"),
                  InventoryServiceGrpcClient.ReserveStock)
              .compose(
                  call ->
                      call.send(
                              ReserveStockRequest.newBuilder()
                                  // An order that was never recorded (its placing failed after).
                                  .setOrderId(UUID.randomUUID().toString())
                                  .addItems(LineItem.newBuilder().setSku(sku).setQuantity(4))
                                  .build())
                          .compose(response -> response.last()))
              .await(30, TimeUnit.SECONDS);
      assertThat(reserved.getStatus()).isEqualTo(ReservationStatus.RESERVATION_STATUS_RESERVED);
    } finally {
      grpc.close().await(10, TimeUnit.SECONDS);
    }
    assertThat(reserved(sku)).isEqualTo(4);

    FlowClient.awaitUntil(
        "the orphaned reservation is undone", Duration.ofSeconds(60), () -> reserved(sku) == 0);
    assertThat(available(sku)).isEqualTo(STOCK);
    assertThat(scrape()).containsPattern("courier_inventory_orphans_released_total [1-9]");
  }

  private long available(String sku) {
    return stock(sku).getLong("available");
  }

  private long reserved(String sku) {
    return stock(sku).getLong("reserved");
  }

  private JsonObject stock(String sku) {
    JsonObject level = client.getJsonOrNull("/api/v1/inventory/" + sku).join();
    if (level == null) {
      throw new AssertionError("no stock level for " + sku);
    }
    return level;
  }

  /** The process's /metrics, from its management server. */
  private String scrape() throws Exception {
    String metrics = runtime.endpoints().get("health").replace("/health/ready", "/metrics");
    HttpResponse<String> answer =
        HttpClient.newHttpClient()
            .send(
                HttpRequest.newBuilder(URI.create(metrics)).timeout(Duration.ofSeconds(10)).build(),
                HttpResponse.BodyHandlers.ofString());
    assertThat(answer.statusCode()).isEqualTo(200);
    return answer.body();
  }
}
