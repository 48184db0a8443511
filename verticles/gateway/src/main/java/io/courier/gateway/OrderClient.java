package io.courier.gateway;

import io.courier.codec.flow.Addresses;
import io.courier.contract.v1.GetOrderRequest;
import io.courier.contract.v1.GetOrderResponse;
import io.courier.contract.v1.PlaceOrderRequest;
import io.courier.contract.v1.PlaceOrderResponse;
import io.courier.resilience.Deadline;
import io.courier.resilience.TargetPolicy;
import io.courier.service.CallerIdentity;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.eventbus.DeliveryOptions;
import io.vertx.core.eventbus.Message;

/**
 * The gateway's calls to the order service over the (clustered) event bus, under the {@code
 * order-service} resilience policy: each attempt is a request whose delivery timeout and {@code
 * courier-timeout-ms} header are what remains of its deadline. Placing is retried only because it
 * carries an idempotency key.
 */
final class OrderClient {

  private final Vertx vertx;
  private final TargetPolicy policy;

  OrderClient(Vertx vertx, TargetPolicy policy) {
    this.vertx = vertx;
    this.policy = policy;
  }

  Future<PlaceOrderResponse> place(
      PlaceOrderRequest request, Deadline deadline, CallerIdentity caller) {
    return this.<PlaceOrderResponse>request(Addresses.ORDER_PLACE, request, deadline, caller);
  }

  Future<GetOrderResponse> get(String orderId, Deadline deadline, CallerIdentity caller) {
    return this.<GetOrderResponse>request(
        Addresses.ORDER_GET,
        GetOrderRequest.newBuilder().setOrderId(orderId).build(),
        deadline,
        caller);
  }

  /** A request on behalf of {@code caller} (null when authentication is off). */
  private <T> Future<T> request(
      String address, Object body, Deadline deadline, CallerIdentity caller) {
    return policy.call(
        deadline,
        attempt ->
            vertx
                .eventBus()
                .<T>request(
                    address,
                    body,
                    withCaller(
                        new DeliveryOptions()
                            .setSendTimeout(Math.max(1, attempt.deadline().remaining().toMillis()))
                            .addHeader(Deadline.HEADER, attempt.deadline().toHeader()),
                        caller))
                .map(Message::body));
  }

  private static DeliveryOptions withCaller(DeliveryOptions options, CallerIdentity caller) {
    return caller == null ? options : caller.writeTo(options);
  }
}
