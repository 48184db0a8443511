package io.courier.inventory;

import io.courier.codec.flow.Addresses;
import io.courier.codec.flow.Partitions;
import io.courier.contract.v1.GetStockRequest;
import io.courier.contract.v1.GetStockResponse;
import io.courier.contract.v1.InventoryServiceService;
import io.courier.contract.v1.LineItem;
import io.courier.contract.v1.ReleaseStockRequest;
import io.courier.contract.v1.ReleaseStockResponse;
import io.courier.contract.v1.ReservationStatus;
import io.courier.contract.v1.ReserveStockRequest;
import io.courier.contract.v1.ReserveStockResponse;
import io.courier.resilience.Deadline;
import io.courier.service.OwnerCalls;
import io.courier.service.ServiceError;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.eventbus.DeliveryOptions;
import io.vertx.core.eventbus.Message;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The inventory's gRPC service on every instance: it splits a request by the partitions of its SKUs
 * and asks each partition's owner over the event bus ({@link Addresses#STOCK_RESERVE} and the
 * rest). A reservation is all or nothing: when one owner refuses its part (for a reused key too:
 * each owner checks the order's lines it holds against the request's fingerprint), the parts others
 * reserved are undone before the refusal is answered; when an owner cannot be reached, the parts
 * reserved stay (a retry, being idempotent per order, completes the rest, and the orphan sweep
 * releases them if none comes) and the call fails UNAVAILABLE.
 */
final class StockRouter extends InventoryServiceService {

  private static final Logger LOG = LoggerFactory.getLogger(StockRouter.class);
  static final int MAX_LINES = 100;
  static final int MAX_SKU = 64;

  private final Vertx vertx;
  private final int partitions;
  private final long timeoutMs;

  /**
   * @param partitions the stock topic's partition count
   * @param timeoutMs how long an owner has to answer its part
   */
  StockRouter(Vertx vertx, int partitions, long timeoutMs) {
    this.vertx = vertx;
    this.partitions = partitions;
    this.timeoutMs = timeoutMs;
  }

  /** One owner's part of a reservation: its partition, the request's lines it holds, the answer. */
  private record Part(int partition, List<Integer> lines, ReserveStockRequest request) {}

  @Override
  public Future<ReserveStockResponse> reserveStock(ReserveStockRequest request) {
    ServiceError invalid = problem(request);
    if (invalid != null) {
      return Future.failedFuture(invalid.toGrpc());
    }
    for (int i = 0; i < request.getItemsCount(); i++) {
      if (request.getItems(i).getQuantity() < 1) {
        return Future.succeededFuture(
            ReserveStockResponse.newBuilder()
                .setOrderId(request.getOrderId())
                .setStatus(ReservationStatus.RESERVATION_STATUS_REJECTED)
                .setRejectedSku(request.getItems(i).getSku())
                .setRejectReason("invalid-quantity")
                .setRejectedLine(i)
                .build());
      }
    }
    List<Part> parts = split(request);
    List<Future<ReserveStockResponse>> answers = new ArrayList<>();
    for (Part part : parts) {
      answers.add(ask(Addresses.STOCK_RESERVE, part.partition(), part.request()));
    }
    return Future.join(answers).transform(done -> conclude(request, parts, answers));
  }

  private Future<ReserveStockResponse> conclude(
      ReserveStockRequest request, List<Part> parts, List<Future<ReserveStockResponse>> answers) {
    ReserveStockResponse refusal = null;
    Throwable failure = null;
    List<Part> toUndo = new ArrayList<>();
    for (int i = 0; i < parts.size(); i++) {
      Future<ReserveStockResponse> answer = answers.get(i);
      if (answer.failed()) {
        failure = failure == null ? answer.cause() : failure;
        toUndo.add(parts.get(i));
      } else if (answer.result().getStatus() != ReservationStatus.RESERVATION_STATUS_RESERVED) {
        ReserveStockResponse mapped = mapped(answer.result(), parts.get(i));
        if (refusal == null || before(mapped, refusal)) {
          refusal = mapped;
        }
      } else {
        toUndo.add(parts.get(i));
      }
    }
    if (refusal == null && failure == null) {
      return Future.succeededFuture(merged(request, parts, answers));
    }
    if (refusal == null) {
      // Unknown outcome somewhere: keep what is reserved for the retry to complete.
      return Future.failedFuture(ServiceError.of(failure).toGrpc());
    }
    ReserveStockResponse refused = refusal;
    List<Future<ReleaseStockResponse>> undone = new ArrayList<>();
    for (Part part : toUndo) {
      undone.add(ask(Addresses.STOCK_UNDO, part.partition(), part.request()));
    }
    return Future.join(undone)
        .transform(
            all -> {
              if (all.succeeded()) {
                return Future.succeededFuture(refused);
              }
              LOG.warn(
                  "order {} refused, but its other reservations are not all undone yet: {}",
                  request.getOrderId(),
                  all.cause().toString());
              return Future.failedFuture(
                  ServiceError.unavailable(
                          "partial-reservation", "the reservation could not be undone; ask again")
                      .toGrpc());
            });
  }

  @Override
  public Future<ReleaseStockResponse> releaseStock(ReleaseStockRequest request) {
    return settle(Addresses.STOCK_RELEASE, request);
  }

  /** Commits the order's reservation (its sale), like {@link #releaseStock} for every owner. */
  Future<ReleaseStockResponse> commitStock(ReleaseStockRequest request) {
    return settle(Addresses.STOCK_COMMIT, request);
  }

