package io.courier.app.flow;

import static org.assertj.core.api.Assertions.assertThat;

import io.courier.codec.Event;
import io.courier.contract.v1.OrderPlaced;
import io.courier.contract.v1.PaymentCompleted;
import io.courier.contract.v1.PaymentFailed;
import io.courier.service.Topology;
import io.vertx.core.json.JsonObject;
import java.time.Duration;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * What a multi-process flow test checks from the outside once the load is over: every accepted
 * order reached CONFIRMED or CANCELLED, no stock is left reserved, every SKU's stock adds up and
 * its sold count matches the confirmed orders, and Kafka holds exactly one OrderPlaced and one
 * payment outcome per order (none lost, none applied twice).
 */
final class FlowAudit {

  private FlowAudit() {}

  /**
   * @param orderIds accepted orders: idempotency key to order id
   */
  static void verify(
      FlowClient client, FlowSeeds seeds, Map<String, String> orderIds, String bootstrapServers) {
    assertThat(new HashSet<>(orderIds.values())).hasSize(orderIds.size());
    Map<String, JsonObject> terminal = new ConcurrentHashMap<>();
    FlowClient.awaitUntil(
        "every accepted order CONFIRMED or CANCELLED",
        Duration.ofSeconds(180),
        () -> {
          for (String id : orderIds.values()) {
            if (!terminal.containsKey(id)) {
              JsonObject order = FlowAudit.getOrNull(client, "/api/v1/orders/" + id);
              if (order != null && !"PENDING".equals(order.getString("status"))) {
                terminal.put(id, order);
              }
            }
          }
          return terminal.size() == orderIds.size();
        });

    Map<String, Long> soldBySku = new HashMap<>();
    terminal.values().stream()
        .filter(o -> "CONFIRMED".equals(o.getString("status")))
        .forEach(
            o ->
                o.getJsonArray("items")
                    .forEach(
                        item -> {
                          JsonObject line = (JsonObject) item;
                          soldBySku.merge(
                              line.getString("sku"), (long) line.getInteger("quantity"), Long::sum);
                        }));
    FlowClient.awaitUntil(
        "no SKU holds reserved stock",
        Duration.ofSeconds(90),
        () ->
            seeds.skus().stream()
                .allMatch(
                    sku -> {
                      JsonObject level = FlowAudit.getOrNull(client, "/api/v1/inventory/" + sku);
                      return level != null && level.getLong("reserved") == 0;
                    }));
    for (String sku : seeds.skus()) {
      JsonObject level = FlowAudit.getOrNull(client, "/api/v1/inventory/" + sku);
      assertThat(level.getLong("available") + level.getLong("reserved") + level.getLong("sold"))
          .as(sku)
          .isEqualTo(seeds.stock());
      assertThat(level.getLong("sold"))
          .as("sold of %s", sku)
          .isEqualTo(soldBySku.getOrDefault(sku, 0L));
    }

    Set<String> ids = new HashSet<>(orderIds.values());
    Map<String, Set<String>> placed = placedEventIds(bootstrapServers, ids);
    assertThat(placed).hasSize(orderIds.size());
    assertThat(placed.values()).allSatisfy(each -> assertThat(each).hasSize(1));
    Map<String, Set<String>> outcomes = paymentOutcomes(bootstrapServers, ids);
    for (JsonObject order : terminal.values()) {
      String expected =
          "CONFIRMED".equals(order.getString("status"))
              ? "courier.v1.PaymentCompleted"
              : "courier.v1.PaymentFailed";
      assertThat(outcomes.get(order.getString("orderId")))
          .as(order.encode())
          .containsExactly(expected);
    }
  }

  /** Per order of {@code ids}: the ids of the OrderPlaced events Kafka holds for it. */
  static Map<String, Set<String>> placedEventIds(String bootstrapServers, Set<String> ids) {
    Map<String, Set<String>> placed = new HashMap<>();
    for (Event<?> event : OrderFlowIT.readAll(bootstrapServers, Topology.ORDERS_TOPIC)) {
      if (event.data() instanceof OrderPlaced p && ids.contains(p.getOrder().getId())) {
        placed.computeIfAbsent(p.getOrder().getId(), k -> new HashSet<>()).add(event.id());
      }
    }
    return placed;
  }

  /** Per order of {@code ids}: the types of the payment outcomes Kafka holds for it. */
  static Map<String, Set<String>> paymentOutcomes(String bootstrapServers, Set<String> ids) {
    Map<String, Set<String>> outcomes = new HashMap<>();
    for (Event<?> event : OrderFlowIT.readAll(bootstrapServers, Topology.PAYMENTS_TOPIC)) {
      String order =
          event.data() instanceof PaymentCompleted c
              ? c.getOrderId()
              : event.data() instanceof PaymentFailed f ? f.getOrderId() : null;
      if (order != null && ids.contains(order)) {
        outcomes.computeIfAbsent(order, k -> new HashSet<>()).add(event.type());
      }
    }
    return outcomes;
  }

  static JsonObject getOrNull(FlowClient client, String path) {
    try {
      return client.getJson(path);
    } catch (Exception e) {
      return null;
    }
  }
}
