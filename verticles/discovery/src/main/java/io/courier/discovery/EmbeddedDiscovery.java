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

/**
 * The default backend: Vert.x service discovery's registry, which lives in the cluster manager's
 * maps, so every member of a clustered event bus sees every registration. No external server.
 */
public final class EmbeddedDiscovery implements Discovery {

  /** Record type of Courier endpoints. */
  public static final String TYPE = "courier-endpoint";

  /** Metadata key naming the cluster member that registered a record. */
  static final String NODE = "courier.node";

  private final ServiceDiscovery discovery;
  private final ClusterManager cluster;

  public EmbeddedDiscovery(Vertx vertx) {
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
    return discovery.publish(record).map(EmbeddedDiscovery::toInstance);
  }

  @Override
  public Future<Void> deregister(String registrationId) {
    return discovery.unpublish(registrationId);
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

  @Override
  public void close() {
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
