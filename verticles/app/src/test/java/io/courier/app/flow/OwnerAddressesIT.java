package io.courier.app.flow;

import static org.assertj.core.api.Assertions.assertThat;

import io.courier.codec.flow.Addresses;
import io.courier.codec.flow.OrderIds;
import io.courier.codec.flow.Partitions;
import io.courier.contract.v1.GetStockRequest;
import io.courier.contract.v1.GetStockResponse;
import io.courier.contract.v1.LineItem;
import io.courier.contract.v1.PaymentCompleted;
import io.courier.contract.v1.PlaceOrderRequest;
import io.courier.contract.v1.ReserveStockRequest;
import io.courier.contract.v1.StockLevel;
import io.courier.kafka.embedded.EmbeddedKafkaBroker;
import io.courier.kafka.embedded.SharedKafkaBroker;
import io.courier.runtime.CourierRuntime;
import io.courier.runtime.Roles;
import io.courier.runtime.config.KafkaConfig.TopicsConfig;
import io.vertx.core.eventbus.ReplyException;
import io.vertx.core.json.JsonObject;
import java.nio.file.Path;
import java.time.Duration;
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
 * The owners' per-partition event-bus addresses under bad input: a body of the wrong type, a key
 * sent to another partition's address, a request missing what it needs, a payment for an order
 * nobody placed. Each gets a clear error naming what is wrong, and the stock stays as it was.
 */
@ExtendWith(SharedKafkaBroker.class)
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@DisplayName("The owners' event-bus addresses under bad input")
class OwnerAddressesIT {

  private static final int PARTITIONS = TopicsConfig.DEFAULTS.partitions();
  private static final long STOCK = 30;

  @TempDir static Path work;

  private CourierRuntime runtime;
  private FlowSeeds seeds;
  private String sku;
  private int skuPartition;

  @BeforeAll
  void start(EmbeddedKafkaBroker kafka) throws Exception {
    seeds = FlowSeeds.write(work, "a" + UUID.randomUUID().toString().substring(0, 8), 2, 3, STOCK);
    sku = seeds.skus().get(0);
    skuPartition = Partitions.of(sku, PARTITIONS);
    runtime =
        CourierRuntime.start(
                OrderFlowIT.config(
                    kafka,
                    seeds,
                    Map.of("courier.roles", "user-service,inventory-service,order-service")),
                Roles.available())
            .await(120, TimeUnit.SECONDS);
  }

  @AfterAll
  void stop() throws Exception {
    if (runtime != null) {
      runtime.stop(Duration.ofSeconds(20)).await(30, TimeUnit.SECONDS);
    }
  }

  @Test
  @Timeout(60)
  @DisplayName("a body of another type gets 400 naming the type the address takes")
  void shouldRefuseAnotherBodyType() {
    JsonObject problem = refusal(Addresses.of(Addresses.ORDER_PLACE, 0), "not an order", 400);
    assertThat(problem.getString("type")).isEqualTo("invalid-request");
    assertThat(problem.getString("detail")).contains("takes PlaceOrderRequest, not String");
  }

  @Test
  @Timeout(60)
  @DisplayName("an order sent to another partition's address gets 400 naming its partition")
  void shouldRefuseAnOrderOfAnotherPartition() {
    String key = "misrouted-" + UUID.randomUUID();
    int home = Partitions.of(OrderIds.of(seeds.userIds().get(0), key), PARTITIONS);
    int elsewhere = (home + 1) % PARTITIONS;
    PlaceOrderRequest request =
        PlaceOrderRequest.newBuilder()
            .setIdempotencyKey(key)
            .setUserId(seeds.userIds().get(0))
            .addItems(LineItem.newBuilder().setSku(sku).setQuantity(1))
            .build();
    JsonObject problem = refusal(Addresses.of(Addresses.ORDER_PLACE, elsewhere), request, 400);
    assertThat(problem.getString("type")).isEqualTo("wrong-partition");
    assertThat(problem.getString("detail"))
        .contains("lives in partition " + home)
        .endsWith("not " + elsewhere);
    assertThat(stock().getAvailable()).isEqualTo(STOCK);
  }

