package io.courier.order;

import com.google.protobuf.Message;
import com.google.protobuf.Timestamp;
import io.courier.codec.flow.OrderIds;
import io.courier.codec.flow.Services;
import io.courier.contract.v1.GetOrderResponse;
import io.courier.contract.v1.InventoryServiceGrpcClient;
import io.courier.contract.v1.Order;
import io.courier.contract.v1.OrderCancelled;
import io.courier.contract.v1.OrderConfirmed;
import io.courier.contract.v1.OrderPlaced;
import io.courier.contract.v1.OrderStatus;
import io.courier.contract.v1.PaymentCompleted;
import io.courier.contract.v1.PaymentFailed;
import io.courier.contract.v1.PlaceOrderRequest;
import io.courier.contract.v1.PlaceOrderResponse;
import io.courier.contract.v1.ReleaseStockRequest;
import io.courier.contract.v1.ReservationStatus;
import io.courier.contract.v1.ReserveStockRequest;
import io.courier.contract.v1.ReserveStockResponse;
import io.courier.resilience.Deadline;
import io.courier.resilience.TargetPolicy;
import io.courier.runtime.chaos.Faults;
import io.courier.runtime.kafka.OwnedPartitions.NotOwnerException;
import io.courier.runtime.kafka.RetryLaterException;
import io.courier.runtime.metrics.Meters;
import io.courier.service.CallerIdentity;
import io.courier.service.GrpcPeer;
import io.courier.service.PerKeySequence;
import io.courier.service.Reply;
import io.courier.service.RequestedVersion;
import io.courier.service.ServiceError;
import io.vertx.core.Future;
import java.time.Instant;
import java.util.concurrent.atomic.LongAdder;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Orders: placing (idempotent per key), reading, the order side of the payment saga and its
 * deadline. Answers for the orders of the partitions this instance serves ({@link OrderBook});
 * confined to the verticle's event loop; every state change is written to the order's partition
 * before it is visible or acknowledged.
 */
final class DefaultOrderService {

  private static final Logger LOG = LoggerFactory.getLogger(DefaultOrderService.class);

  private final OrderBook orders;
  private final UserCheck users;
  private final GrpcPeer inventory;
  private final Faults faults;
  private final PerKeySequence perOrder = new PerKeySequence();
  private final LongAdder contradictions = new LongAdder();
  private final LongAdder expired = new LongAdder();
  private final Runnable countContradiction;
  private final Runnable countExpired;
  private final Runnable countPlaced;

  /**
   * @param faults where chaos tests fail the write of a placed order ({@link
   *     OrderServiceRole#STORE_FAULT_POINT})
   */
  DefaultOrderService(
      OrderBook orders, GrpcPeer users, GrpcPeer inventory, Faults faults, Meters meters) {
    this.orders = orders;
    this.users = new UserCheck(users);
    this.inventory = inventory;
    this.faults = faults;
    this.countContradiction =
        meters.counter(
            "courier.order.saga.contradictions",
            "Payment outcomes for an order already in the other terminal state (refund or check)");
    this.countExpired =
        meters.counter(
            "courier.order.payment.timeouts",
            "Orders cancelled, their stock released, because no payment outcome came in time");
    this.countPlaced =
        meters.counter(
            "courier.order.placed",
            "Orders this instance recorded as the owner of their partition");
    orders.meter(meters);
  }

  /** The policy of the calls to the inventory, which the payment consumer's handler makes. */
  TargetPolicy inventoryPolicy() {
    return inventory.policy();
  }

  int size() {
    return orders.size();
  }

  /** Payment outcomes that arrived for an order already in the other terminal state. */
  long contradictions() {
    return contradictions.sum();
  }

  /** Orders cancelled because no payment outcome came within the payment timeout. */
  long expired() {
    return expired.sum();
  }

  /**
   * Places the order, or answers as the first time for a repeated key with the same request. A
   * caller identity (null for calls from inside the platform) may place orders only for itself
   * unless it is an admin. The reply is degraded by {@code user-service} when the user was checked
   * against a cached profile because the user service could not answer ({@link UserCheck}).
   */
  Future<Reply<PlaceOrderResponse>> place(
      PlaceOrderRequest request,
      Deadline deadline,
      CallerIdentity caller,
      RequestedVersion version) {
    ServiceError invalid = OrderRequests.problem(request);
    if (invalid != null) {
      return Future.failedFuture(invalid.failure());
    }
    if (caller != null && !caller.mayActFor(request.getUserId())) {
      return Future.failedFuture(
          ServiceError.forbidden(
                  "forbidden", "'" + caller.subject() + "' may not place orders for another user")
              .failure());
    }
    String orderId = OrderIds.of(request.getUserId(), request.getIdempotencyKey());
    if (!orders.serves(orders.partitionOf(orderId))) {
      return Future.failedFuture(moving(orderId));
    }
    String fingerprint = OrderRequests.fingerprint(request);
    return perOrder.run(
        orderId,
        () -> {
          Order existing = orders.get(orderId);
          if (existing != null) {
            return existing.getRequestFingerprint().equals(fingerprint)
                ? Future.succeededFuture(Reply.of(answer(existing)))
                : Future.failedFuture(keyReused().failure());
          }
          return users
              .check(request.getUserId(), deadline, caller, version)
              .compose(
                  user ->
                      reserve(orderId, fingerprint, request, deadline, version)
                          .compose(reserved -> record(orderId, fingerprint, request, reserved))
                          .map(
                              order ->
                                  new Reply<>(
                                      answer(order), user.degraded() ? Services.USER : null)));
        });
  }

