package io.courier.gateway;

import io.courier.discovery.Discovery;
import io.courier.runtime.RoleContext;
import io.courier.service.Discoveries;
import io.courier.service.GrpcPeer;
import io.courier.service.Policies;
import io.courier.service.Topology;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.grpc.client.GrpcClient;

/** What one gateway verticle calls: the order service, and the user and inventory services. */
final class Backends {

  final OrderClient orders;
  final GrpcPeer users;
  final GrpcPeer inventory;
  private final Discovery discovery;
  private final GrpcClient grpc;

  private Backends(
      OrderClient orders,
      GrpcPeer users,
      GrpcPeer inventory,
      Discovery discovery,
      GrpcClient grpc) {
    this.orders = orders;
    this.users = users;
    this.inventory = inventory;
    this.discovery = discovery;
    this.grpc = grpc;
  }

  static Future<Backends> create(Vertx vertx, RoleContext context) {
    return Policies.load(vertx, context.config())
        .map(
            policies -> {
              Discovery discovery = Discoveries.create(vertx, context.config().discovery());
              GrpcClient grpc = GrpcClient.client(vertx);
              return new Backends(
                  new OrderClient(vertx, policies.target(Topology.ORDER_TARGET)),
                  policies.grpcPeer(discovery, Topology.USER_SERVICE, Topology.USER_TARGET, grpc),
                  policies.grpcPeer(
                      discovery, Topology.INVENTORY_SERVICE, Topology.INVENTORY_TARGET, grpc),
                  discovery,
                  grpc);
            });
  }

  Future<Void> close() {
    discovery.close();
    return grpc.close();
  }
}
