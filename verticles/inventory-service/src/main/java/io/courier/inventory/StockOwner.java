package io.courier.inventory;

import com.google.protobuf.Message;
import io.courier.codec.Event;
import io.courier.codec.flow.Partitions;
import io.courier.codec.flow.Topics;
import io.courier.contract.v1.GetStockRequest;
import io.courier.contract.v1.GetStockResponse;
import io.courier.contract.v1.LineItem;
import io.courier.contract.v1.ReleaseStockRequest;
import io.courier.contract.v1.ReleaseStockResponse;
import io.courier.contract.v1.ReservationStatus;
import io.courier.contract.v1.ReserveStockRequest;
import io.courier.contract.v1.ReserveStockResponse;
import io.courier.contract.v1.StockCommitted;
import io.courier.contract.v1.StockReleased;
import io.courier.contract.v1.StockReserved;
import io.courier.inventory.Inventory.Line;
import io.courier.runtime.kafka.OwnedPartitions;
import io.courier.runtime.kafka.OwnedPartitions.NotOwnerException;
import io.courier.runtime.kafka.OwnedPartitions.StateRecord;
import io.courier.service.PerKeySequence;
import io.courier.service.ServiceError;
import io.vertx.core.Future;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The stock of the partitions this instance owns, and what their owner does with a request for its
 * SKUs: reserve an order's lines (idempotent per order and request fingerprint: asking again
 * answers as the first time, asking with another fingerprint is refused), undo a reservation
 * another owner's refusal made moot, release and commit. Every change is written to the partition,
 * in a transaction only its owner can commit, before it is applied and answered; a reservation is
 * applied first, so concurrent orders cannot oversell, and taken back if its write fails.
 * Operations on one order run one after the other. Confined to the verticle's event loop.
 */
final class StockOwner {

  private static final Logger LOG = LoggerFactory.getLogger(StockOwner.class);
  private static final String SOURCE = "/courier/inventory-service";

  /** The refusal of a reservation for an order id whose lines are held for another request. */
  static final String KEY_REUSED = "idempotency-key-reused";

  private final Map<Integer, Inventory> served = new HashMap<>();
  private final PerKeySequence perOrder = new PerKeySequence();
  private final int partitions;
  private OwnedPartitions owned;

  /**
   * @param partitions the stock topic's partition count
   */
  StockOwner(int partitions) {
    this.partitions = partitions;
  }

  /** Set once, before any partition is served. */
  void writeThrough(OwnedPartitions owned) {
    this.owned = owned;
  }

  void serve(int partition, Inventory inventory) {
    served.put(partition, inventory);
  }

  void release(int partition) {
    served.remove(partition);
  }

  /** The partitions served and their stock; for the sweep, tests and the admin view. */
  Map<Integer, Inventory> served() {
    return served;
  }

  Future<ReserveStockResponse> reserve(int partition, ReserveStockRequest request) {
    ServiceError invalid = problem(partition, request.getOrderId(), request.getItemsList(), true);
    if (invalid != null) {
      return Future.failedFuture(invalid.failure());
    }
    return perOrder.run(
        request.getOrderId(), () -> reserve(stockOf(partition), partition, request));
  }

  /**
   * Takes back the order's lines of {@code request} that are still RESERVED, as if never made; with
   * a fingerprint, only lines reserved for that request (or without one), never another attempt's.
   */
  Future<ReleaseStockResponse> undo(int partition, ReserveStockRequest request) {
    String orderId = request.getOrderId();
    String fingerprint = request.getRequestFingerprint();
    ServiceError invalid = problem(partition, orderId, request.getItemsList(), false);
    if (invalid != null) {
      return Future.failedFuture(invalid.failure());
    }
    return perOrder.run(
        orderId,
        () -> {
          Inventory stock = stockOf(partition);
          List<String> skus = new ArrayList<>();
          for (String sku : Inventory.quantities(request.getItemsList()).keySet()) {
            Line line = stock.line(sku, orderId);
            if (line != null
                && line.status() == ReservationStatus.RESERVATION_STATUS_RESERVED
                && (fingerprint.isEmpty()
                    || line.fingerprint().isEmpty()
                    || line.fingerprint().equals(fingerprint))) {
              skus.add(sku);
            }
          }
          List<StateRecord> tombstones =
              skus.stream()
                  .map(sku -> new StateRecord(Topics.stockKey(sku, orderId), null))
                  .toList();
          return write(partition, tombstones)
              .map(
                  v -> {
                    skus.forEach(sku -> stock.remove(sku, orderId));
                    return released(orderId, ReservationStatus.RESERVATION_STATUS_RELEASED);
                  });
        });
  }

