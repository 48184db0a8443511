package io.courier.inventory;

import io.courier.codec.flow.Addresses;
import io.courier.codec.flow.Partitions;
import io.courier.contract.v1.GetOrderRequest;
import io.courier.contract.v1.GetOrderResponse;
import io.courier.contract.v1.LineItem;
import io.courier.contract.v1.Order;
import io.courier.contract.v1.OrderStatus;
import io.courier.contract.v1.ReleaseStockRequest;
import io.courier.contract.v1.ReservationStatus;
import io.courier.contract.v1.ReserveStockRequest;
import io.courier.inventory.Inventory.Line;
import io.courier.runtime.metrics.Meters;
import io.courier.service.ServiceError;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.eventbus.DeliveryOptions;
import io.vertx.core.eventbus.Message;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Reservations no order answers for: a line RESERVED longer than the TTL is checked with the owner
 * of its order. An order that does not exist (its placing failed after the stock was reserved, and
 * no retry came) has its reservation undone; a confirmed or cancelled one whose outcome this owner
 * missed has it committed or released; a pending one is left to the order's payment timeout. Runs
 * on the verticle's event loop, for the partitions it serves.
 */
final class OrphanSweep {

  private static final Logger LOG = LoggerFactory.getLogger(OrphanSweep.class);

  private final Vertx vertx;
  private final StockOwner owner;
  private final int partitions;
  private final long ttlMs;
  private final long timeoutMs;
  private final Runnable countReleased;
  private final Runnable countSettled;
  private final Set<String> checking = new HashSet<>();

  OrphanSweep(
      Vertx vertx,
      StockOwner owner,
      int partitions,
      InventoryServiceConfig settings,
      Meters meters) {
    this.vertx = vertx;
    this.owner = owner;
    this.partitions = partitions;
    this.ttlMs = settings.reservationTtlMs();
    this.timeoutMs = settings.ownerTimeoutMs();
    this.countReleased =
        meters.counter(
            "courier.inventory.orphans.released",
            "Reservations past their TTL that no order holds, undone by the orphan sweep");
    this.countSettled =
        meters.counter(
            "courier.inventory.orphans.settled",
            "Reservations past their TTL whose order had ended, committed or released by the sweep");
  }

  /** One pass over the partitions served; completes once every order found has been checked. */
  Future<Void> sweep() {
    long cutoff = System.currentTimeMillis() - ttlMs;
    List<Future<Void>> checks = new ArrayList<>();
    owner
        .served()
        .forEach(
            (partition, stock) -> {
              Map<String, List<Line>> byOrder = new LinkedHashMap<>();
              for (Line line :
                  stock.matching(
                      l ->
                          l.status() == ReservationStatus.RESERVATION_STATUS_RESERVED
                              && l.atMillis() < cutoff)) {
                byOrder.computeIfAbsent(line.orderId(), id -> new ArrayList<>()).add(line);
              }
              byOrder.forEach(
                  (orderId, lines) -> {
                    if (checking.add(partition + "/" + orderId)) {
                      checks.add(
                          check(partition, orderId, lines)
                              .onComplete(done -> checking.remove(partition + "/" + orderId)));
                    }
                  });
            });
    return Future.join(checks).mapEmpty();
  }

  private Future<Void> check(int partition, String orderId, List<Line> lines) {
    return vertx
        .eventBus()
        .<GetOrderResponse>request(
            Addresses.of(Addresses.ORDER_GET, Partitions.of(orderId, partitions)),
            GetOrderRequest.newBuilder().setOrderId(orderId).build(),
            new DeliveryOptions().setSendTimeout(timeoutMs))
        .map(Message::body)
        .transform(
            found -> {
              if (found.succeeded()) {
                return settleOrUndo(partition, orderId, lines, found.result().getOrder());
              }
              if (ServiceError.of(found.cause()).status() == 404) {
                return undo(partition, orderId, lines);
              }
              LOG.debug(
                  "reservation of order {} not checked (next sweep): {}",
                  orderId,
                  found.cause().toString());
              return Future.succeededFuture();
            });
  }

  /**
   * Lines reserved for another request than the one the order was recorded with (its key reused
   * with another body, on SKUs of other owners, after a placing that reserved and was not recorded)
   * are not the order's: they are undone like those of an order that does not exist. The order's
   * own lines (or any without a fingerprint to tell) follow its status.
   */
  private Future<Void> settleOrUndo(int partition, String orderId, List<Line> lines, Order order) {
    String recorded = order.getRequestFingerprint();
    List<Line> others =
        lines.stream()
            .filter(
                line ->
                    !recorded.isEmpty()
                        && !line.fingerprint().isEmpty()
                        && !line.fingerprint().equals(recorded))
            .toList();
    if (others.isEmpty()) {
      return settle(partition, orderId, lines, order.getStatus());
    }
    LOG.warn(
        "reservation of order {} was made for another request than the order's; undoing it",
        orderId);
    List<Line> own = lines.stream().filter(line -> !others.contains(line)).toList();
    return undone(partition, orderId, others)
        .compose(
            v ->
                own.isEmpty()
                    ? Future.<Void>succeededFuture()
                    : settle(partition, orderId, own, order.getStatus()));
  }

  private Future<Void> undo(int partition, String orderId, List<Line> lines) {
    LOG.warn("reservation of order {} has no order after its TTL; undoing it", orderId);
    return undone(partition, orderId, lines);
  }

  private Future<Void> undone(int partition, String orderId, List<Line> lines) {
    return owner
        .undo(
            partition,
            ReserveStockRequest.newBuilder().setOrderId(orderId).addAllItems(items(lines)).build())
        .onSuccess(v -> countReleased.run())
        .mapEmpty();
  }

  private Future<Void> settle(int partition, String orderId, List<Line> lines, OrderStatus status) {
    ReleaseStockRequest request =
        ReleaseStockRequest.newBuilder().setOrderId(orderId).addAllItems(items(lines)).build();
    return switch (status) {
      case ORDER_STATUS_CONFIRMED ->
          owner.commit(partition, request).onSuccess(v -> countSettled.run()).mapEmpty();
      case ORDER_STATUS_CANCELLED ->
          owner.release(partition, request).onSuccess(v -> countSettled.run()).mapEmpty();
      default -> Future.succeededFuture();
    };
  }

  private static List<LineItem> items(List<Line> lines) {
    return lines.stream()
        .map(
            line ->
                LineItem.newBuilder().setSku(line.sku()).setQuantity((int) line.quantity()).build())
        .toList();
  }
}
