package io.courier.gateway;

import io.courier.contract.v1.PlaceOrderRequest;
import io.courier.contract.v1.PlaceOrdersError;
import io.courier.contract.v1.PlaceOrdersRequest;
import io.courier.contract.v1.PlaceOrdersResponse;
import io.courier.resilience.Deadline;
import io.courier.service.CallerIdentity;
import io.courier.service.GrpcServers;
import io.courier.service.RequestedVersion;
import io.courier.service.ServiceError;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.vertx.core.Future;
import io.vertx.core.net.SocketAddress;
import io.vertx.grpc.common.GrpcStatus;
import io.vertx.grpc.server.GrpcServerRequest;
import io.vertx.grpc.server.GrpcServerResponse;
import io.vertx.grpc.server.StatusException;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * {@code courier.v1.OrderService/PlaceOrders} at the gateway's gRPC edge: a bidirectional stream of
 * orders, each placed like a unary PlaceOrder (the scope of {@code placeOrder}, only for the user
 * the caller may act for, its own idempotency key, one token of the caller's {@code placeOrder}
 * rate limit) and answered by one result carrying its item id, in completion order.
 *
 * <p>A stream reads only what it can place: it asks the server for at most {@code
 * gateway.bulk.maxInFlight} items beyond those being placed, and asks for none while the client
 * does not read its results ({@code writeQueueFull}), so HTTP/2 flow control holds the client back
 * and a stream holds at most its in-flight items and their results. More than {@code maxItems}
 * items end the stream with RESOURCE_EXHAUSTED once the results of the items taken are written. A
 * half-close ends it OK once every result is written; a cancel, a reset or a passed deadline stops
 * it taking items (those already with the order service may still be placed: they are idempotent).
 */
final class BulkPlacing {

  private static final Logger LOG = LoggerFactory.getLogger(BulkPlacing.class);
  private static final String OPERATION = "placeOrder";
  private static final String FORWARDED_FOR = "X-Forwarded-For";

  private final BulkConfig config;
  private final EdgeAuth auth;
  private final OrderClient orders;
  private final Supplier<Deadline> deadline;
  private final RateLimitHandler limits;

  /** Items being placed, every stream of this verticle together. */
  private final AtomicInteger inFlight = new AtomicInteger();

  /** Open streams. */
  private final AtomicInteger streams = new AtomicInteger();

  /** Times a stream stopped reading because its client did not read its results. */
  private final Counter stalls;

  /** Items taken from every stream (read and within its limit). */
  private final Counter read;

  /**
   * @param auth the edge's token check, or null when authentication is off
   * @param limits the edge's rate limits, or null for none
   * @param deadline the deadline of one item, on the call's context
   * @param registry where {@code courier.gateway.bulk.inflight} (items being placed), {@code
   *     courier.gateway.bulk.streams} (open streams), {@code courier.gateway.bulk.items} (items
   *     taken) and {@code courier.gateway.bulk.stalls} (reading stopped for a client not reading)
   *     are kept
   */
  BulkPlacing(
      BulkConfig config,
      EdgeAuth auth,
      OrderClient orders,
      Supplier<Deadline> deadline,
      RateLimitHandler limits,
      MeterRegistry registry) {
    this.config = config;
    this.auth = auth;
    this.orders = orders;
    this.deadline = deadline;
    this.limits = limits;
    Gauge.builder("courier.gateway.bulk.inflight", inFlight, AtomicInteger::get)
        .description("PlaceOrders items being placed now, all streams")
        .register(registry);
    Gauge.builder("courier.gateway.bulk.streams", streams, AtomicInteger::get)
        .description("PlaceOrders streams open now")
        .register(registry);
    this.stalls =
        Counter.builder("courier.gateway.bulk.stalls")
            .description(
                "Times a PlaceOrders stream stopped reading: its client did not read results")
            .register(registry);
    this.read =
        Counter.builder("courier.gateway.bulk.items")
            .description("PlaceOrders items taken from their streams")
            .register(registry);
  }

  void handle(GrpcServerRequest<PlaceOrdersRequest, PlaceOrdersResponse> request) {
    String type = request.headers().get("content-type");
    if (type != null && type.startsWith("application/grpc-web")) {
      // A gRPC-Web client sends its request in one body and reads nothing until it is sent: a
      // stream of items would never see a result. Refused at once rather than left to hang.
      request
          .response()
          .status(GrpcStatus.UNIMPLEMENTED)
          .statusMessage(
              "PlaceOrders needs a native gRPC (HTTP/2) client: gRPC-Web cannot stream requests;"
                  + " use PlaceOrder per order")
          .end();
      return;
    }
    new Stream(request).start();
  }

  /** One PlaceOrders call; touched only on its own context. */
  private final class Stream {
    private final GrpcServerRequest<PlaceOrdersRequest, PlaceOrdersResponse> request;
    private final GrpcServerResponse<PlaceOrdersRequest, PlaceOrdersResponse> response;
    private final CallerIdentity caller = CallerIdentity.current().orElse(null);
    private final RequestedVersion version = RequestedVersion.current().orElse(null);

    /** Items asked of the server and not yet delivered. */
    private int asked;

    /** Items of this stream being placed (the rate limit asked, or the order service). */
    private int placing;

    /** Items taken (the ones beyond {@code maxItems} are not). */
    private int taken;

    private boolean halfClosed;
    private boolean tooMany;
    private boolean gone;
    private boolean finished;
    private boolean open;

