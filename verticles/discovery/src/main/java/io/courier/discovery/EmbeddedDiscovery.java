package io.courier.discovery;

import io.vertx.core.Future;
import io.vertx.core.Handler;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.internal.VertxInternal;
import io.vertx.core.json.JsonObject;
import io.vertx.core.spi.cluster.ClusterManager;
import io.vertx.ext.consul.ConsulClient;
import io.vertx.ext.consul.ConsulClientOptions;
import io.vertx.servicediscovery.Record;
import io.vertx.servicediscovery.ServiceDiscovery;
import io.vertx.servicediscovery.Status;
import io.vertx.servicediscovery.consul.ConsulServiceImporter;
import io.vertx.servicediscovery.spi.ServiceImporter;
import io.vertx.servicediscovery.spi.ServicePublisher;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The default backend: Vert.x service discovery's registry, which lives in the cluster manager's
 * maps, so every member of a clustered event bus sees every registration. No external server.
 *
 * <p>Services that others registered in Consul can be imported into it ({@link #importFromConsul}):
 * vertx-service-discovery-bridge-consul's {@code ConsulServiceImporter} reads Consul's catalog
 * every scan period and keeps one record per healthy Consul instance, which {@link #resolve} serves
 * beside Courier's own registrations.
 */
public final class EmbeddedDiscovery implements Discovery {

  private static final Logger LOG = LoggerFactory.getLogger(EmbeddedDiscovery.class);

  /** Record type of Courier endpoints. */
  public static final String TYPE = "courier-endpoint";

  /** Metadata key naming the cluster member that registered a record. */
  static final String NODE = "courier.node";

  /** Metadata key marking a record the Consul bridge imported; its value is {@value #CONSUL}. */
  static final String SOURCE = "courier.source";

  static final String CONSUL = "consul";

  /** How often a watch reads the registry. */
  static final long WATCH_PERIOD_MS = 1_000;

  private final Vertx vertx;
  private final ServiceDiscovery discovery;
  private final ClusterManager cluster;
  private final Set<Long> watches = ConcurrentHashMap.newKeySet();

  /** This process's registrations: id to {@code name at host:port}, for the log. */
  private final Map<String, String> registered = new ConcurrentHashMap<>();

  private volatile boolean closed;
  private volatile long importRetry = -1;
  private ConsulClient catalogProbe;

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

  /**
   * Starts importing the services registered in the Consul agent at {@code host:port} through
   * vertx-service-discovery-bridge-consul, reading its catalog every {@code scanPeriodMs}; only
   * instances whose every check passes are imported, and one that leaves Consul or fails a check
   * leaves the registry at the next scan. Each member importing stamps its records with itself, so
   * a member that dies takes its imports with it, and {@link #resolve} serves one instance per
   * Consul service id however many members import it. The bridge gives up when Consul does not
   * answer its first read, so the import starts once the catalog answers (tried every scan period);
   * the future tells how the first attempt went.
   *
   * @param aclToken sent as {@code X-Consul-Token}; empty sends none
   */
  public Future<Void> importFromConsul(String host, int port, String aclToken, long scanPeriodMs) {
    JsonObject bridge =
        new JsonObject().put("host", host).put("port", port).put("scan-period", scanPeriodMs);
    ConsulClientOptions options = new ConsulClientOptions().setHost(host).setPort(port);
    if (!aclToken.isBlank()) {
      bridge.put("acl_token", aclToken);
      options.setAclToken(aclToken);
    }
    catalogProbe = ConsulClient.create(vertx, options);
    Promise<Void> first = Promise.promise();
    startImport(bridge, scanPeriodMs, first, new AtomicLong(Long.MIN_VALUE / 2));
    return first.future();
  }

  private void startImport(
      JsonObject bridge, long scanPeriodMs, Promise<Void> first, AtomicLong lastWarning) {
    if (closed) {
      first.tryFail("discovery closed");
      return;
    }
    catalogProbe
        .catalogServices()
        .compose(reachable -> discovery.registerServiceImporter(new StampedImporter(), bridge))
        .onComplete(
            started -> {
              if (started.succeeded()) {
                LOG.info(
                    "importing services from Consul at {}:{} every {} ms",
                    bridge.getString("host"),
                    bridge.getInteger("port"),
                    scanPeriodMs);
                first.tryComplete();
                return;
              }
              first.tryFail(started.cause());
              long now = System.currentTimeMillis();
              if (now - lastWarning.get() >= 60_000) {
                lastWarning.set(now);
                LOG.warn(
                    "cannot read Consul's catalog at {}:{} ({}); importing starts once it answers"
                        + " (reported once a minute)",
                    bridge.getString("host"),
                    bridge.getInteger("port"),
                    started.cause().toString());
              }
              if (!closed) {
                importRetry =
                    vertx.setTimer(
                        scanPeriodMs, t -> startImport(bridge, scanPeriodMs, first, lastWarning));
              }
            });
  }

  /**
   * The Consul bridge, publishing through a publisher that marks each record as imported and by
   * which member.
   */
  private final class StampedImporter implements ServiceImporter {
    private final ConsulServiceImporter bridge = new ConsulServiceImporter();

    @Override
    public void start(
        Vertx vertx, ServicePublisher publisher, JsonObject configuration, Promise<Void> done) {
      bridge.start(
          vertx,
          new ServicePublisher() {
            @Override
            public Future<Record> publish(Record record) {
              return publisher.publish(stamp(record));
            }

            @Override
            public Future<Void> unpublish(String id) {
              return publisher.unpublish(id);
            }

            @Override
            public Future<Record> update(Record record) {
              return publisher.update(stamp(record));
            }
          },
          configuration,
          done);
    }

    @Override
    public void close(Handler<Void> closed) {
      bridge.close(closed);
    }

    private Record stamp(Record record) {
      JsonObject metadata = record.getMetadata() == null ? new JsonObject() : record.getMetadata();
      metadata.put(SOURCE, CONSUL);
      if (cluster != null) {
        metadata.put(NODE, cluster.getNodeId());
      }
      return record.setMetadata(metadata);
    }
  }

  @Override
  public Future<List<ServiceInstance>> resolve(String name) {
    return discovery
        .getRecords(record -> name.equals(record.getName()) && (ours(record) || imported(record)))
        .map(
            records -> {
              // One instance per registration; an imported Consul instance once, however many
              // members import it.
              Map<String, ServiceInstance> instances = new LinkedHashMap<>();
              records.stream()
                  .filter(this::memberAlive)
                  .forEach(
                      record ->
                          instances.putIfAbsent(
                              imported(record)
                                  ? CONSUL + ":" + record.getMetadata().getString("ServiceID")
                                  : record.getRegistration(),
                              imported(record) ? fromConsul(record) : toInstance(record)));
              return List.copyOf(instances.values());
            });
  }

  private static boolean ours(Record record) {
    return TYPE.equals(record.getType());
  }

  private static boolean imported(Record record) {
    return record.getMetadata() != null
        && CONSUL.equals(record.getMetadata().getString(SOURCE))
        && record.getLocation() != null
        && record.getLocation().getValue("port") instanceof Number;
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
    closed = true;
    vertx.cancelTimer(importRetry);
    if (catalogProbe != null) {
      catalogProbe.close();
    }
    watches.forEach(vertx::cancelTimer);
    watches.clear();
    discovery.close();
  }

  /**
   * An imported Consul instance: its address and port, its Consul service meta as tags (where
   * Courier's own Consul registrations keep {@code version} and {@code zone}), and {@code
   * source=consul}.
   */
  private static ServiceInstance fromConsul(Record record) {
    Map<String, String> tags = new HashMap<>();
    Object meta = record.getMetadata().getValue("ServiceMeta");
    if (meta instanceof JsonObject json) {
      json.forEach(entry -> tags.put(entry.getKey(), String.valueOf(entry.getValue())));
    }
    tags.put("source", CONSUL);
    return instance(record, tags);
  }

  /** One of Courier's own registrations: its metadata but the member's id as tags. */
  private static ServiceInstance toInstance(Record record) {
    Map<String, String> tags = new HashMap<>();
    if (record.getMetadata() != null) {
      record
          .getMetadata()
          .forEach(entry -> tags.put(entry.getKey(), String.valueOf(entry.getValue())));
      tags.remove(NODE);
    }
    return instance(record, tags);
  }

  private static ServiceInstance instance(Record record, Map<String, String> tags) {
    return new ServiceInstance(
        record.getRegistration(),
        record.getName(),
        record.getLocation().getString("host"),
        record.getLocation().getInteger("port"),
        tags);
  }
}
