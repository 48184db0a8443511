package io.courier.inventory;

import io.courier.codec.Event;
import io.courier.codec.flow.Addresses;
import io.courier.codec.flow.Partitions;
import io.courier.codec.flow.Services;
import io.courier.codec.flow.Topics;
import io.courier.contract.v1.GetStockRequest;
import io.courier.contract.v1.InventoryServiceGrpcService;
import io.courier.contract.v1.LineItem;
import io.courier.contract.v1.Order;
import io.courier.contract.v1.OrderCancelled;
import io.courier.contract.v1.OrderConfirmed;
import io.courier.contract.v1.ReleaseStockRequest;
import io.courier.contract.v1.ReserveStockRequest;
import io.courier.inventory.Inventory.Level;
import io.courier.runtime.RoleContext;
import io.courier.runtime.kafka.EventConsumer;
import io.courier.runtime.kafka.OwnedPartitions;
import io.courier.runtime.kafka.PartitionHandler;
import io.courier.service.GrpcEndpoint;
import io.courier.service.OwnerCalls;
import io.courier.service.PartitionEndpoints;
import io.courier.service.Policies;
import io.courier.service.StateTopics;
import io.vertx.core.Future;
import io.vertx.core.VerticleBase;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Starts the inventory: the seed's SKUs, this instance's share of the stock topic (each partition
 * the group gives it is rebuilt from the seed's SKUs of that partition and their records, then
 * served at that partition's event-bus addresses), the consumer of order outcomes (forwarded to the
 * owners of the order's SKUs), the orphan sweep, then the gRPC service that splits requests among
 * owners (under the {@code inbound."inventory-service"} policy), registered in discovery. Stops in
 * reverse.
 */
public final class InventoryVerticle extends VerticleBase {

  /** The group whose members share the stock topic's partitions. */
  public static final String OWNER_GROUP = InventoryServiceRole.NAME + ".owners";

  private final RoleContext context;
  private StockOwner owner;
  private Map<String, Level> seed;
  private int partitions;
  private Policies policies;
  private StockRouter router;
  private PartitionEndpoints endpoints;
  private OwnedPartitions ownership;
  private OrphanSweep orphans;
  private GrpcEndpoint endpoint;
  private EventConsumer outcomes;
  private long sweep = -1;

  public InventoryVerticle(RoleContext context) {
    this.context = context;
  }

  @Override
  public Future<?> start() {
    InventoryServiceConfig settings = context.config(InventoryServiceConfig.SECTION);
    partitions = context.config().kafka().topics().partitions();
    owner = new StockOwner(partitions);
    router = new StockRouter(vertx, partitions, settings.ownerTimeoutMs());
    endpoints =
        new PartitionEndpoints(vertx)
            .on(
                Addresses.STOCK_RESERVE,
                ReserveStockRequest.class,
                (p, message) -> owner.reserve(p, message.body()))
            .on(
                Addresses.STOCK_UNDO,
                ReserveStockRequest.class,
                (p, message) -> owner.undo(p, message.body()))
            .on(
                Addresses.STOCK_RELEASE,
                ReleaseStockRequest.class,
                (p, message) -> owner.release(p, message.body()))
            .on(
                Addresses.STOCK_COMMIT,
                ReleaseStockRequest.class,
                (p, message) -> owner.commit(p, message.body()))
            .on(
                Addresses.STOCK_GET,
                GetStockRequest.class,
                (p, message) -> owner.get(p, message.body()));
    orphans = new OrphanSweep(vertx, owner, partitions, settings, context.meters());
    return loadSeed(settings)
        .compose(v -> Policies.load(vertx, context))
        .compose(
            loaded -> {
              policies = loaded;
              return ensureTopics();
            })
        .compose(v -> own())
        .compose(v -> consumeOutcomes())
        .compose(v -> serve(settings))
        .onSuccess(
            v -> sweep = vertx.setPeriodic(settings.sweepIntervalMs(), tick -> orphans.sweep()));
  }

  @Override
  public Future<?> stop() {
    Duration drain = Duration.ofMillis(context.config().shutdown().drainTimeoutMs() / 2);
    if (sweep >= 0) {
      vertx.cancelTimer(sweep);
    }
    return (endpoint == null ? Future.<Void>succeededFuture() : endpoint.stop())
        .compose(v -> outcomes == null ? Future.succeededFuture() : outcomes.stop(drain))
        .eventually(() -> ownership == null ? Future.succeededFuture() : ownership.stop(drain))
        .eventually(
            () -> {
              if (policies != null) {
                policies.close();
              }
              return Future.succeededFuture();
            });
  }

  /** For tests: the stock of the partitions this instance serves. */
  StockOwner owner() {
    return owner;
  }

  private Future<Void> loadSeed(InventoryServiceConfig settings) {
    String file = settings.seedFile();
    return vertx
        .fileSystem()
        .readFile(file)
        .map(
            content -> {
              seed = Inventory.seed(content.toString(), file);
              return null;
            });
  }

  private Future<Void> ensureTopics() {
    return StateTopics.ensure(
        vertx, context.kafkaConnection(), context.config().kafka().topics(), Topics.ALL);
  }

  private Future<Void> own() {
    ownership = context.ownership(Topics.STOCK, OWNER_GROUP, new Owner());
    owner.writeThrough(ownership);
    return ownership.start();
  }

  private Future<Void> consumeOutcomes() {
    outcomes =
        context.consumer(
            context.config().kafka().consumer().withGroupId(InventoryServiceRole.CONSUMER_GROUP),
            List.of(Topics.ORDERS),
            this::onOrderEvent);
    return outcomes.start();
  }

  /** A confirmed order's reservation becomes a sale, a cancelled one's goes back: at each owner. */
  private Future<Void> onOrderEvent(Event<?> event) {
    if (event.data() instanceof OrderConfirmed confirmed) {
      return toOwners(Addresses.STOCK_COMMIT, confirmed.getOrder());
    }
    if (event.data() instanceof OrderCancelled cancelled) {
      return toOwners(Addresses.STOCK_RELEASE, cancelled.getOrder());
    }
    return Future.succeededFuture();
  }

  private Future<Void> toOwners(String address, Order order) {
    Map<Integer, ReleaseStockRequest.Builder> parts = new LinkedHashMap<>();
    for (LineItem item : order.getItemsList()) {
      parts
          .computeIfAbsent(
              Partitions.of(item.getSku(), partitions),
              p -> ReleaseStockRequest.newBuilder().setOrderId(order.getId()))
          .addItems(item);
    }
    List<Future<Void>> sent = new ArrayList<>();
    parts.forEach(
        (p, part) -> sent.add(OwnerCalls.send(vertx, Addresses.of(address, p), part.build())));
    return Future.all(sent).mapEmpty();
  }

  /** The gRPC server last: it is registered once the owners can be asked and outcomes applied. */
  private Future<Void> serve(InventoryServiceConfig settings) {
    return GrpcEndpoint.start(
            vertx,
            context,
            policies,
            Services.INVENTORY,
            settings.grpcPort(),
            List.of(InventoryServiceGrpcService.of(router)),
            // Stock is not a user's: every method may be called by the platform itself.
            Set.of())
        .onSuccess(started -> endpoint = started)
        .mapEmpty();
  }

  /** Rebuilds a partition's stock from the seed and its records, serves it, releases it. */
  private final class Owner implements PartitionHandler<Inventory> {

    @Override
    public Inventory rebuilding(int partition) {
      Map<String, Level> mine = new LinkedHashMap<>();
      seed.forEach(
          (sku, level) -> {
            if (Partitions.of(sku, partitions) == partition) {
              mine.put(sku, level);
            }
          });
      return new Inventory(mine);
    }

    @Override
    public void replay(Inventory stock, String key, Event<?> event) {
      stock.replay(key, event);
    }

    @Override
    public Future<Void> serve(int partition, Inventory stock) {
      owner.serve(partition, stock);
      return endpoints.open(partition);
    }

    @Override
    public Future<Void> release(int partition) {
      return endpoints.close(partition).onComplete(done -> owner.release(partition));
    }
  }
}
