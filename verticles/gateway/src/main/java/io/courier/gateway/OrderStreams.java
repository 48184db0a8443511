package io.courier.gateway;

import com.google.protobuf.Descriptors;
import io.courier.contract.v1.Order;
import io.courier.contract.v1.OrderServiceGrpcService;
import io.courier.contract.v1.OrderServiceService;
import io.courier.contract.v1.PlaceOrderRequest;
import io.courier.contract.v1.PlaceOrderResponse;
import io.courier.contract.v1.WatchOrderRequest;
import io.courier.contract.v1.WatchOrderResponse;
import io.courier.resilience.Deadline;
import io.courier.service.CallerIdentity;
import io.courier.service.GrpcServers;
import io.courier.service.Reply;
import io.courier.service.RequestedVersion;
import io.courier.service.ServiceError;
import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.grpc.common.ServiceName;
import io.vertx.grpc.server.GrpcServer;
import io.vertx.grpc.server.GrpcServerRequest;
import io.vertx.grpc.server.GrpcServerResponse;
import io.vertx.grpc.server.Service;
import io.vertx.grpc.server.StatusException;
import java.util.function.Function;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * {@code courier.v1.OrderService} at the gateway's gRPC edge: the unary GetOrder of {@code unary},
 * PlaceOrder of {@code place} (with {@value #DEGRADED_METADATA} response metadata when the order
 * service answered part of it from a fallback), and the streaming WatchOrder (server streaming: the
 * order's current state, then each change from its Kafka events, until terminal), admitted like the
 * unary calls (the edge's token, then the scope of {@code getOrder}) and allowed to watch only the
 * orders the caller may read (GetOrder's rule, asked of the order service first); and the
 * bidirectional PlaceOrders ({@link BulkPlacing}).
 */
final class OrderStreams implements Service {

  private static final Logger LOG = LoggerFactory.getLogger(OrderStreams.class);

  /** An order id as the contract takes it: 1 to 64 characters. */
  static final int MAX_ID_LENGTH = 64;

  /**
   * The response metadata of a PlaceOrder answered with a dependency down, part of it from a
   * fallback: its value names the dependency, e.g. {@code user-service} (REST: {@code
   * Courier-Degraded}).
   */
  static final String DEGRADED_METADATA = Reply.DEGRADED_HEADER;

  private final OrderServiceService unary;
  private final Function<PlaceOrderRequest, Future<Reply<PlaceOrderResponse>>> place;
  private final OrderWatches watches;
  private final EdgeAuth auth;
  private final OrderClient orders;
  private final Supplier<Deadline> deadline;
  private final BulkPlacing bulk;

  /**
   * @param auth the edge's token check, or null when authentication is off
   * @param deadline the deadline of the GetOrder a watch starts with, on the call's context
   * @param bulk the streaming PlaceOrders
   */
  OrderStreams(
      OrderServiceService unary,
      Function<PlaceOrderRequest, Future<Reply<PlaceOrderResponse>>> place,
      OrderWatches watches,
      EdgeAuth auth,
      OrderClient orders,
      Supplier<Deadline> deadline,
      BulkPlacing bulk) {
    this.unary = unary;
    this.place = place;
    this.bulk = bulk;
    this.watches = watches;
    this.auth = auth;
    this.orders = orders;
    this.deadline = deadline;
  }

  @Override
  public ServiceName name() {
    return OrderServiceGrpcService.SERVICE_NAME;
  }

  @Override
  public Descriptors.ServiceDescriptor descriptor() {
    return OrderServiceGrpcService.SERVICE_DESCRIPTOR;
  }

  @Override
  public void bind(GrpcServer server) {
    OrderServiceGrpcService.builder(unary)
        .bind(OrderServiceGrpcService.GetOrder)
        .build()
        .bind(server);
    server.callHandler(OrderServiceGrpcService.PlaceOrder, this::placeOrder);
    server.callHandler(OrderServiceGrpcService.WatchOrder, this::watchOrder);
    server.callHandler(OrderServiceGrpcService.PlaceOrders, bulk::handle);
  }

  /** What is wrong with {@code id} as an order id, or null. */
  static String idProblem(String id) {
    int length = id.codePointCount(0, id.length());
    if (length < 1 || length > MAX_ID_LENGTH) {
      return "order_id must be 1 to " + MAX_ID_LENGTH + " characters, was " + length;
    }
    for (int i = 0; i < id.length(); i++) {
      if (Character.isISOControl(id.charAt(i))) {
        return "order_id must not contain control characters";
      }
    }
    return null;
  }

  /** As the generated binding does, with the degraded marker added to the response's metadata. */
  private void placeOrder(GrpcServerRequest<PlaceOrderRequest, PlaceOrderResponse> request) {
    request.handler(
        asked ->
            place
                .apply(asked)
                .onComplete(
                    (placed, error) -> {
                      if (error != null) {
                        request.response().fail(error);
                        return;
                      }
                      if (placed.degraded()) {
                        request.response().headers().set(DEGRADED_METADATA, placed.degradedBy());
                      }
                      request.response().end(placed.body());
                    }));
  }

  private void watchOrder(GrpcServerRequest<WatchOrderRequest, WatchOrderResponse> request) {
    request.handler(asked -> watch(request, asked.getOrderId()));
  }

  private void watch(
      GrpcServerRequest<WatchOrderRequest, WatchOrderResponse> request, String orderId) {
    GrpcServerResponse<WatchOrderRequest, WatchOrderResponse> response = request.response();
    String bad = idProblem(orderId);
    if (bad != null) {
      end(response, ServiceError.badField("invalid-request", "orderId", bad).toGrpc());
      return;
    }
    CallerIdentity caller = CallerIdentity.current().orElse(null);
    if (auth != null && !auth.permits(caller, "getOrder")) {
      end(
          response,
          ServiceError.forbidden(
                  "insufficient-scope",
                  "this operation needs the scope '" + auth.scopeOf("getOrder") + "'")
              .toGrpc());
      return;
    }
    Deadline first = deadline.get();
    Context call = Vertx.currentContext();
    OrderWatch watch = new OrderWatch(orderId, call, new GrpcSink(response), watches);
    // The caller cancelled (a reset), its connection closed, or its grpc-timeout passed (the
    // server then answers DEADLINE_EXCEEDED): the watch is released at once.
    Future<Void> ended = GrpcServers.callEnded();
    if (ended != null) {
      ended.onComplete(done -> watch.close());
    }
    response.exceptionHandler(e -> watch.close());
    watch
        .open()
        .recover(
            e ->
                Future.failedFuture(
                    ServiceError.unavailable(
                            "events-unavailable", "the order's events cannot be read now")
                        .failure()))
        .compose(v -> orders.get(orderId, first, caller, RequestedVersion.current().orElse(null)))
        .onComplete(
            found -> {
              if (found.succeeded()) {
                watch.start(found.result().getOrder());
                return;
              }
              watch.close();
              end(
                  response,
                  Problems.forCaller(ServiceError.of(found.cause()), "gRPC WatchOrder").toGrpc());
            });
  }

  /** Ends a stream with {@code status}, unless its caller has gone meanwhile. */
  private static void end(GrpcServerResponse<?, ?> response, StatusException status) {
    try {
      response.status(status.status()).statusMessage(status.message()).end();
    } catch (IllegalStateException gone) {
      LOG.debug("a watch ended after its caller had gone: {}", gone.getMessage());
    }
  }

  /** A WatchOrder response as a watch's sink. */
  private static final class GrpcSink extends OrderWatch.StreamSink {
    private final GrpcServerResponse<WatchOrderRequest, WatchOrderResponse> response;

    GrpcSink(GrpcServerResponse<WatchOrderRequest, WatchOrderResponse> response) {
      super(response);
      this.response = response;
    }

    @Override
    public void write(Order order, boolean last) {
      WatchOrderResponse message = WatchOrderResponse.newBuilder().setOrder(order).build();
      try {
        if (last) {
          response.end(message);
        } else {
          response.write(message);
        }
      } catch (IllegalStateException gone) {
        LOG.debug("a watched state came after its caller had gone: {}", gone.getMessage());
      }
    }

    @Override
    public void fail(String why) {
      end(response, ServiceError.unavailable("events-unavailable", why).toGrpc());
    }
  }
}
