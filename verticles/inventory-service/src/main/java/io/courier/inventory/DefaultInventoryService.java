package io.courier.inventory;

import com.google.protobuf.Message;
import io.courier.codec.Event;
import io.courier.codec.flow.Topics;
import io.courier.contract.v1.GetStockRequest;
import io.courier.contract.v1.GetStockResponse;
import io.courier.contract.v1.InventoryServiceService;
import io.courier.contract.v1.LineItem;
import io.courier.contract.v1.ReleaseStockRequest;
import io.courier.contract.v1.ReleaseStockResponse;
import io.courier.contract.v1.ReservationStatus;
import io.courier.contract.v1.ReserveStockRequest;
import io.courier.contract.v1.ReserveStockResponse;
import io.courier.contract.v1.StockCommitted;
import io.courier.contract.v1.StockReleased;
import io.courier.contract.v1.StockReserved;
import io.courier.runtime.kafka.EventPublisher;
import io.courier.service.PerKeySequence;
import io.courier.service.ServiceError;
import io.vertx.core.Future;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Reservations, idempotent per order id: asking again for an order already reserved answers as the
 * first time, and a release of an order never reserved is recorded so a late reservation for it is
 * refused. Operations on one order run one after the other; each change is written to the
 * reservations topic (acks=all) before it is answered. Runs on the verticle's event loop only.
 */
final class DefaultInventoryService extends InventoryServiceService {

  private static final Logger LOG = LoggerFactory.getLogger(DefaultInventoryService.class);
  private static final String SOURCE = "/courier/inventory-service";
  private static final int MAX_LINES = 100;

  private final Inventory inventory;
  private final EventPublisher publisher;
  private final PerKeySequence perOrder = new PerKeySequence();

  DefaultInventoryService(Inventory inventory, EventPublisher publisher) {
    this.inventory = inventory;
    this.publisher = publisher;
  }

  Inventory inventory() {
    return inventory;
  }

  @Override
  public Future<ReserveStockResponse> reserveStock(ReserveStockRequest request) {
    if (request.getOrderId().isBlank()
        || request.getItemsCount() == 0
        || request.getItemsCount() > MAX_LINES) {
      return Future.failedFuture(
          ServiceError.badField(
                  "invalid-request",
                  "items",
                  "an order id and between 1 and " + MAX_LINES + " items are required")
              .toGrpc());
    }
    ReserveStockResponse invalid = invalidLine(request);
    if (invalid != null) {
      return Future.succeededFuture(invalid);
    }
    return perOrder.run(request.getOrderId(), () -> reserve(request));
  }

  @Override
  public Future<ReleaseStockResponse> releaseStock(ReleaseStockRequest request) {
    if (request.getOrderId().isBlank()) {
      return Future.failedFuture(
          ServiceError.badField("invalid-request", "orderId", "orderId is required").toGrpc());
    }
    return perOrder
        .run(request.getOrderId(), () -> release(request.getOrderId()))
        .map(
            status ->
                ReleaseStockResponse.newBuilder()
                    .setOrderId(request.getOrderId())
                    .setStatus(status)
                    .build());
  }

  @Override
  public Future<GetStockResponse> getStock(GetStockRequest request) {
    return inventory
        .level(request.getSku())
        .map(level -> GetStockResponse.newBuilder().setStock(level.toProto()).build())
        .map(Future::succeededFuture)
        .orElseGet(
            () ->
                Future.failedFuture(
                    ServiceError.notFound("unknown-sku", "no SKU '" + request.getSku() + "'")
                        .toGrpc()));
  }

  /** The order was confirmed: its reservation becomes a sale. Idempotent. */
  Future<Void> commit(String orderId) {
    return perOrder.run(
        orderId,
        () -> {
          Inventory.Reservation held = inventory.reservation(orderId).orElse(null);
          if (held == null || held.status() != ReservationStatus.RESERVATION_STATUS_RESERVED) {
            if (held == null) {
              LOG.warn("order {} confirmed without a reservation; nothing to commit", orderId);
            }
            return Future.succeededFuture();
          }
          return write(
                  orderId,
                  StockCommitted.newBuilder().setOrderId(orderId).addAllItems(held.items()).build())
              .onSuccess(
                  v ->
                      inventory.apply(
                          orderId, held.items(), ReservationStatus.RESERVATION_STATUS_COMMITTED));
        });
  }

