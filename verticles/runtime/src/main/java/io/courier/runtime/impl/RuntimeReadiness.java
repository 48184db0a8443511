package io.courier.runtime.impl;

import io.courier.discovery.Discovery;
import io.courier.runtime.config.CourierConfig;
import io.courier.runtime.health.Readiness;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.internal.VertxInternal;
import io.vertx.core.json.JsonObject;
import io.vertx.core.spi.cluster.ClusterManager;
import io.vertx.ext.healthchecks.HealthChecks;
import io.vertx.ext.healthchecks.Status;
import java.util.List;
import java.util.Set;
import java.util.function.BooleanSupplier;
import java.util.function.Supplier;

/**
 * The checks every process has: its lifecycle, each role deployed, the Kafka producer, cluster
 * membership and the discovery backend for readiness; Vert.x running for liveness.
 */
public final class RuntimeReadiness {

  private final Vertx vertx;
  private final CourierConfig config;
  private final KafkaStages kafka;
  private final Discovery discovery;

  /** Whether the discovery backend has answered since this process started. */
  private volatile boolean discoverySeen;

  /**
   * @param discovery the process's own client of the backend, asked by the discovery check
   */
  public RuntimeReadiness(
      Vertx vertx, CourierConfig config, KafkaStages kafka, Discovery discovery) {
    this.vertx = vertx;
    this.config = config;
    this.kafka = kafka;
    this.discovery = discovery;
  }

  /**
   * @param state the lifecycle state's name, READY when serving
   * @param deployed the roles deployed now
   * @param stopped whether the process has stopped (the one thing liveness fails on)
   */
  public void register(
      Readiness readiness,
      HealthChecks liveness,
      Supplier<String> state,
      Set<String> deployed,
      BooleanSupplier stopped) {
    readiness.register(
        "lifecycle",
        promise ->
            promise.complete(
                "READY".equals(state.get())
                    ? Status.OK()
                    : Status.KO(new JsonObject().put("state", state.get()))));
    for (String name : config.roles()) {
      readiness.register(
          "role:" + name,
          promise ->
              promise.complete(
                  deployed.contains(name)
                      ? Status.OK()
                      : Status.KO(new JsonObject().put("reason", "not deployed"))));
    }
    readiness.register(
        "kafka-producer",
        promise ->
            kafka
                .checkReady()
                .onSuccess(v -> promise.complete(Status.OK()))
                .onFailure(
                    e ->
                        promise.complete(
                            Status.KO(
                                new JsonObject().put("reason", String.valueOf(e.getMessage()))))));
    if (config.cluster().enabled()) {
      readiness.register("cluster", this::checkCluster);
    }
    readiness.register("discovery", this::checkDiscovery);
    liveness.register(
        "vertx",
        Readiness.CHECK_TIMEOUT_MS,
        promise ->
            promise.complete(
                stopped.getAsBoolean()
                    ? Status.KO(new JsonObject().put("state", state.get()))
                    : Status.OK()));
  }

  /** Up while this member is active and in the cluster's member list. */
  private void checkCluster(Promise<Status> promise) {
    ClusterManager cluster = ((VertxInternal) vertx).clusterManager();
    if (cluster == null || !cluster.isActive()) {
      promise.complete(Status.KO(new JsonObject().put("reason", "not a cluster member")));
      return;
    }
    List<String> members = cluster.getNodes();
    promise.complete(
        members.contains(cluster.getNodeId())
            ? Status.OK(new JsonObject().put("members", members.size()))
            : Status.KO(new JsonObject().put("reason", "left the cluster")));
  }

  /**
   * Down until the backend first answers (Consul with a leader, the embedded registry with its
   * records), so a process is not ready before it could register and resolve. Once it has, an
   * outage leaves readiness up and says {@code degraded}: calls go on with the last known
   * instances, and taking every instance out of its Service because discovery is away would turn a
   * discovery outage into a full one. The cluster check says whether this member is still in the
   * cluster.
   */
  private void checkDiscovery(Promise<Status> promise) {
    discovery
        .probe(Readiness.CHECK_TIMEOUT_MS / 2)
        .onSuccess(
            found -> {
              discoverySeen = true;
              promise.complete(Status.OK(found));
            })
        .onFailure(
            e -> {
              JsonObject data = discovery.describe().put("reason", String.valueOf(e.getMessage()));
              promise.complete(
                  discoverySeen ? Status.OK(data.put("degraded", true)) : Status.KO(data));
            });
  }
}