  @Override
  public Future<GetStockResponse> getStock(GetStockRequest request) {
    if (request.getSku().isBlank() || request.getSku().length() > MAX_SKU) {
      return Future.failedFuture(
          ServiceError.badField("invalid-request", "sku", "sku is required, 1 to 64 characters")
              .toGrpc());
    }
    return this.<GetStockResponse>ask(
            Addresses.STOCK_GET, Partitions.of(request.getSku(), partitions), request)
        .recover(error -> Future.failedFuture(ServiceError.of(error).toGrpc()));
  }

  /** Sends the order's lines to the owners of their SKUs (every owner when it names none). */
  private Future<ReleaseStockResponse> settle(String address, ReleaseStockRequest request) {
    if (request.getOrderId().isBlank()) {
      return Future.failedFuture(
          ServiceError.badField("invalid-request", "orderId", "orderId is required").toGrpc());
    }
    Map<Integer, ReleaseStockRequest.Builder> byPartition = new LinkedHashMap<>();
    if (request.getItemsCount() == 0) {
      for (int p = 0; p < partitions; p++) {
        byPartition.put(p, ReleaseStockRequest.newBuilder().setOrderId(request.getOrderId()));
      }
    }
    for (LineItem item : request.getItemsList()) {
      byPartition
          .computeIfAbsent(
              Partitions.of(item.getSku(), partitions),
              p -> ReleaseStockRequest.newBuilder().setOrderId(request.getOrderId()))
          .addItems(item);
    }
    List<Future<ReleaseStockResponse>> answers = new ArrayList<>();
    byPartition.forEach((p, part) -> answers.add(ask(address, p, part.build())));
    return Future.all(answers)
        .map(
            all -> {
              boolean committed =
                  answers.stream()
                      .anyMatch(
                          a ->
                              a.result().getStatus()
                                  == ReservationStatus.RESERVATION_STATUS_COMMITTED);
              return ReleaseStockResponse.newBuilder()
                  .setOrderId(request.getOrderId())
                  .setStatus(
                      committed
                          ? ReservationStatus.RESERVATION_STATUS_COMMITTED
                          : answers.get(0).result().getStatus())
                  .build();
            })
        .recover(error -> Future.failedFuture(ServiceError.of(error).toGrpc()));
  }

  /** Asks the partition's owner, waiting for one within the owner timeout while it moves. */
  private <T> Future<T> ask(String base, int partition, Object body) {
    return OwnerCalls.<T>whileMoving(
            vertx,
            Addresses.of(base, partition),
            body,
            new DeliveryOptions(),
            Deadline.after(Duration.ofMillis(timeoutMs)))
        .map(Message::body);
  }

  /** The request's lines grouped by the partition of their SKU, in the order they appear. */
  private List<Part> split(ReserveStockRequest request) {
    Map<Integer, List<Integer>> lines = new LinkedHashMap<>();
    for (int i = 0; i < request.getItemsCount(); i++) {
      lines
          .computeIfAbsent(
              Partitions.of(request.getItems(i).getSku(), partitions), p -> new ArrayList<>())
          .add(i);
    }
    List<Part> parts = new ArrayList<>();
    lines.forEach(
        (partition, indexes) -> {
          ReserveStockRequest.Builder part =
              ReserveStockRequest.newBuilder()
                  .setOrderId(request.getOrderId())
                  .setRequestFingerprint(request.getRequestFingerprint());
          indexes.forEach(i -> part.addItems(request.getItems(i)));
          parts.add(new Part(partition, indexes, part.build()));
        });
    return parts;
  }

  /**
   * Whether refusal {@code a} is the one to answer rather than {@code b}: a reused key first (the
   * request is not this order's, whatever its lines), else the lower line.
   */
  private static boolean before(ReserveStockResponse a, ReserveStockResponse b) {
    boolean aReused = StockOwner.KEY_REUSED.equals(a.getRejectReason());
    boolean bReused = StockOwner.KEY_REUSED.equals(b.getRejectReason());
    return aReused != bReused ? aReused : a.getRejectedLine() < b.getRejectedLine();
  }

  /** An owner's refusal with its line numbered as in the whole request. */
  private static ReserveStockResponse mapped(ReserveStockResponse refusal, Part part) {
    int line = refusal.getRejectedLine();
    return refusal.toBuilder()
        .setRejectedLine(line < part.lines().size() ? part.lines().get(line) : 0)
        .build();
  }

  /** The priced lines of every part, in the request's order. */
  private static ReserveStockResponse merged(
      ReserveStockRequest request, List<Part> parts, List<Future<ReserveStockResponse>> answers) {
    LineItem[] priced = new LineItem[request.getItemsCount()];
    for (int i = 0; i < parts.size(); i++) {
      List<Integer> lines = parts.get(i).lines();
      List<LineItem> items = answers.get(i).result().getItemsList();
      for (int j = 0; j < lines.size() && j < items.size(); j++) {
        priced[lines.get(j)] = items.get(j);
      }
    }
    return ReserveStockResponse.newBuilder()
        .setOrderId(request.getOrderId())
        .setStatus(ReservationStatus.RESERVATION_STATUS_RESERVED)
        .addAllItems(List.of(priced))
        .build();
  }

  private static ServiceError problem(ReserveStockRequest request) {
    if (request.getOrderId().isBlank()
        || request.getItemsCount() == 0
        || request.getItemsCount() > MAX_LINES) {
      return ServiceError.badField(
          "invalid-request",
          "items",
          "an order id and between 1 and " + MAX_LINES + " items are required");
    }
    for (int i = 0; i < request.getItemsCount(); i++) {
      String sku = request.getItems(i).getSku();
      if (sku.isBlank() || sku.length() > MAX_SKU) {
        return ServiceError.badField(
            "invalid-request", "items/" + i + "/sku", "sku is required, 1 to 64 characters");
      }
    }
    return null;
  }
}
