package io.courier.inventory;

import io.courier.codec.Event;
import io.courier.contract.v1.InventoryServiceGrpcService;
import io.courier.contract.v1.OrderCancelled;
import io.courier.contract.v1.OrderConfirmed;
import io.courier.contract.v1.ReservationStatus;
import io.courier.contract.v1.StockCommitted;
import io.courier.contract.v1.StockReleased;
import io.courier.contract.v1.StockReserved;
import io.courier.discovery.Discovery;
import io.courier.runtime.RoleContext;
import io.courier.runtime.config.CourierConfig.ServicesConfig;
import io.courier.runtime.kafka.EventConsumer;
import io.courier.runtime.kafka.impl.KafkaEventConsumer;
import io.courier.runtime.security.MutualTls;
import io.courier.service.Discoveries;
import io.courier.service.Endpoints;
import io.courier.service.Policies;
import io.courier.service.StateTopics;
import io.courier.service.Topology;
import io.vertx.core.Future;
import io.vertx.core.VerticleBase;
import io.vertx.core.http.HttpServer;
import java.time.Duration;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Starts the inventory: stock from the seed file, reservations replayed from their topic, the gRPC
 * server (under the {@code inbound."inventory-service"} policy, reloaded with the policy file), the
 * consumer of order outcomes (confirmed orders commit their reservation, cancelled ones release
 * it), then the discovery registration. Stops in reverse.
 */
public final class InventoryVerticle extends VerticleBase {

  private static final Logger LOG = LoggerFactory.getLogger(InventoryVerticle.class);

  private final RoleContext context;
  private Discovery discovery;
  private Policies policies;
  private DefaultInventoryService service;
  private HttpServer server;
  private EventConsumer outcomes;
  private String registration;

  public InventoryVerticle(RoleContext context) {
    this.context = context;
  }

  @Override
  public Future<?> start() {
    discovery = Discoveries.create(vertx, context.config().discovery());
    return loadSeed()
        .compose(this::replay)
        .compose(this::startServer)
        .compose(v -> consumeOutcomes())
        .compose(v -> register());
  }

  @Override
  public Future<?> stop() {
    Duration drain = Duration.ofMillis(context.config().shutdown().drainTimeoutMs() / 2);
    Future<Void> deregistered =
        registration == null
            ? Future.succeededFuture()
            : discovery.deregister(registration).recover(e -> Future.succeededFuture());
    return deregistered
        .compose(v -> outcomes == null ? Future.succeededFuture() : outcomes.stop(drain))
        .compose(v -> server == null ? Future.succeededFuture() : server.shutdown())
        .eventually(
            () -> {
              if (policies != null) {
                policies.close();
              }
              discovery.close();
              return Future.succeededFuture();
            });
  }

  /** For tests: the counts of every SKU. */
  DefaultInventoryService service() {
    return service;
  }

  private Future<Inventory> loadSeed() {
    String file = context.config().services().inventory().seedFile();
    return vertx.fileSystem().readFile(file).map(seed -> Inventory.fromSeed(seed.toString(), file));
  }

  private Future<Inventory> replay(Inventory inventory) {
    String servers = context.kafkaBootstrapServers();
    return vertx
        .executeBlocking(
            () -> {
              StateTopics.ensureOrderFlow(servers);
              return StateTopics.replay(
                  servers, Topology.RESERVATIONS_TOPIC, event -> apply(inventory, event));
            },
            false)
        .map(
            count -> {
              LOG.info(
                  "inventory holds {} SKUs and {} reservations ({} records replayed)",
                  inventory.skus(),
                  inventory.reservations(),
                  count);
              return inventory;
            });
  }

  /** Runs on the replaying worker before the inventory is shared; nothing else touches it yet. */
  private static void apply(Inventory inventory, Event<?> event) {
    if (event.data() instanceof StockReserved reserved) {
      inventory.apply(
          reserved.getOrderId(),
          reserved.getItemsList(),
          ReservationStatus.RESERVATION_STATUS_RESERVED);
    } else if (event.data() instanceof StockCommitted committed) {
      inventory.apply(
          committed.getOrderId(),
          committed.getItemsList(),
          ReservationStatus.RESERVATION_STATUS_COMMITTED);
    } else if (event.data() instanceof StockReleased released) {
      inventory.apply(
          released.getOrderId(),
          released.getItemsList(),
          ReservationStatus.RESERVATION_STATUS_RELEASED);
    }
  }

  private Future<Void> startServer(Inventory inventory) {
    ServicesConfig config = context.config().services();
    service = new DefaultInventoryService(inventory, context.publisher());
    return Policies.load(vertx, context.config())
        .compose(
            loaded -> {
              policies = loaded;
              return MutualTls.load(vertx, context.config().security().mtls());
            })
        .compose(
            tls ->
                Endpoints.grpcServer(
                    vertx,
                    tls,
                    InventoryServiceRole.NAME,
                    config.host(),
                    config.inventory().grpcPort(),
                    List.of(InventoryServiceGrpcService.of(service)),
                    policies.inbound(Topology.INVENTORY_SERVICE)))
        .onSuccess(listening -> server = listening)
        .mapEmpty();
  }

  private Future<Void> consumeOutcomes() {
    outcomes =
        new KafkaEventConsumer(
            vertx,
            context.kafkaBootstrapServers(),
            List.of(Topology.ORDERS_TOPIC),
            context.config().kafka().consumer().withGroupId(Topology.INVENTORY_GROUP),
            this::onOrderEvent);
    return outcomes.start();
  }

  private Future<Void> onOrderEvent(Event<?> event) {
    if (event.data() instanceof OrderConfirmed confirmed) {
      return service.commit(confirmed.getOrderId());
    }
    if (event.data() instanceof OrderCancelled cancelled) {
      return service.cancel(cancelled.getOrderId());
    }
    return Future.succeededFuture();
  }

  private Future<Void> register() {
    ServicesConfig config = context.config().services();
    return Endpoints.register(
            discovery,
            Topology.INVENTORY_SERVICE,
            config.reachableHost(),
            server.actualPort(),
            InventoryServiceRole.NAME)
        .onSuccess(
            id -> {
              registration = id;
              context.announce(
                  "inventory-service (gRPC)", config.reachableHost() + ":" + server.actualPort());
            })
        .mapEmpty();
  }
}
