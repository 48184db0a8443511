package io.courier.gateway;

import io.courier.contract.v1.GetOrderRequest;
import io.courier.contract.v1.GetOrderResponse;
import io.courier.contract.v1.OrderServiceService;
import io.courier.contract.v1.PlaceOrderRequest;
import io.courier.contract.v1.PlaceOrderResponse;
import io.courier.resilience.CallRejectedException;
import io.courier.resilience.Deadline;
import io.courier.runtime.RoleContext;
import io.courier.runtime.tracing.SpanDeadline;
import io.courier.service.CallerIdentity;
import io.courier.service.GrpcServers;
import io.courier.service.Reply;
import io.courier.service.RequestedVersion;
import io.courier.service.ServiceError;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.VerticleBase;
import io.vertx.core.http.Http2Settings;
import io.vertx.core.http.HttpServer;
import io.vertx.core.http.HttpServerOptions;
import io.vertx.grpc.common.GrpcLocal;
import java.time.Duration;
import java.time.Instant;
import java.util.concurrent.TimeUnit;

/**
 * The gateway's gRPC API: {@code courier.v1.OrderService} (PlaceOrder, GetOrder) for gRPC clients,
 * the same operations as the REST API, answered by the order service over the event bus. A
 * request's {@code grpc-timeout}, capped by {@code gateway.requestTimeoutMs}, bounds the call and
 * travels on to every service it reaches; failures become gRPC statuses. The REST API's rate limits
 * and buckets apply ({@code gateway.rateLimit}): a call over one gets RESOURCE_EXHAUSTED. The
 * streaming PlaceOrders ({@link BulkPlacing}) places each item like one PlaceOrder.
 */
public final class GatewayGrpcVerticle extends VerticleBase {

  private final RoleContext context;
  private final OrderWatches watches;
  private Backends backends;
  private HttpServer server;
  private EdgeAuth auth;
  private EdgeTls tls;
  private RateLimitHandler limits;

  GatewayGrpcVerticle(RoleContext context, OrderWatches watches) {
    this.context = context;
    this.watches = watches;
  }

  @Override
  public Future<?> start() {
    GatewayConfig config = context.config(GatewayConfig.SECTION);
    Duration timeout = Duration.ofMillis(config.requestTimeoutMs());
    tls = new EdgeTls(vertx, config.tls());
    limits = RateLimitHandler.forGrpc(vertx, config.rateLimit(), context.meters());
    watches.acquire(vertx);
    return Backends.create(vertx, context)
        .compose(
            created -> {
              backends = created;
              return EdgeAuth.start(vertx, config.auth(), context.identity());
            })
        .compose(
            started -> {
              auth = started;
              OrderServiceService orders =
                  new OrderServiceService() {
                    @Override
                    public Future<PlaceOrderResponse> placeOrder(PlaceOrderRequest request) {
                      return place(request, timeout).map(Reply::body);
                    }

                    @Override
                    public Future<GetOrderResponse> getOrder(GetOrderRequest request) {
                      CallerIdentity caller = CallerIdentity.current().orElse(null);
                      if (auth != null && !auth.permits(caller, "getOrder")) {
                        return Future.failedFuture(missingScope("getOrder"));
                      }
                      return backends
                          .orders
                          .get(
                              request.getOrderId(),
                              deadline(timeout),
                              caller,
                              RequestedVersion.current().orElse(null))
                          .recover(
                              error ->
                                  Future.failedFuture(
                                      Problems.forCaller(ServiceError.of(error), "gRPC call")
                                          .toGrpc()));
                    }
                  };
              // The certificate and key are read on a worker; the server takes them from there.
              return vertx
                  .executeBlocking(() -> tls.apply(new HttpServerOptions()), false)
                  .compose(
                      loaded ->
                          listen(
                              config,
                              new OrderStreams(
                                  orders,
                                  request -> place(request, timeout),
                                  watches,
                                  auth,
                                  backends.orders,
                                  () -> deadline(timeout),
                                  new BulkPlacing(
                                      config.bulk(),
                                      auth,
                                      backends.orders,
                                      () -> deadline(timeout),
                                      limits,
                                      context.meters().registry())),
                              loaded));
            })
        .onSuccess(
            listening -> {
              server = listening;
              tls.watch(listening);
              context.announce(
                  "gateway (gRPC)",
                  context.config(GatewayConfig.SECTION).host() + ":" + listening.actualPort());
            });
  }

