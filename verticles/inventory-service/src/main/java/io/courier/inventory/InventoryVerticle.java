package io.courier.inventory;

import io.courier.codec.Event;
import io.courier.codec.flow.Services;
import io.courier.codec.flow.Topics;
import io.courier.contract.v1.InventoryServiceGrpcService;
import io.courier.contract.v1.OrderCancelled;
import io.courier.contract.v1.OrderConfirmed;
import io.courier.contract.v1.ReservationStatus;
import io.courier.contract.v1.StockCommitted;
import io.courier.contract.v1.StockReleased;
import io.courier.contract.v1.StockReserved;
import io.courier.runtime.RoleContext;
import io.courier.runtime.kafka.EventConsumer;
import io.courier.service.GrpcEndpoint;
import io.courier.service.Policies;
import io.courier.service.StateTopics;
import io.vertx.core.Future;
import io.vertx.core.VerticleBase;
import java.time.Duration;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Starts the inventory: stock from the seed file, reservations replayed from their topic, the
 * consumer of order outcomes (confirmed orders commit their reservation, cancelled ones release
 * it), then the gRPC service (under the {@code inbound."inventory-service"} policy, reloaded with
 * the policy file), registered in discovery. Stops in reverse.
 */
public final class InventoryVerticle extends VerticleBase {

  private static final Logger LOG = LoggerFactory.getLogger(InventoryVerticle.class);

  private final RoleContext context;
  private Policies policies;
  private DefaultInventoryService service;
  private GrpcEndpoint endpoint;
  private EventConsumer outcomes;

  public InventoryVerticle(RoleContext context) {
    this.context = context;
  }

  @Override
  public Future<?> start() {
    return loadSeed()
        .compose(this::replay)
        .compose(this::createService)
        .compose(v -> consumeOutcomes())
        .compose(v -> serve());
  }

  @Override
  public Future<?> stop() {
    Duration drain = Duration.ofMillis(context.config().shutdown().drainTimeoutMs() / 2);
    return (endpoint == null ? Future.<Void>succeededFuture() : endpoint.stop())
        .compose(v -> outcomes == null ? Future.succeededFuture() : outcomes.stop(drain))
        .eventually(
            () -> {
              if (policies != null) {
                policies.close();
              }
              return Future.succeededFuture();
            });
  }

  /** For tests: the counts of every SKU. */
  DefaultInventoryService service() {
    return service;
  }

  private Future<Inventory> loadSeed() {
    String file = context.config(InventoryServiceConfig.SECTION).seedFile();
    return vertx.fileSystem().readFile(file).map(seed -> Inventory.fromSeed(seed.toString(), file));
  }

  private Future<Inventory> replay(Inventory inventory) {
    String servers = context.kafkaBootstrapServers();
    return vertx
        .executeBlocking(
            () -> {
              StateTopics.ensure(servers, Topics.ALL.stream().map(StateTopics::of).toList());
              return StateTopics.replay(
                  servers, Topics.RESERVATIONS, event -> apply(inventory, event));
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

  private Future<Void> createService(Inventory inventory) {
    service = new DefaultInventoryService(inventory, context.publisher());
    return Policies.load(vertx, context).onSuccess(loaded -> policies = loaded).mapEmpty();
  }

  private Future<Void> consumeOutcomes() {
    outcomes =
        context.consumer(
            context.config().kafka().consumer().withGroupId(InventoryServiceRole.CONSUMER_GROUP),
            List.of(Topics.ORDERS),
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

  /** The gRPC server last: it is registered once orders can be reserved and outcomes applied. */
  private Future<Void> serve() {
    return GrpcEndpoint.start(
            vertx,
            context,
            policies,
            Services.INVENTORY,
            context.config(InventoryServiceConfig.SECTION).grpcPort(),
            List.of(InventoryServiceGrpcService.of(service)))
        .onSuccess(started -> endpoint = started)
        .mapEmpty();
  }
}
