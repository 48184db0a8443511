package io.courier.gateway;

import io.courier.contract.v1.GetOrderRequest;
import io.courier.contract.v1.GetOrderResponse;
import io.courier.contract.v1.OrderServiceGrpcService;
import io.courier.contract.v1.OrderServiceService;
import io.courier.contract.v1.PlaceOrderRequest;
import io.courier.contract.v1.PlaceOrderResponse;
import io.courier.resilience.Deadline;
import io.courier.runtime.RoleContext;
import io.courier.runtime.config.CourierConfig.GatewayConfig;
import io.courier.service.Endpoints;
import io.courier.service.ServiceError;
import io.vertx.core.Future;
import io.vertx.core.VerticleBase;
import io.vertx.core.http.HttpServer;
import java.time.Duration;
import java.util.List;

/**
 * The gateway's gRPC API: {@code courier.v1.OrderService} (PlaceOrder, GetOrder) for gRPC clients,
 * the same operations as the REST API, answered by the order service over the event bus. A
 * request's {@code grpc-timeout} bounds the call; failures become gRPC statuses.
 */
public final class GatewayGrpcVerticle extends VerticleBase {

  private final RoleContext context;
  private Backends backends;
  private HttpServer server;

  public GatewayGrpcVerticle(RoleContext context) {
    this.context = context;
  }

  @Override
  public Future<?> start() {
    GatewayConfig config = context.config().gateway();
    Duration timeout = Duration.ofMillis(config.requestTimeoutMs());
    return Backends.create(vertx, context)
        .compose(
            created -> {
              backends = created;
              OrderServiceService orders =
                  new OrderServiceService() {
                    @Override
                    public Future<PlaceOrderResponse> placeOrder(PlaceOrderRequest request) {
                      return backends
                          .orders
                          .place(request, Deadline.after(timeout))
                          .recover(error -> Future.failedFuture(ServiceError.of(error).toGrpc()));
                    }

                    @Override
                    public Future<GetOrderResponse> getOrder(GetOrderRequest request) {
                      return backends
                          .orders
                          .get(request.getOrderId(), Deadline.after(timeout))
                          .recover(error -> Future.failedFuture(ServiceError.of(error).toGrpc()));
                    }
                  };
              return Endpoints.grpcServer(
                  vertx,
                  config.host(),
                  config.grpcPort(),
                  List.of(OrderServiceGrpcService.of(orders)));
            })
        .onSuccess(
            listening -> {
              server = listening;
              context.announce(
                  "gateway (gRPC)",
                  context.config().gateway().host() + ":" + listening.actualPort());
            });
  }

  @Override
  public Future<?> stop() {
    Future<Void> closed = server == null ? Future.succeededFuture() : server.shutdown();
    return closed.eventually(() -> backends == null ? Future.succeededFuture() : backends.close());
  }
}