  /**
   * PlaceOrder on behalf of the call's identity: the order service's answer, and which dependency
   * it answered for from a fallback ({@link OrderStreams} sends it as {@value
   * OrderStreams#DEGRADED_METADATA} metadata); refusals as gRPC statuses.
   */
  private Future<Reply<PlaceOrderResponse>> place(PlaceOrderRequest request, Duration timeout) {
    CallerIdentity caller = CallerIdentity.current().orElse(null);
    if (auth != null && !auth.permits(caller, "placeOrder")) {
      return Future.failedFuture(missingScope("placeOrder"));
    }
    // Under the gateway's admission limit, as at the REST edge: past it, RESOURCE_EXHAUSTED
    // too-many-requests at once, before any call to the order service.
    Promise<Reply<PlaceOrderResponse>> placed = Promise.promise();
    Future<Void> admitted =
        backends.admission.admit(
            () ->
                backends
                    .orders
                    .place(
                        request, deadline(timeout), caller, RequestedVersion.current().orElse(null))
                    .andThen(placed)
                    .transform(EdgeAdmission::sample));
    if (admitted.failed() && admitted.cause() instanceof CallRejectedException) {
      return Future.failedFuture(EdgeAdmission.REFUSED.toGrpc());
    }
    return placed
        .future()
        .recover(
            error ->
                Future.failedFuture(
                    Problems.forCaller(ServiceError.of(error), "gRPC call").toGrpc()));
  }

  /**
   * The gRPC API's server: TLS with the REST API's certificate when {@code gateway.tls} is on, the
   * REST API's idle timeout, at most {@code grpcMaxConcurrentStreams} calls per connection and
   * {@code grpcMaxMessageBytes} per request message.
   */
  private Future<HttpServer> listen(
      GatewayConfig config, OrderStreams orders, HttpServerOptions loaded) {
    return GrpcServers.builder(vertx)
        .host(config.host())
        .port(config.grpcPort())
        .maxMessageBytes(config.grpcMaxMessageBytes())
        .serverOptions(options -> edge(options, loaded, config))
        .service(orders)
        // Identity comes only from a verified token here, never from caller headers; the REST
        // edge's rate limits apply, the one per address before the token is checked.
        .entryGuard(
            request ->
                limits.admitGrpc(
                    request,
                    admitted ->
                        auth == null
                            ? Future.succeededFuture(null)
                            : auth.admit(admitted.getHeader("authorization"))))
        .readiness(context.readiness())
        .grpc(context.config().grpc())
        .meters(context.meters())
        .listen();
  }

  private static HttpServerOptions edge(
      HttpServerOptions options, HttpServerOptions loaded, GatewayConfig config) {
    if (loaded.isSsl()) {
      options
          .setSsl(true)
          .setUseAlpn(true)
          .setKeyCertOptions(loaded.getKeyCertOptions())
          .setEnabledSecureTransportProtocols(loaded.getEnabledSecureTransportProtocols());
      loaded.getEnabledCipherSuites().forEach(options::addEnabledCipherSuite);
    }
    return options
        .setIdleTimeout((int) config.idleTimeoutMs())
        .setIdleTimeoutUnit(TimeUnit.MILLISECONDS)
        .setInitialSettings(
            new Http2Settings().setMaxConcurrentStreams(config.grpcMaxConcurrentStreams()));
  }

  /**
   * The call's deadline: the caller's {@code grpc-timeout} (which the gRPC server keeps on the
   * call's context), capped by {@code gateway.requestTimeoutMs}, which alone applies when the
   * caller sent none. It travels on to the order, user and inventory services, each hop with what
   * is left.
   */
  private static Deadline deadline(Duration cap) {
    Deadline deadline = Deadline.after(cap);
    GrpcLocal call = GrpcLocal.current();
    if (call != null && call.deadline() != null) {
      Duration left = Duration.between(Instant.now(), call.deadline());
      deadline = Deadline.after(left.isNegative() ? Duration.ZERO : left).earliest(deadline);
    }
    SpanDeadline.record(deadline.remaining());
    return deadline;
  }

  private Throwable missingScope(String operation) {
    return ServiceError.forbidden(
            "insufficient-scope",
            "this operation needs the scope '" + auth.scopeOf(operation) + "'")
        .toGrpc();
  }

  @Override
  public Future<?> stop() {
    if (tls != null) {
      tls.stop();
    }
    if (auth != null) {
      auth.stop();
    }
    Future<Void> closed = server == null ? Future.succeededFuture() : server.shutdown();
    return closed
        .eventually(watches::release)
        .eventually(() -> backends == null ? Future.succeededFuture() : backends.close());
  }
}