  @Test
  @Timeout(60)
  @DisplayName("an order without an idempotency key gets 400 before any partition is looked at")
  void shouldRefuseAnOrderWithoutKey() {
    PlaceOrderRequest request =
        PlaceOrderRequest.newBuilder()
            .setUserId(seeds.userIds().get(0))
            .addItems(LineItem.newBuilder().setSku(sku).setQuantity(1))
            .build();
    JsonObject problem = refusal(Addresses.of(Addresses.ORDER_PLACE, 0), request, 400);
    assertThat(problem.getString("type")).isEqualTo("invalid-idempotency-key");
  }

  @Test
  @Timeout(60)
  @DisplayName("a reservation without an order id, or for a SKU of another partition, gets 400")
  void shouldRefuseBadReservations() {
    JsonObject blank =
        refusal(
            Addresses.of(Addresses.STOCK_RESERVE, skuPartition),
            ReserveStockRequest.newBuilder()
                .addItems(LineItem.newBuilder().setSku(sku).setQuantity(2))
                .build(),
            400);
    assertThat(blank.getString("field")).isEqualTo("orderId");

    int elsewhere = (skuPartition + 1) % PARTITIONS;
    JsonObject misrouted =
        refusal(
            Addresses.of(Addresses.STOCK_RESERVE, elsewhere),
            ReserveStockRequest.newBuilder()
                .setOrderId(UUID.randomUUID().toString())
                .addItems(LineItem.newBuilder().setSku(sku).setQuantity(2))
                .build(),
            400);
    assertThat(misrouted.getString("type")).isEqualTo("wrong-partition");
    assertThat(misrouted.getString("field")).isEqualTo("items/0/sku");

    JsonObject zero =
        refusal(
            Addresses.of(Addresses.STOCK_RESERVE, skuPartition),
            ReserveStockRequest.newBuilder()
                .setOrderId(UUID.randomUUID().toString())
                .addItems(LineItem.newBuilder().setSku(sku).setQuantity(0))
                .build(),
            400);
    assertThat(zero.getString("field")).isEqualTo("items/0");
    assertThat(
            refusal(
                    Addresses.of(Addresses.STOCK_GET, elsewhere),
                    GetStockRequest.newBuilder().setSku(sku).build(),
                    400)
                .getString("type"))
        .isEqualTo("wrong-partition");
    assertThat(stock().getAvailable()).isEqualTo(STOCK);
    assertThat(stock().getReserved()).isZero();
  }

  @Test
  @Timeout(60)
  @DisplayName("a payment outcome for an order nobody placed gets 404")
  void shouldRefuseAPaymentForAnUnknownOrder() {
    String orderId = UUID.randomUUID().toString();
    JsonObject problem =
        refusal(
            Addresses.of(Addresses.ORDER_PAYMENT, Partitions.of(orderId, PARTITIONS)),
            PaymentCompleted.newBuilder().setOrderId(orderId).setPaymentId("p-1").build(),
            404);
    assertThat(problem.getString("type")).isEqualTo("unknown-order");
  }

  private StockLevel stock() {
    try {
      return runtime
          .vertx()
          .eventBus()
          .<GetStockResponse>request(
              Addresses.of(Addresses.STOCK_GET, skuPartition),
              GetStockRequest.newBuilder().setSku(sku).build())
          .await(10, TimeUnit.SECONDS)
          .body()
          .getStock();
    } catch (Exception e) {
      throw new AssertionError("no stock level for " + sku, e);
    }
  }

  /** The problem the owner answers {@code body} at {@code address} with, its status checked. */
  private JsonObject refusal(String address, Object body, int status) {
    try {
      runtime.vertx().eventBus().request(address, body).await(10, TimeUnit.SECONDS);
    } catch (ReplyException refused) {
      assertThat(refused.failureCode()).as(refused.getMessage()).isEqualTo(status);
      return new JsonObject(refused.getMessage());
    } catch (Exception e) {
      throw new AssertionError("not an event-bus refusal: " + e, e);
    }
    throw new AssertionError(address + " accepted " + body);
  }
}
