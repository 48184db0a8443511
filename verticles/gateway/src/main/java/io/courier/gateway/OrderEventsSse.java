package io.courier.gateway;

import io.courier.contract.v1.Order;
import io.courier.resilience.Deadline;
import io.courier.service.CallerIdentity;
import io.courier.service.RequestedVersion;
import io.courier.service.ServiceError;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.HttpServerResponse;
import io.vertx.ext.web.RoutingContext;
import io.vertx.ext.web.openapi.router.RouterBuilder;
import io.vertx.openapi.validation.ValidatedRequest;
import java.util.List;
import java.util.Optional;
import java.util.function.Function;

/**
 * {@code GET /api/v1/orders/{id}/events}: an order's states as Server-Sent Events, from the same
 * source and with the same rules as the gRPC {@code WatchOrder} ({@link OrderWatch}): the current
 * state (read with GetOrder, which also decides whether the caller may read the order), then each
 * newer state, the stream ending after a terminal one. One event {@code order} per state, {@code
 * id:} counting from 1, the order as JSON in {@code data:}. A slow reader gets the latest state; a
 * client that disconnects releases the watch; a comment line every half {@code idleTimeoutMs} keeps
 * a quiet stream from being closed as idle.
 */
final class OrderEventsSse {

  /** The operation's id in the contract. */
  static final String OPERATION = "watchOrderEvents";

  private final Backends backends;
  private final OrderWatches watches;
  private final Function<RoutingContext, Deadline> deadline;
  private final long heartbeatMs;

  /**
   * @param deadline the deadline of the GetOrder the stream starts with (null: a problem was sent)
   * @param idleTimeoutMs the connection's idle timeout, which the heartbeat stays under
   */
  OrderEventsSse(
      Backends backends,
      OrderWatches watches,
      Function<RoutingContext, Deadline> deadline,
      long idleTimeoutMs) {
    this.backends = backends;
    this.watches = watches;
    this.deadline = deadline;
    this.heartbeatMs = Math.max(500, idleTimeoutMs / 2);
  }

  /**
   * Whether the request is for an event stream, which outlives the REST API's request timeout: its
   * end is the order's terminal state or the client going.
   */
  static boolean isStream(RoutingContext routing) {
    String path = routing.request().path();
    return routing.request().method() == HttpMethod.GET
        && path.startsWith("/api/v1/orders/")
        && path.endsWith("/events");
  }

  void events(RoutingContext routing) {
    ValidatedRequest request = routing.get(RouterBuilder.KEY_META_DATA_VALIDATED_REQUEST);
    String orderId = request.getPathParameters().get("id").getString();
    CallerIdentity caller = EdgeAuth.identity(routing);
    Deadline first = deadline.apply(routing);
    if (first == null) {
      return;
    }
    Optional<RequestedVersion> version = OrdersApi.version(routing);
    if (version == null) {
      return; // malformed x-courier-version: answered 400
    }
    HttpServerResponse response = routing.response();
    SseSink sink = new SseSink(response);
    OrderWatch watch = new OrderWatch(orderId, Vertx.currentContext(), sink, watches);
    // The client went (closed the connection or reset the stream), or the stream ended: the
    // routing context's end handlers, so the response's own handlers stay the context's.
    routing.addEndHandler(ended -> sink.closed(watch));
    watch
        .open()
        .recover(
            e ->
                Future.failedFuture(
                    ServiceError.unavailable(
                            "events-unavailable", "the order's events cannot be read now")
                        .failure()))
        .compose(v -> backends.orders.get(orderId, first, caller, version.orElse(null)))
        .onComplete(
            found -> {
              if (found.failed()) {
                watch.close();
                if (!response.closed()) {
                  Problems.send(routing, ServiceError.of(found.cause()), List.of());
                }
                return;
              }
              if (response.closed()) {
                watch.close();
                return;
              }
              response
                  .setChunked(true)
                  .putHeader("Content-Type", "text/event-stream; charset=utf-8")
                  .putHeader("Cache-Control", "no-cache")
                  .putHeader("X-Accel-Buffering", "no");
              sink.heartbeat(routing.vertx(), heartbeatMs);
              watch.start(found.result().getOrder());
            });
  }

  /** A response of {@code text/event-stream} as a watch's sink. */
  private static final class SseSink extends OrderWatch.StreamSink {
    private final HttpServerResponse response;
    private long sent;
    private long timer = -1;
    private Vertx vertx;

    SseSink(HttpServerResponse response) {
      super(response);
      this.response = response;
    }

    void heartbeat(Vertx vertx, long everyMs) {
      this.vertx = vertx;
      timer =
          vertx.setPeriodic(
              everyMs,
              id -> {
                // Only while the reader keeps up: a full queue is not grown by heartbeats.
                if (!response.ended() && !response.closed() && !response.writeQueueFull()) {
                  response.write(": keep-alive\n\n");
                }
              });
    }

    void closed(OrderWatch watch) {
      watch.close();
      if (timer != -1) {
        vertx.cancelTimer(timer);
        timer = -1;
      }
    }

    @Override
    public void write(Order order, boolean last) {
      if (response.ended() || response.closed()) {
        return;
      }
      sent++;
      String event =
          "id: " + sent + "\nevent: order\ndata: " + OrdersApi.orderJson(order).encode() + "\n\n";
      if (last) {
        response.end(event);
      } else {
        response.write(event);
      }
    }

    @Override
    public void fail(String why) {
      if (response.ended() || response.closed()) {
        return;
      }
      response.end(
          "event: error\ndata: "
              + ServiceError.unavailable("events-unavailable", why).toJson().encode()
              + "\n\n");
    }
  }
}