  /** The order was cancelled: its stock goes back. Idempotent. */
  Future<Void> cancel(String orderId) {
    return perOrder.run(orderId, () -> release(orderId)).mapEmpty();
  }

  private Future<ReserveStockResponse> reserve(ReserveStockRequest request) {
    String orderId = request.getOrderId();
    Inventory.Reservation held = inventory.reservation(orderId).orElse(null);
    if (held != null) {
      boolean released = held.status() == ReservationStatus.RESERVATION_STATUS_RELEASED;
      return Future.succeededFuture(
          ReserveStockResponse.newBuilder()
              .setOrderId(orderId)
              .setStatus(
                  released
                      ? ReservationStatus.RESERVATION_STATUS_REJECTED
                      : ReservationStatus.RESERVATION_STATUS_RESERVED)
              .setRejectReason(released ? "released" : "")
              .addAllItems(inventory.priced(held.items()))
              .build());
    }
    String short_ = inventory.shortOf(request.getItemsList()).orElse(null);
    if (short_ != null) {
      return Future.succeededFuture(
          ReserveStockResponse.newBuilder()
              .setOrderId(orderId)
              .setStatus(ReservationStatus.RESERVATION_STATUS_REJECTED)
              .setRejectedSku(short_)
              .setRejectReason("insufficient-stock")
              .setRejectedLine(lineOf(request.getItemsList(), short_))
              .build());
    }
    List<LineItem> items = inventory.priced(request.getItemsList());
    // Applied before the write so concurrent orders cannot oversell; undone if the write fails.
    inventory.apply(orderId, items, ReservationStatus.RESERVATION_STATUS_RESERVED);
    return write(orderId, StockReserved.newBuilder().setOrderId(orderId).addAllItems(items).build())
        .recover(
            error -> {
              inventory.undoReserve(orderId);
              LOG.warn("reservation of order {} not recorded: {}", orderId, error.getMessage());
              return Future.failedFuture(
                  ServiceError.unavailable("store-unavailable", "cannot record the reservation")
                      .toGrpc());
            })
        .map(
            v ->
                ReserveStockResponse.newBuilder()
                    .setOrderId(orderId)
                    .setStatus(ReservationStatus.RESERVATION_STATUS_RESERVED)
                    .addAllItems(items)
                    .build());
  }

  private Future<ReservationStatus> release(String orderId) {
    Inventory.Reservation held = inventory.reservation(orderId).orElse(null);
    if (held != null && held.status() != ReservationStatus.RESERVATION_STATUS_RESERVED) {
      return Future.succeededFuture(held.status());
    }
    List<LineItem> items = held == null ? List.of() : held.items();
    return write(orderId, StockReleased.newBuilder().setOrderId(orderId).addAllItems(items).build())
        .map(
            v -> {
              inventory.apply(orderId, items, ReservationStatus.RESERVATION_STATUS_RELEASED);
              return ReservationStatus.RESERVATION_STATUS_RELEASED;
            });
  }

  private Future<Void> write(String orderId, Message change) {
    return publisher
        .publish(Topics.RESERVATIONS, Event.derived(orderId, SOURCE, orderId, change))
        .mapEmpty();
  }

  private static int lineOf(List<LineItem> items, String sku) {
    for (int i = 0; i < items.size(); i++) {
      if (items.get(i).getSku().equals(sku)) {
        return i;
      }
    }
    return 0;
  }

  /** A rejection naming the first line with an unknown SKU or a quantity below 1, or null. */
  private ReserveStockResponse invalidLine(ReserveStockRequest request) {
    for (int i = 0; i < request.getItemsCount(); i++) {
      LineItem item = request.getItems(i);
      String reason =
          inventory.level(item.getSku()).isEmpty()
              ? "unknown-sku"
              : item.getQuantity() < 1 ? "invalid-quantity" : null;
      if (reason != null) {
        return ReserveStockResponse.newBuilder()
            .setOrderId(request.getOrderId())
            .setStatus(ReservationStatus.RESERVATION_STATUS_REJECTED)
            .setRejectedSku(item.getSku())
            .setRejectReason(reason)
            .setRejectedLine(i)
            .build();
      }
    }
    return null;
  }
}
