package io.courier.gateway;

import io.courier.contract.v1.GetOrderRequest;
import io.courier.contract.v1.GetOrderResponse;
import io.courier.contract.v1.OrderServiceGrpcService;
import io.courier.contract.v1.OrderServiceService;
import io.courier.contract.v1.PlaceOrderRequest;
import io.courier.contract.v1.PlaceOrderResponse;
import io.courier.resilience.Deadline;
import io.courier.runtime.RoleContext;
import io.courier.service.CallerIdentity;
import io.courier.service.GrpcServers;
import io.courier.service.ServiceError;
import io.vertx.core.Future;
import io.vertx.core.VerticleBase;
import io.vertx.core.http.HttpServer;
import java.time.Duration;

/**
 * The gateway's gRPC API: {@code courier.v1.OrderService} (PlaceOrder, GetOrder) for gRPC clients,
 * the same operations as the REST API, answered by the order service over the event bus. A
 * request's {@code grpc-timeout} bounds the call; failures become gRPC statuses.
 */
public final class GatewayGrpcVerticle extends VerticleBase {

  private final RoleContext context;
  private Backends backends;
  private HttpServer server;
  private EdgeAuth auth;

  public GatewayGrpcVerticle(RoleContext context) {
    this.context = context;
  }

  @Override
  public Future<?> start() {
    GatewayConfig config = context.config(GatewayConfig.SECTION);
    Duration timeout = Duration.ofMillis(config.requestTimeoutMs());
    return Backends.create(vertx, context)
        .compose(
            created -> {
              backends = created;
              return EdgeAuth.start(vertx, config.auth());
            })
        .compose(
            started -> {
              auth = started;
              OrderServiceService orders =
                  new OrderServiceService() {
                    @Override
                    public Future<PlaceOrderResponse> placeOrder(PlaceOrderRequest request) {
                      CallerIdentity caller = CallerIdentity.current().orElse(null);
                      if (auth != null && !auth.permits(caller, "placeOrder")) {
                        return Future.failedFuture(missingScope("placeOrder"));
                      }
                      return backends
                          .orders
                          .place(request, Deadline.after(timeout), caller)
                          .recover(error -> Future.failedFuture(ServiceError.of(error).toGrpc()));
                    }

                    @Override
                    public Future<GetOrderResponse> getOrder(GetOrderRequest request) {
                      CallerIdentity caller = CallerIdentity.current().orElse(null);
                      if (auth != null && !auth.permits(caller, "getOrder")) {
                        return Future.failedFuture(missingScope("getOrder"));
                      }
                      return backends
                          .orders
                          .get(request.getOrderId(), Deadline.after(timeout), caller)
                          .recover(error -> Future.failedFuture(ServiceError.of(error).toGrpc()));
                    }
                  };
              return GrpcServers.builder(vertx)
                  .host(config.host())
                  .port(config.grpcPort())
                  .service(OrderServiceGrpcService.of(orders))
                  // Identity comes only from a verified token here, never from caller headers.
                  .entryGuard(
                      request ->
                          auth == null
                              ? Future.succeededFuture(null)
                              : auth.admit(request.getHeader("authorization")))
                  .meters(context.meters())
                  .listen();
            })
        .onSuccess(
            listening -> {
              server = listening;
              context.announce(
                  "gateway (gRPC)",
                  context.config(GatewayConfig.SECTION).host() + ":" + listening.actualPort());
            });
  }

  private Throwable missingScope(String operation) {
    return ServiceError.forbidden(
            "insufficient-scope",
            "this operation needs the scope '" + auth.scopeOf(operation) + "'")
        .toGrpc();
  }

  @Override
  public Future<?> stop() {
    if (auth != null) {
      auth.stop();
    }
    Future<Void> closed = server == null ? Future.succeededFuture() : server.shutdown();
    return closed.eventually(() -> backends == null ? Future.succeededFuture() : backends.close());
  }
}