  /**
   * Releases the order's RESERVED lines of {@code request}'s SKUs (every line of the order here
   * when it names none); a SKU it names and the order holds nothing of is marked released, so a
   * late reservation for the order is refused.
   */
  Future<ReleaseStockResponse> release(int partition, ReleaseStockRequest request) {
    return settle(
        partition,
        request,
        ReservationStatus.RESERVATION_STATUS_RELEASED,
        (orderId, items) ->
            StockReleased.newBuilder().setOrderId(orderId).addAllItems(items).build());
  }

  /** The order was confirmed: its RESERVED lines here become sales. */
  Future<ReleaseStockResponse> commit(int partition, ReleaseStockRequest request) {
    return settle(
        partition,
        request,
        ReservationStatus.RESERVATION_STATUS_COMMITTED,
        (orderId, items) ->
            StockCommitted.newBuilder().setOrderId(orderId).addAllItems(items).build());
  }

  /** Releases or commits an order's lines here, one change of an order at a time. */
  private Future<ReleaseStockResponse> settle(
      int partition, ReleaseStockRequest request, ReservationStatus to, Change change) {
    ServiceError invalid = problem(partition, request.getOrderId(), request.getItemsList(), false);
    if (invalid != null) {
      return Future.failedFuture(invalid.failure());
    }
    return perOrder.run(request.getOrderId(), () -> change(partition, request, to, change));
  }

  Future<GetStockResponse> get(int partition, GetStockRequest request) {
    if (Partitions.of(request.getSku(), partitions) != partition) {
      return Future.failedFuture(misrouted("sku", request.getSku(), partition).failure());
    }
    return stockOf(partition)
        .level(request.getSku())
        .map(level -> GetStockResponse.newBuilder().setStock(level.toProto()).build())
        .map(Future::succeededFuture)
        .orElseGet(
            () ->
                Future.failedFuture(
                    ServiceError.notFound("unknown-sku", "no SKU '" + request.getSku() + "'")
                        .failure()));
  }

  /**
   * The first problem of a request to the owner of {@code partition}, or null: an order id and
   * lines are required ({@code reserving}: at least one, quantities of at least 1), and every SKU
   * must live in this partition (a request sent to another owner's address is refused, not answered
   * from the wrong stock).
   */
  private ServiceError problem(
      int partition, String orderId, List<LineItem> items, boolean reserving) {
    if (orderId.isBlank()) {
      return ServiceError.badField("invalid-request", "orderId", "orderId is required");
    }
    if (reserving && (items.isEmpty() || items.size() > StockRouter.MAX_LINES)) {
      return ServiceError.badField(
          "invalid-request", "items", "between 1 and " + StockRouter.MAX_LINES + " items");
    }
    for (int i = 0; i < items.size(); i++) {
      LineItem item = items.get(i);
      if (item.getSku().isBlank() || (reserving && item.getQuantity() < 1)) {
        return ServiceError.badField(
            "invalid-request", "items/" + i, "a sku and a quantity of at least 1 are required");
      }
      if (Partitions.of(item.getSku(), partitions) != partition) {
        return misrouted("items/" + i + "/sku", item.getSku(), partition);
      }
    }
    return null;
  }