  /** The order; a caller identity (null inside the platform) sees only its own unless admin. */
  Future<GetOrderResponse> get(String orderId, CallerIdentity caller) {
    if (!orders.serves(orders.partitionOf(orderId))) {
      return Future.failedFuture(moving(orderId));
    }
    Order order = orders.get(orderId);
    if (order == null) {
      return Future.failedFuture(
          ServiceError.notFound("unknown-order", "no order with id '" + orderId + "'").failure());
    }
    if (caller != null && !caller.mayActFor(order.getUserId())) {
      return Future.failedFuture(
          ServiceError.forbidden("forbidden", "this order belongs to another user").failure());
    }
    return Future.succeededFuture(GetOrderResponse.newBuilder().setOrder(order).build());
  }

  /**
   * The saga's order side, for an order of a partition served here; idempotent, so a redelivered
   * payment outcome changes nothing.
   */
  Future<Void> onPayment(Message outcome) {
    if (outcome instanceof PaymentCompleted completed) {
      return served(completed.getOrderId(), () -> confirm(completed));
    }
    if (outcome instanceof PaymentFailed failed) {
      return served(failed.getOrderId(), () -> cancel(failed.getOrderId(), failed.getReason()));
    }
    return Future.succeededFuture();
  }

  /**
   * Cancels {@code orderId} with its stock released if it is still PENDING: no payment outcome came
   * within the payment timeout. A payment completing after this is a contradiction (counted, logged
   * for a refund).
   */
  Future<Void> expire(String orderId) {
    return served(
        orderId,
        () -> {
          Order order = orders.get(orderId);
          if (order == null || order.getStatus() != OrderStatus.ORDER_STATUS_PENDING) {
            return Future.succeededFuture();
          }
          LOG.warn("order {} had no payment outcome in time; cancelling it", orderId);
          return cancel(order, "payment timed out")
              .onSuccess(
                  v -> {
                    expired.increment();
                    countExpired.run();
                  });
        });
  }

  private Future<Void> served(String orderId, Supplier<Future<Void>> change) {
    if (!orders.serves(orders.partitionOf(orderId))) {
      return Future.failedFuture(moving(orderId));
    }
    return perOrder.run(orderId, change);
  }

  private static NotOwnerException moving(String orderId) {
    return new NotOwnerException("the partition of order " + orderId + " is moving; ask again");
  }

  private Future<Void> confirm(PaymentCompleted completed) {
    Order order = orders.get(completed.getOrderId());
    if (order == null) {
      return Future.failedFuture(
          ServiceError.notFound(
                  "unknown-order", "payment completed for unknown order " + completed.getOrderId())
              .failure());
    }
    if (order.getStatus() != OrderStatus.ORDER_STATUS_PENDING) {
      if (order.getStatus() == OrderStatus.ORDER_STATUS_CANCELLED) {
        contradictions.increment();
        countContradiction.run();
        LOG.error(
            "order {} was cancelled but payment {} completed; it needs a refund",
            order.getId(),
            completed.getPaymentId());
      }
      return Future.succeededFuture();
    }
    Order confirmed =
        order.toBuilder()
            .setStatus(OrderStatus.ORDER_STATUS_CONFIRMED)
            .setPaymentId(completed.getPaymentId())
            .setUpdatedAt(now())
            .build();
    return orders.write(
        confirmed,
        OrderConfirmed.newBuilder()
            .setOrderId(order.getId())
            .setPaymentId(completed.getPaymentId())
            .setOrder(confirmed)
            .build());
  }

  private Future<Void> cancel(String orderId, String failure) {
    Order order = orders.get(orderId);
    if (order == null) {
      return Future.failedFuture(
          ServiceError.notFound("unknown-order", "payment failed for unknown order " + orderId)
              .failure());
    }
    if (order.getStatus() != OrderStatus.ORDER_STATUS_PENDING) {
      if (order.getStatus() == OrderStatus.ORDER_STATUS_CONFIRMED) {
        contradictions.increment();
        countContradiction.run();
        LOG.error(
            "order {} was confirmed but a payment failure arrived; kept confirmed", order.getId());
      }
      return Future.succeededFuture();
    }
    return cancel(order, "payment failed: " + failure);
  }