    /** Reading stopped because the results are not being read, until the response drains. */
    private boolean stalled;

    Stream(GrpcServerRequest<PlaceOrdersRequest, PlaceOrdersResponse> request) {
      this.request = request;
      this.response = request.response();
    }

    void start() {
      open = true;
      streams.incrementAndGet();
      request.pause();
      request.handler(this::item);
      request.endHandler(
          v -> {
            halfClosed = true;
            finish();
          });
      request.exceptionHandler(e -> stop());
      response.exceptionHandler(e -> stop());
      // A drained response takes results again: ask for items again.
      response.drainHandler(
          v -> {
            stalled = false;
            pump();
          });
      Future<Void> ended = GrpcServers.callEnded();
      if (ended != null) {
        ended.onComplete(done -> stop());
      }
      pump();
    }

    /** Asks for as many items as there are free places, unless the results are not being read. */
    private void pump() {
      if (gone || tooMany || finished || halfClosed) {
        return;
      }
      if (response.writeQueueFull()) {
        if (!stalled) {
          stalled = true;
          stalls.increment();
        }
        return;
      }
      int wanted = config.maxInFlight() - placing - asked;
      if (wanted > 0) {
        asked += wanted;
        request.fetch(wanted);
      }
    }

    private void item(PlaceOrdersRequest item) {
      asked = Math.max(0, asked - 1);
      if (gone || tooMany || finished) {
        return;
      }
      if (++taken > config.maxItems()) {
        tooMany = true;
        finish();
        return;
      }
      read.increment();
      ServiceError refused = BulkItems.itemIdProblem(item.getItemId());
      if (refused == null && auth != null && !auth.permits(caller, OPERATION)) {
        refused =
            ServiceError.forbidden(
                "insufficient-scope",
                "this operation needs the scope '" + auth.scopeOf(OPERATION) + "'");
      }
      if (refused == null) {
        refused = BulkItems.orderProblem(item);
      }
      if (refused == null && caller != null && !caller.mayActFor(item.getOrder().getUserId())) {
        refused =
            ServiceError.forbidden(
                "forbidden", "'" + caller.subject() + "' may not place orders for another user");
      }
      if (refused != null) {
        write(error(item.getItemId(), refused));
        pump();
        return;
      }
      placing++;
      inFlight.incrementAndGet();
      PlaceOrderRequest order = item.getOrder();
      admitted()
          .compose(v -> orders.place(order, deadline.get(), caller, version))
          .onComplete(
              placed -> {
                placing--;
                inFlight.decrementAndGet();
                write(
                    placed.succeeded()
                        ? PlaceOrdersResponse.newBuilder()
                            .setItemId(item.getItemId())
                            .setPlaced(placed.result().body())
                            .setDegradedBy(
                                placed.result().degraded() ? placed.result().degradedBy() : "")
                            .build()
                        : error(
                            item.getItemId(),
                            Problems.forCaller(
                                ServiceError.of(placed.cause()), "gRPC PlaceOrders")));
                pump();
                finish();
              });
    }

    /** One token of the caller's {@code placeOrder} limit, as a unary PlaceOrder takes. */
    private Future<Void> admitted() {
      if (limits == null) {
        return Future.succeededFuture();
      }
      SocketAddress peer = request.connection().remoteAddress();
      List<String> forwarded = request.headers().getAll(FORWARDED_FOR);
      return limits.admitMessage(
          OPERATION,
          caller,
          request.headers().get(RateLimitHandler.API_KEY_HEADER),
          peer == null ? null : peer.hostAddress(),
          forwarded);
    }

    private void write(PlaceOrdersResponse result) {
      if (gone || finished) {
        return;
      }
      try {
        response.write(result);
      } catch (IllegalStateException closed) {
        LOG.debug("a PlaceOrders result came after its caller had gone: {}", closed.getMessage());
        stop();
      }
    }

    /** Ends the stream once nothing is being placed: OK after a half-close, else too many items. */
    private void finish() {
      if (finished || gone || placing > 0 || !(halfClosed || tooMany)) {
        return;
      }
      finished = true;
      closed();
      try {
        if (tooMany) {
          response
              .status(GrpcStatus.RESOURCE_EXHAUSTED)
              .statusMessage(
                  "a PlaceOrders stream takes at most "
                      + config.maxItems()
                      + " items (gateway.bulk.maxItems); the results above are those of the items"
                      + " taken")
              .end();
        } else {
          response.end();
        }
      } catch (IllegalStateException closed) {
        LOG.debug("a PlaceOrders stream ended after its caller had gone: {}", closed.getMessage());
      }
    }

    /** The caller cancelled, reset, timed out or went away: no item is taken any more. */
    private void stop() {
      gone = true;
      closed();
    }

    /** The stream counts as open no more. */
    private void closed() {
      if (open) {
        open = false;
        streams.decrementAndGet();
      }
    }
  }

  private static PlaceOrdersResponse error(String itemId, ServiceError error) {
    StatusException status = error.toGrpc();
    PlaceOrdersError.Builder problem =
        PlaceOrdersError.newBuilder()
            .setCode(status.status().code)
            .setMessage(error.detail())
            .setType(error.type());
    if (!error.field().isEmpty()) {
      problem.setField(error.field());
    }
    return PlaceOrdersResponse.newBuilder().setItemId(itemId).setError(problem).build();
  }
}