  private ServiceError misrouted(String field, String sku, int partition) {
    return ServiceError.badField(
        "wrong-partition",
        field,
        "SKU '"
            + sku
            + "' lives in partition "
            + Partitions.of(sku, partitions)
            + " of "
            + Topics.STOCK
            + ", not "
            + partition);
  }

  private Inventory stockOf(int partition) {
    Inventory stock = served.get(partition);
    if (stock == null) {
      throw new NotOwnerException("stock partition " + partition + " is not served here");
    }
    return stock;
  }

  private Future<ReserveStockResponse> reserve(
      Inventory stock, int partition, ReserveStockRequest request) {
    String orderId = request.getOrderId();
    String fingerprint = request.getRequestFingerprint();
    List<LineItem> items = request.getItemsList();
    Map<String, Long> wanted = Inventory.quantities(items);
    if (heldForAnother(stock, orderId, fingerprint)) {
      return Future.succeededFuture(rejected(orderId, KEY_REUSED, "", 0));
    }
    for (int i = 0; i < items.size(); i++) {
      if (stock.level(items.get(i).getSku()).isEmpty()) {
        return Future.succeededFuture(rejected(orderId, "unknown-sku", items.get(i).getSku(), i));
      }
    }
    boolean held = false;
    for (String sku : wanted.keySet()) {
      Line line = stock.line(sku, orderId);
      if (line != null && line.status() == ReservationStatus.RESERVATION_STATUS_RELEASED) {
        return Future.succeededFuture(rejected(orderId, "released", "", 0));
      }
      held |= line != null;
    }
    if (held) {
      // Asked again (a retry of the same request, or one without a fingerprint to tell): its lines
      // were written in one transaction, so all are here.
      return Future.succeededFuture(reserved(orderId, stock.priced(items)));
    }
    for (Map.Entry<String, Long> line : wanted.entrySet()) {
      if (stock.level(line.getKey()).orElseThrow().available < line.getValue()) {
        return Future.succeededFuture(
            rejected(orderId, "insufficient-stock", line.getKey(), lineOf(items, line.getKey())));
      }
    }
    List<LineItem> priced = stock.priced(items);
    long now = System.currentTimeMillis();
    wanted.forEach(
        (sku, quantity) ->
            stock.apply(
                sku,
                orderId,
                quantity,
                ReservationStatus.RESERVATION_STATUS_RESERVED,
                fingerprint,
                now));
    List<StateRecord> records = new ArrayList<>();
    for (String sku : wanted.keySet()) {
      List<LineItem> ofSku = priced.stream().filter(item -> item.getSku().equals(sku)).toList();
      records.add(
          record(
              sku,
              orderId,
              ReservationStatus.RESERVATION_STATUS_RESERVED,
              StockReserved.newBuilder()
                  .setOrderId(orderId)
                  .addAllItems(ofSku)
                  .setRequestFingerprint(fingerprint)
                  .build()));
    }
    return write(partition, records)
        .recover(
            error -> {
              wanted.keySet().forEach(sku -> stock.remove(sku, orderId));
              LOG.warn("reservation of order {} not recorded: {}", orderId, error.getMessage());
              return Future.failedFuture(
                  error instanceof NotOwnerException
                      ? error
                      : ServiceError.unavailable(
                              "store-unavailable", "cannot record the reservation")
                          .failure());
            })
        .map(v -> reserved(orderId, priced));
  }

  /**
   * Whether the order holds a line here reserved for another request than the one {@code
   * fingerprint} names: the same order id (user and Idempotency-Key) reused with another body after
   * a placing that reserved but was not recorded. Any line of the order counts, not only those of
   * the SKUs asked for now, so a retry with other SKUs cannot reserve beside the first attempt's
   * lines either. An empty fingerprint on either side (a line reserved, or a caller running, before
   * fingerprints were carried, as in a rolling upgrade) is not compared: such a reservation is
   * taken as a retry, as it was before.
   */
  private static boolean heldForAnother(Inventory stock, String orderId, String fingerprint) {
    if (fingerprint.isEmpty()) {
      return false;
    }
    for (Line line : stock.linesOf(orderId)) {
      if (!line.fingerprint().isEmpty() && !line.fingerprint().equals(fingerprint)) {
        return true;
      }
    }
    return false;
  }