  private Future<Void> cancel(Order order, String reason) {
    Order cancelled =
        order.toBuilder()
            .setStatus(OrderStatus.ORDER_STATUS_CANCELLED)
            .setCancelReason(reason)
            .setUpdatedAt(now())
            .build();
    // Compensation first: the stock goes back before the order says it is cancelled.
    return inventory
        .call(
            Deadline.none(),
            InventoryServiceGrpcClient.ReleaseStock,
            ReleaseStockRequest.newBuilder()
                .setOrderId(order.getId())
                .addAllItems(order.getItemsList())
                .build())
        .recover(
            error ->
                Future.failedFuture(
                    new RetryLaterException(
                        "inventory unavailable to release order " + order.getId(), error)))
        .compose(
            released ->
                orders.write(
                    cancelled,
                    OrderCancelled.newBuilder()
                        .setOrderId(order.getId())
                        .setReason(reason)
                        .setOrder(cancelled)
                        .build()));
  }

  /**
   * Reserves the order's stock under the request's fingerprint, so that stock a placing reserved
   * but did not record is found by a retry of the same request and refused to another body.
   */
  private Future<ReserveStockResponse> reserve(
      String orderId,
      String fingerprint,
      PlaceOrderRequest request,
      Deadline deadline,
      RequestedVersion version) {
    return inventory
        .<ReserveStockRequest, ReserveStockResponse>call(
            deadline,
            InventoryServiceGrpcClient.ReserveStock,
            ReserveStockRequest.newBuilder()
                .setOrderId(orderId)
                .addAllItems(request.getItemsList())
                .setRequestFingerprint(fingerprint)
                .build(),
            CallerIdentity.current().orElse(null),
            version)
        .recover(error -> Future.failedFuture(unavailable("inventory-service", error)))
        .compose(
            reserved -> {
              if (reserved.getStatus() == ReservationStatus.RESERVATION_STATUS_RESERVED) {
                return Future.succeededFuture(reserved);
              }
              String field = "items/" + reserved.getRejectedLine() + "/sku";
              ServiceError problem =
                  switch (reserved.getRejectReason()) {
                    case "unknown-sku" ->
                        ServiceError.badField(
                            "unknown-sku", field, "no SKU '" + reserved.getRejectedSku() + "'");
                    case "invalid-quantity" ->
                        ServiceError.badField(
                            "invalid-quantity",
                            "items/" + reserved.getRejectedLine() + "/quantity",
                            "quantity must be at least 1");
                    case "insufficient-stock" ->
                        new ServiceError(
                            409,
                            "insufficient-stock",
                            "not enough stock of '" + reserved.getRejectedSku() + "'",
                            field);
                    // A placing under this key reserved for another body and was not recorded.
                    case "idempotency-key-reused" -> keyReused();
                    default ->
                        ServiceError.conflict(
                            "order-cancelled", "this order was cancelled; use a new key");
                  };
              return Future.failedFuture(problem.failure());
            });
  }

  private Future<Order> record(
      String orderId,
      String fingerprint,
      PlaceOrderRequest request,
      ReserveStockResponse reserved) {
    Timestamp now = now();
    Order order =
        Order.newBuilder()
            .setId(orderId)
            .setUserId(request.getUserId())
            .addAllItems(reserved.getItemsList())
            .setStatus(OrderStatus.ORDER_STATUS_PENDING)
            .setCreatedAt(now)
            .setUpdatedAt(now)
            .setIdempotencyKey(request.getIdempotencyKey())
            .setRequestFingerprint(fingerprint)
            .build();
    return faults
        .at(OrderServiceRole.STORE_FAULT_POINT)
        .compose(v -> orders.write(order, OrderPlaced.newBuilder().setOrder(order).build()))
        .onSuccess(v -> countPlaced.run())
        .recover(
            error -> {
              // The reservation stays: a retry with the same key finds it and completes the order.
              LOG.warn("order {} not recorded: {}", orderId, error.getMessage());
              return Future.failedFuture(
                  ServiceError.unavailable("store-unavailable", "the order could not be recorded")
                      .failure());
            })
        .map(order);
  }

  private PlaceOrderResponse answer(Order order) {
    return PlaceOrderResponse.newBuilder()
        .setOrderId(order.getId())
        .setStatus(order.getStatus())
        .build();
  }

  /** The same answer whether the order was recorded or only its stock reserved. */
  private static ServiceError keyReused() {
    return ServiceError.conflict(
        "idempotency-key-reused", "this Idempotency-Key was used for a different order");
  }

  private static ServiceError.Failure unavailable(String dependency, Throwable error) {
    if (error instanceof ServiceError.Failure failure) {
      return failure;
    }
    LOG.debug("{} unavailable: {}", dependency, error.toString());
    return ServiceError.unavailable("dependency-unavailable", dependency + " is unavailable")
        .failure();
  }

  private static Timestamp now() {
    Instant now = Instant.now();
    return Timestamp.newBuilder().setSeconds(now.getEpochSecond()).setNanos(now.getNano()).build();
  }
}
