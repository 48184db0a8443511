package io.courier.service;

import static org.assertj.core.api.Assertions.assertThat;

import io.courier.codec.flow.Services;
import io.courier.contract.v1.InventoryServiceGrpcService;
import io.courier.contract.v1.InventoryServiceService;
import io.courier.discovery.EmbeddedDiscovery;
import io.courier.discovery.ServiceInstance;
import io.courier.kafka.embedded.LoopbackPorts;
import io.courier.runtime.CourierVertx;
import io.courier.runtime.config.ClusterConfig;
import io.courier.runtime.security.MutualTls;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpServer;
import io.vertx.core.internal.VertxInternal;
import io.vertx.spi.cluster.hazelcast.HazelcastClusterManager;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The scenario of {@link DiscoveredPeersIT} on the embedded backend: four members of a real
 * Hazelcast cluster on 127.0.0.1, three serving inventory-service over gRPC and registered in the
 * cluster-wide registry, one calling them through a {@link GrpcPeer}. One instance stops gracefully
 * (deregisters, waits the registry's propagation time, then drains), one member is killed
 * (Hazelcast terminated, no deregistration, its server closed): no call may fail, and the killed
 * instance must leave the caller's list once the cluster has dropped the member plus one watch
 * cycle.
 */
@DisplayName("gRPC peers found through the embedded (cluster) registry")
class EmbeddedPeersIT {

  private static final org.slf4j.Logger LOG =
      org.slf4j.LoggerFactory.getLogger(EmbeddedPeersIT.class);

  private final List<Vertx> members = new ArrayList<>();

  @AfterEach
  void close() {
    for (Vertx member : members) {
      try {
        member.close().await(20, TimeUnit.SECONDS);
      } catch (Exception e) {
        // the killed member's Vert.x cannot leave a cluster it already lost
      }
    }
  }

  @Test
  @Timeout(180)
  @DisplayName(
      "spreads calls over three members, loses none when one stops and one is killed, and drops"
          + " the killed one")
  void shouldFollowMembersWithoutFailedCalls() throws Exception {
    String name = "peers-" + UUID.randomUUID();
    List<Integer> ports = new ArrayList<>();
    for (int i = 0; i < 4; i++) {
      ports.add(LoopbackPorts.free());
    }
    List<String> addresses = ports.stream().map(p -> "127.0.0.1:" + p).toList();
    for (int port : ports) {
      members.add(
          CourierVertx.create(
                  new ClusterConfig(
                      true,
                      name,
                      "127.0.0.1",
                      "",
                      port,
                      0,
                      addresses,
                      new ClusterConfig.KubernetesConfig(false, "", "", ""),
                      ""))
              .await(90, TimeUnit.SECONDS));
    }

    List<AtomicInteger> served = new ArrayList<>();
    List<HttpServer> servers = new ArrayList<>();
    List<EmbeddedDiscovery> registries = new ArrayList<>();
    List<ServiceInstance> registrations = new ArrayList<>();
    for (int i = 0; i < 3; i++) {
      Vertx member = members.get(i);
      AtomicInteger count = new AtomicInteger();
      served.add(count);
      InventoryServiceService inventory = PeerTests.inventory(count, () -> false, null);
      HttpServer server =
          GrpcServers.builder(member)
              .host("127.0.0.1")
              .port(0)
              .service(InventoryServiceGrpcService.of(inventory))
              .listen()
              .await(10, TimeUnit.SECONDS);
      servers.add(server);
      EmbeddedDiscovery registry = new EmbeddedDiscovery(member);
      registries.add(registry);
      registrations.add(
          registry
              .register(
                  new ServiceInstance(
                      null,
                      Services.INVENTORY,
                      "127.0.0.1",
                      server.actualPort(),
                      Map.of("role", "inventory-service")))
              .await(10, TimeUnit.SECONDS));
    }

    Vertx caller = members.get(3);
    // The shipped policy's 500 ms attempts and 2 s deadline, relaxed for four cluster members
    // sharing two cores in one JVM: a CPU-starved attempt is not what this test is about.
    Path policyFile = java.nio.file.Files.createTempFile("embedded-peers", ".json");
    java.nio.file.Files.writeString(
        policyFile,
        java.nio.file.Files.readString(Path.of("../../conf/resilience.json"))
            .replace("\"attemptTimeoutMs\": 500", "\"attemptTimeoutMs\": 3000")
            .replace("\"ratio\": 0.2, \"minRetries\": 10", "\"ratio\": 0.5, \"minRetries\": 100"));
    Policies policies = PeerTests.policies(caller, policyFile, "order-service");
    GrpcPeer peer =
        policies.grpcPeer(
            new EmbeddedDiscovery(caller),
            Services.INVENTORY,
            Services.INVENTORY,
            GrpcClients.create(caller, MutualTls.disabled(), "inventory-service"));
    List<String> failures = new java.util.concurrent.CopyOnWriteArrayList<>();

    // 1. All three serve.
    calls(peer, 300, failures);
    assertThat(served).allSatisfy(count -> assertThat(count.get()).isGreaterThan(30));

    // 2. One stops gracefully, under calls, as CourierRuntime.stop does it: deregistered first,
    // its listener kept open for the registry's propagation time, then its server drains.
    LOG.info("phase: graceful stop");
    long propagation = registries.get(0).propagationMs();
    Future<Void> stopping =
        registries
            .get(0)
            .deregister(registrations.get(0).id())
            .compose(v -> members.get(0).timer(propagation, TimeUnit.MILLISECONDS))
            .compose(v -> servers.get(0).shutdown(5, TimeUnit.SECONDS));
    calls(peer, 200, failures);
    stopping.await(10, TimeUnit.SECONDS);
    assertThat(peer.known())
        .as("the caller's list once the stopped instance's propagation time has passed")
        .noneMatch(i -> i.port() == registrations.get(0).port());
    int gracefulAfter = served.get(0).get();
    calls(peer, 100, failures);
    assertThat(served.get(0).get())
        .as("the stopped instance gets nothing once it is gone")
        .isEqualTo(gracefulAfter);

    // 3. A member is killed: Hazelcast terminated without leaving, no deregistration.
    LOG.info("phase: kill");
    long killed = System.nanoTime();
    int killedPort = registrations.get(1).port();
    servers.get(1).close().await(10, TimeUnit.SECONDS);
    ((HazelcastClusterManager) ((VertxInternal) members.get(1)).clusterManager())
        .getHazelcastInstance()
        .getLifecycleService()
        .terminate();
    while (peer.known().stream().anyMatch(i -> i.port() == killedPort)) {
      calls(peer, 10, failures);
      assertThat(TimeUnit.NANOSECONDS.toSeconds(System.nanoTime() - killed))
          .as("the killed member's instance is still listed")
          .isLessThan(60);
    }
    long goneAfterMs = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - killed);
    LOG.info(
        "the killed member's instance left the caller's list after {} ms; served {}",
        goneAfterMs,
        served);
    int survivorBefore = served.get(2).get();
    calls(peer, 100, failures);
    assertThat(served.get(2).get() - survivorBefore)
        .as("every call after that goes to the survivor")
        .isEqualTo(100);
    assertThat(failures).as("calls that failed").isEmpty();
  }

  /** {@code count} calls, 10 at a time, each under a 10 s deadline; failures are collected. */
  private static void calls(GrpcPeer peer, int count, List<String> failures) throws Exception {
    failures.addAll(PeerTests.calls(peer, count, Duration.ofSeconds(10)));
  }
}
