package io.courier.gateway;

import io.courier.codec.flow.Addresses;
import io.courier.codec.flow.OrderIds;
import io.courier.codec.flow.Partitions;
import io.courier.codec.flow.Services;
import io.courier.contract.v1.GetOrderRequest;
import io.courier.contract.v1.GetOrderResponse;
import io.courier.contract.v1.PlaceOrderRequest;
import io.courier.contract.v1.PlaceOrderResponse;
import io.courier.resilience.Deadline;
import io.courier.resilience.ProxyCalls;
import io.courier.resilience.ProxyReply;
import io.courier.resilience.ResilienceProxyVerticle;
import io.courier.service.CallerIdentity;
import io.courier.service.Reply;
import io.courier.service.RequestedVersion;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.eventbus.DeliveryOptions;

/**
 * The gateway's calls to the order service over the (clustered) event bus. Each goes through a
 * resilience proxy of this process ({@code courier.resilient.order-service}: the one on the
 * caller's own event loop directly, else sent local-only, {@link ProxyCalls}), which applies the
 * {@code order-service} policy: each attempt is a request whose delivery timeout and {@code
 * courier-timeout-ms} header are what remains of its deadline. Placing is retried only because it
 * carries an idempotency key.
 *
 * <p>Each request goes to the owner of its order's partition of the orders topic ({@link
 * Partitions#of} of the order id, which placing derives from the idempotency key), named in the
 * proxy's {@value ResilienceProxyVerticle#TO_HEADER} header: while that partition moves between
 * instances nobody listens there, and the proxy asks again within the deadline, then answers 503.
 */
final class OrderClient {

  /** How long after the deadline the proxy still has to answer: it reports a spent deadline. */
  private static final long PROXY_SLACK_MS = 200;

  private final Vertx vertx;
  private final int partitions;

  /**
   * @param partitions the orders topic's partition count ({@code kafka.topics.partitions})
   */
  OrderClient(Vertx vertx, int partitions) {
    this.vertx = vertx;
    this.partitions = partitions;
  }

  /**
   * Places an order on behalf of {@code caller}; {@code version} (may be null) travels with it as
   * {@value RequestedVersion#HEADER}, so the order service's calls reach that version. The answer
   * says which dependency, if any, the order service answered for from a fallback ({@value
   * Reply#DEGRADED_HEADER} on its reply).
   */
  Future<Reply<PlaceOrderResponse>> place(
      PlaceOrderRequest request,
      Deadline deadline,
      CallerIdentity caller,
      RequestedVersion version) {
    String orderId = OrderIds.of(request.getUserId(), request.getIdempotencyKey());
    return request(ownerOf(Addresses.ORDER_PLACE, orderId), request, deadline, caller, version)
        .map(
            reply ->
                new Reply<>(
                    reply.<PlaceOrderResponse>as(), reply.headers().get(Reply.DEGRADED_HEADER)));
  }

  Future<GetOrderResponse> get(
      String orderId, Deadline deadline, CallerIdentity caller, RequestedVersion version) {
    return request(
            ownerOf(Addresses.ORDER_GET, orderId),
            GetOrderRequest.newBuilder().setOrderId(orderId).build(),
            deadline,
            caller,
            version)
        .map(ProxyReply::<GetOrderResponse>as);
  }

  /** A request on behalf of {@code caller} (null when authentication is off). */
  private Future<ProxyReply> request(
      String address,
      Object body,
      Deadline deadline,
      CallerIdentity caller,
      RequestedVersion version) {
    DeliveryOptions options =
        new DeliveryOptions()
            .setLocalOnly(true)
            .addHeader(ResilienceProxyVerticle.TO_HEADER, address)
            .setSendTimeout(
                Math.min(Integer.MAX_VALUE, deadline.remaining().toMillis()) + PROXY_SLACK_MS);
    if (!deadline.isNone()) {
      options.addHeader(Deadline.HEADER, deadline.toHeader());
    }
    return ProxyCalls.request(
        vertx,
        Services.ORDER,
        body,
        RequestedVersion.writeTo(withCaller(options, caller), version));
  }

  private String ownerOf(String base, String orderId) {
    return Addresses.of(base, Partitions.of(orderId, partitions));
  }

  private static DeliveryOptions withCaller(DeliveryOptions options, CallerIdentity caller) {
    return caller == null ? options : caller.writeTo(options);
  }
}
