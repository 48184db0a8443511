package io.courier.gateway;

import io.courier.codec.flow.Services;
import io.courier.discovery.Discovery;
import io.courier.resilience.InboundPolicy;
import io.courier.runtime.RoleContext;
import io.courier.runtime.security.MutualTls;
import io.courier.service.GrpcClients;
import io.courier.service.GrpcPeer;
import io.courier.service.Policies;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.grpc.client.GrpcClient;
import java.util.List;

/**
 * What one gateway verticle calls: the order service, and the user and inventory services. Stock
 * reads go to the inventory service under their own target, {@value #INVENTORY_READS} (whose policy
 * may hedge them), when the policy file declares it, else under {@code inventory-service}'s.
 */
final class Backends {

  /** The target of the gateway's stock reads (GetStock), apart from the order service's writes. */
  static final String INVENTORY_READS = "inventory-reads";

  final OrderClient orders;
  final GrpcPeer users;

  /** The inventory service, for reads only. */
  final GrpcPeer inventory;

  /** The placements this gateway verticle admits: the {@code inbound} section "gateway". */
  final InboundPolicy admission;

  private final Discovery discovery;
  private final List<GrpcClient> clients;

  private Backends(
      OrderClient orders,
      GrpcPeer users,
      GrpcPeer inventory,
      InboundPolicy admission,
      Discovery discovery,
      List<GrpcClient> clients) {
    this.orders = orders;
    this.users = users;
    this.inventory = inventory;
    this.admission = admission;
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
        policies.grpcPeer(
            discovery,
            Services.INVENTORY,
            policies.hasTarget(INVENTORY_READS) ? INVENTORY_READS : Services.INVENTORY,
            inventory),
        policies.inbound(EdgeAdmission.SERVICE),
        discovery,
        List.of(users, inventory));
  }

  Future<Void> close() {
    discovery.close();
    return Future.all(clients.stream().map(GrpcClient::close).toList()).mapEmpty();
  }
}
