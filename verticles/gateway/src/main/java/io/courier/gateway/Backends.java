package io.courier.gateway;

import io.courier.codec.flow.Services;
import io.courier.discovery.Discovery;
import io.courier.runtime.RoleContext;
import io.courier.runtime.security.MutualTls;
import io.courier.service.GrpcClients;
import io.courier.service.GrpcPeer;
import io.courier.service.Policies;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.grpc.client.GrpcClient;
import java.util.List;

/** What one gateway verticle calls: the order service, and the user and inventory services. */
final class Backends {

  final OrderClient orders;
  final GrpcPeer users;
  final GrpcPeer inventory;
  private final Discovery discovery;
  private final List<GrpcClient> clients;

  private Backends(
      OrderClient orders,
      GrpcPeer users,
      GrpcPeer inventory,
      Discovery discovery,
      List<GrpcClient> clients) {
    this.orders = orders;
    this.users = users;
    this.inventory = inventory;
    this.discovery = discovery;
    this.clients = clients;
  }

  static Future<Backends> create(Vertx vertx, RoleContext context) {
    return MutualTls.load(vertx, context.config().security().mtls())
        .compose(
            tls ->
                Policies.load(vertx, context)
                    .map(policies -> create(vertx, context, tls, policies)));
  }

  /** One gRPC client per peer role, so each checks that the server it reaches is that role. */
  private static Backends create(
      Vertx vertx, RoleContext context, MutualTls tls, Policies policies) {
    Discovery discovery = context.createDiscovery();
    GrpcClient users = GrpcClients.create(vertx, tls, Services.USER);
    GrpcClient inventory = GrpcClients.create(vertx, tls, Services.INVENTORY);
    return new Backends(
        new OrderClient(vertx, context.config().kafka().topics().partitions()),
        policies.grpcPeer(discovery, Services.USER, Services.USER, users),
        policies.grpcPeer(discovery, Services.INVENTORY, Services.INVENTORY, inventory),
        discovery,
        List.of(users, inventory));
  }

  Future<Void> close() {
    discovery.close();
    return Future.all(clients.stream().map(GrpcClient::close).toList()).mapEmpty();
  }
}
