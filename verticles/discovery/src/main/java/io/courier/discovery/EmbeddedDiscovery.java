package io.courier.discovery;

import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.internal.VertxInternal;
import io.vertx.core.json.JsonObject;
import io.vertx.core.spi.cluster.ClusterManager;
import io.vertx.servicediscovery.Record;
import io.vertx.servicediscovery.ServiceDiscovery;
import io.vertx.servicediscovery.Status;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The default backend: Vert.x service discovery's registry, which lives in the cluster manager's
 * maps, so every member of a clustered event bus sees every registration. No external server.
 */
public final class EmbeddedDiscovery implements Discovery {

  private static final Logger LOG = LoggerFactory.getLogger(EmbeddedDiscovery.class);

  /** Record type of Courier endpoints. */
  public static final String TYPE = "courier-endpoint";

  /** Metadata key naming the cluster member that registered a record. */
  static final String NODE = "courier.node";

  /** How often a watch reads the registry. */
  static final long WATCH_PERIOD_MS = 1_000;

  private final Vertx vertx;
  private final ServiceDiscovery discovery;
  private final ClusterManager cluster;
  private final Set<Long> watches = ConcurrentHashMap.newKeySet();

  /** This process's registrations: id to {@code name at host:port}, for the log. */
  private final Map<String, String> registered = new ConcurrentHashMap<>();

  public EmbeddedDiscovery(Vertx vertx) {
    this.vertx = vertx;
    this.discovery = ServiceDiscovery.create(vertx);
    this.cluster = vertx instanceof VertxInternal internal ? internal.clusterManager() : null;
  }

  @Override
  public Future<ServiceInstance> register(ServiceInstance instance) {
    Record record =
        new Record()
            .setName(instance.name())
            .setType(TYPE)
            .setStatus(Status.UP)
            .setLocation(new JsonObject().put("host", instance.host()).put("port", instance.port()))
            .setMetadata(new JsonObject(new HashMap<>(instance.tags())));
    if (cluster != null) {
      record.getMetadata().put(NODE, cluster.getNodeId());
    }
    return discovery
        .publish(record)
        .map(EmbeddedDiscovery::toInstance)
        .onSuccess(
            published -> {
              String what = published.name() + " at " + published.host() + ":" + published.port();
              registered.put(published.id(), what);
              LOG.info("registered {} ({})", what, published.id());
            });
  }

  /** Removes the registration; logs it, so an operator sees each instance leave on shutdown. */
  @Override
  public Future<Void> deregister(String registrationId) {
    return discovery
        .unpublish(registrationId)
        .onSuccess(
            v ->
                LOG.info(
                    "deregistered {} ({})",
                    registered.getOrDefault(registrationId, "an instance"),
                    registrationId))
        .onComplete(v -> registered.remove(registrationId));
  }

  @Override
  public Future<List<ServiceInstance>> resolve(String name) {
    return discovery
        .getRecords(record -> TYPE.equals(record.getType()) && name.equals(record.getName()))
        .map(
            records ->
                records.stream()
                    .filter(this::memberAlive)
                    .map(EmbeddedDiscovery::toInstance)
                    .toList());
  }

  /**
   * Whether the member that registered the record is still in the cluster: a member killed without
   * deregistering leaves its records in the shared map, and they must not be served.
   */
  private boolean memberAlive(Record record) {
    if (cluster == null || record.getMetadata() == null) {
      return true;
    }
    String node = record.getMetadata().getString(NODE);
    return node == null || cluster.getNodes().contains(node);
  }

  /**
   * Reads the registry every {@value #WATCH_PERIOD_MS} ms and calls the handler when the instances
   * changed (an empty list included: the registry is the cluster's own, never stale).
   */
  @Override
  public Watch watch(String name, Consumer<List<ServiceInstance>> handler) {
    AtomicReference<List<ServiceInstance>> last = new AtomicReference<>();
    AtomicBoolean closed = new AtomicBoolean();
    Runnable read =
        () ->
            resolve(name)
                .onSuccess(
                    instances -> {
                      if (!closed.get() && !instances.equals(last.getAndSet(instances))) {
                        handler.accept(instances);
                      }
                    });
    read.run();
    long timer = vertx.setPeriodic(WATCH_PERIOD_MS, t -> read.run());
    watches.add(timer);
    return () -> {
      closed.set(true);
      watches.remove(timer);
      vertx.cancelTimer(timer);
    };
  }

  /** One watch period, plus the time a read of the cluster's map takes under load. */
  @Override
  public long propagationMs() {
    return WATCH_PERIOD_MS + 500;
  }

  /** Reads every record of the registry (in the cluster manager's maps when clustered). */
  @Override
  public Future<JsonObject> probe(long timeoutMs) {
    return discovery
        .getRecords(record -> true, true)
        .timeout(timeoutMs, TimeUnit.MILLISECONDS)
        .map(records -> describe().put("records", records.size()));
  }

  @Override
  public JsonObject describe() {
    return new JsonObject().put("backend", "embedded");
  }

  @Override
  public void close() {
    watches.forEach(vertx::cancelTimer);
    watches.clear();
    discovery.close();
  }

  private static ServiceInstance toInstance(Record record) {
    Map<String, String> tags = new HashMap<>();
    if (record.getMetadata() != null) {
      record
          .getMetadata()
          .forEach(
              entry -> {
                if (!NODE.equals(entry.getKey())) {
                  tags.put(entry.getKey(), String.valueOf(entry.getValue()));
                }
              });
    }
    return new ServiceInstance(
        record.getRegistration(),
        record.getName(),
        record.getLocation().getString("host"),
        record.getLocation().getInteger("port"),
        tags);
  }
}
