package io.courier.bench;

import com.google.protobuf.Message;
import com.google.protobuf.Timestamp;
import io.courier.codec.Event;
import io.courier.contract.v1.LineItem;
import io.courier.contract.v1.Money;
import io.courier.contract.v1.Order;
import io.courier.contract.v1.OrderPlaced;
import io.courier.contract.v1.OrderStatus;
import io.courier.contract.v1.PlaceOrderRequest;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.time.Instant;
import java.util.List;

/**
 * The data every codec benchmark moves: an order of three line items as Courier's protobuf contract
 * types and as the same fields in a Vert.x {@link JsonObject} (protobuf's JSON names, timestamps as
 * RFC 3339 text), so the protobuf and JSON figures carry the same information.
 */
final class BenchSamples {

  static final String USER = "user-0042";
  static final String ORDER_ID = "6f1d8a52-3c1e-4b7a-9d2f-0e8b5c4a1f37";
  static final String IDEMPOTENCY_KEY = "2b7e1516-28ae-4d2a-8f6c-4a1e9b3d5c70";
  static final String FINGERPRINT =
      "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08";
  static final Instant CREATED = Instant.parse("2026-11-29T10:15:30.123456789Z");
  static final Instant UPDATED = Instant.parse("2026-11-29T10:15:31.987654321Z");

  private record Line(String sku, int quantity, long amountMinor) {}

  private static final List<Line> LINES =
      List.of(
          new Line("SKU-000042", 2, 1_999),
          new Line("SKU-000317", 1, 24_950),
          new Line("SKU-000988", 5, 349));

  private BenchSamples() {}

  /** {@code PlaceOrderRequest} or {@code Order}, by simple name. */
  static Message message(String type) {
    return switch (type) {
      case "PlaceOrderRequest" -> placeOrderRequest();
      case "Order" -> order();
      default -> throw new IllegalArgumentException("no sample of " + type);
    };
  }

  /** The same data as {@link #message(String)}, as a JsonObject. */
  static JsonObject json(String type) {
    return switch (type) {
      case "PlaceOrderRequest" -> placeOrderRequestJson();
      case "Order" -> orderJson();
      default -> throw new IllegalArgumentException("no sample of " + type);
    };
  }

  static PlaceOrderRequest placeOrderRequest() {
    PlaceOrderRequest.Builder request =
        PlaceOrderRequest.newBuilder().setUserId(USER).setIdempotencyKey(IDEMPOTENCY_KEY);
    LINES.forEach(line -> request.addItems(item(line)));
    return request.build();
  }

  static Order order() {
    Order.Builder order =
        Order.newBuilder()
            .setId(ORDER_ID)
            .setUserId(USER)
            .setStatus(OrderStatus.ORDER_STATUS_PENDING)
            .setCreatedAt(timestamp(CREATED))
            .setUpdatedAt(timestamp(UPDATED))
            .setIdempotencyKey(IDEMPOTENCY_KEY)
            .setRequestFingerprint(FINGERPRINT);
    LINES.forEach(line -> order.addItems(item(line)));
    return order.build();
  }

  /** What the order service publishes when it accepts an order, without trace context. */
  static Event<OrderPlaced> orderPlaced() {
    return new Event<>(
        "0c9a7e3e-5d3b-3f1a-9b62-7f0e4d2c8a15",
        OrderPlaced.getDescriptor().getFullName(),
        "/courier/order-service",
        CREATED,
        ORDER_ID,
        1,
        "",
        "",
        OrderPlaced.newBuilder().setOrder(order()).build());
  }

  static JsonObject placeOrderRequestJson() {
    return new JsonObject()
        .put("userId", USER)
        .put("items", itemsJson())
        .put("idempotencyKey", IDEMPOTENCY_KEY);
  }

  static JsonObject orderJson() {
    return new JsonObject()
        .put("id", ORDER_ID)
        .put("userId", USER)
        .put("items", itemsJson())
        .put("status", OrderStatus.ORDER_STATUS_PENDING.name())
        .put("createdAt", CREATED.toString())
        .put("updatedAt", UPDATED.toString())
        .put("idempotencyKey", IDEMPOTENCY_KEY)
        .put("requestFingerprint", FINGERPRINT);
  }

  private static JsonArray itemsJson() {
    JsonArray items = new JsonArray();
    for (Line line : LINES) {
      items.add(
          new JsonObject()
              .put("sku", line.sku())
              .put("quantity", line.quantity())
              .put(
                  "unitPrice",
                  new JsonObject().put("currency", "EUR").put("amountMinor", line.amountMinor())));
    }
    return items;
  }

  private static LineItem item(Line line) {
    return LineItem.newBuilder()
        .setSku(line.sku())
        .setQuantity(line.quantity())
        .setUnitPrice(Money.newBuilder().setCurrency("EUR").setAmountMinor(line.amountMinor()))
        .build();
  }

  private static Timestamp timestamp(Instant instant) {
    return Timestamp.newBuilder()
        .setSeconds(instant.getEpochSecond())
        .setNanos(instant.getNano())
        .build();
  }
}