  /** Builds the change of one SKU's lines of an order. */
  @FunctionalInterface
  private interface Change {
    Message of(String orderId, List<LineItem> items);
  }

  private Future<ReleaseStockResponse> change(
      int partition, ReleaseStockRequest request, ReservationStatus to, Change change) {
    Inventory stock = stockOf(partition);
    String orderId = request.getOrderId();
    Map<String, Long> named = Inventory.quantities(request.getItemsList());
    List<String> skus =
        named.isEmpty()
            ? stock.linesOf(orderId).stream().map(Line::sku).toList()
            : List.copyOf(named.keySet());
    List<StateRecord> records = new ArrayList<>();
    Map<String, Long> applied = new HashMap<>();
    boolean committed = false;
    for (String sku : skus) {
      Line line = stock.line(sku, orderId);
      long quantity;
      if (line == null) {
        if (to != ReservationStatus.RESERVATION_STATUS_RELEASED || stock.level(sku).isEmpty()) {
          if (to == ReservationStatus.RESERVATION_STATUS_COMMITTED) {
            LOG.warn("order {} confirmed without a reservation of {}", orderId, sku);
          }
          continue;
        }
        quantity = named.get(sku);
      } else if (line.status() == ReservationStatus.RESERVATION_STATUS_RESERVED) {
        quantity = line.quantity();
      } else {
        committed |= line.status() == ReservationStatus.RESERVATION_STATUS_COMMITTED;
        continue;
      }
      applied.put(sku, quantity);
      LineItem item = LineItem.newBuilder().setSku(sku).setQuantity((int) quantity).build();
      records.add(record(sku, orderId, to, change.of(orderId, List.of(item))));
    }
    boolean wasCommitted = committed;
    long now = System.currentTimeMillis();
    return write(partition, records)
        .map(
            v -> {
              applied.forEach((sku, quantity) -> stock.apply(sku, orderId, quantity, to, now));
              return released(
                  orderId,
                  wasCommitted && to == ReservationStatus.RESERVATION_STATUS_RELEASED
                      ? ReservationStatus.RESERVATION_STATUS_COMMITTED
                      : to);
            });
  }

  private StateRecord record(String sku, String orderId, ReservationStatus status, Message change) {
    String key = Topics.stockKey(sku, orderId);
    return new StateRecord(key, Event.derived(status.name() + "|" + key, SOURCE, key, change));
  }

  private Future<Void> write(int partition, List<StateRecord> records) {
    return records.isEmpty() ? Future.succeededFuture() : owned.write(partition, records);
  }

  private static ReserveStockResponse reserved(String orderId, List<LineItem> priced) {
    return ReserveStockResponse.newBuilder()
        .setOrderId(orderId)
        .setStatus(ReservationStatus.RESERVATION_STATUS_RESERVED)
        .addAllItems(priced)
        .build();
  }

  private static ReserveStockResponse rejected(
      String orderId, String reason, String sku, int line) {
    return ReserveStockResponse.newBuilder()
        .setOrderId(orderId)
        .setStatus(ReservationStatus.RESERVATION_STATUS_REJECTED)
        .setRejectReason(reason)
        .setRejectedSku(sku)
        .setRejectedLine(line)
        .build();
  }

  private static ReleaseStockResponse released(String orderId, ReservationStatus status) {
    return ReleaseStockResponse.newBuilder().setOrderId(orderId).setStatus(status).build();
  }

  private static int lineOf(List<LineItem> items, String sku) {
    for (int i = 0; i < items.size(); i++) {
      if (items.get(i).getSku().equals(sku)) {
        return i;
      }
    }
    return 0;
  }
}
