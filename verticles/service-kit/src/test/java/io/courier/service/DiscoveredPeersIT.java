package io.courier.service;

import static org.assertj.core.api.Assertions.assertThat;

import io.courier.codec.flow.Services;
import io.courier.contract.v1.InventoryServiceGrpcService;
import io.courier.contract.v1.InventoryServiceService;
import io.courier.discovery.ConsulDiscovery;
import io.courier.discovery.ConsulStandIn;
import io.courier.discovery.ServiceInstance;
import io.courier.runtime.security.MutualTls;
import io.vertx.core.Future;
import io.vertx.core.http.HttpServer;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Three inventory-service instances on real gRPC servers, registered with the Consul backend (the
 * stand-in) with a 1 s TTL, called by a {@link GrpcPeer} as the order service calls them: calls
 * spread over all three; one stops gracefully (deregisters, then shuts its server down) and one is
 * killed (its TTL stops being refreshed and its server closes at once), while calls go on. No call
 * may fail, and the killed instance must leave the caller's list within its TTL plus one watch
 * cycle.
 */
@DisplayName("gRPC peers found through Consul")
class DiscoveredPeersIT extends ConsulPeerFixture {

  @Test
  @Timeout(120)
  @DisplayName(
      "spreads calls over three instances, loses none when one stops and one is killed, and drops"
          + " the killed one within TTL plus a watch cycle")
  void shouldFollowInstancesWithoutFailedCalls() throws Exception {
    ConsulStandIn consul = new ConsulStandIn(vertx);
    int consulPort = consul.start(0).await(10, TimeUnit.SECONDS);

    List<AtomicInteger> served = new ArrayList<>();
    List<HttpServer> servers = new ArrayList<>();
    List<ConsulDiscovery> registries = new ArrayList<>();
    List<ServiceInstance> registrations = new ArrayList<>();
    for (int i = 0; i < 3; i++) {
      AtomicInteger count = new AtomicInteger();
      served.add(count);
      InventoryServiceService inventory = PeerTests.inventory(count, () -> false, null);
      HttpServer server =
          GrpcServers.builder(vertx)
              .host("127.0.0.1")
              .port(0)
              .service(InventoryServiceGrpcService.of(inventory))
              .listen()
              .await(10, TimeUnit.SECONDS);
      servers.add(server);
      ConsulDiscovery registry = discovery(consulPort, Duration.ofSeconds(1));
      registries.add(registry);
      registrations.add(
          registry
              .register(
                  new ServiceInstance(
                      null,
                      Services.INVENTORY,
                      "127.0.0.1",
                      server.actualPort(),
                      Map.of("role", "inventory-service", "zone", "z" + i)))
              .await(10, TimeUnit.SECONDS));
    }

    Policies policies =
        PeerTests.policies(vertx, Path.of("../../conf/resilience.json"), "order-service");
    GrpcPeer peer =
        policies.grpcPeer(
            discovery(consulPort, Duration.ofSeconds(1)),
            Services.INVENTORY,
            Services.INVENTORY,
            GrpcClients.create(vertx, MutualTls.disabled(), "inventory-service"));
    AtomicInteger failed = new AtomicInteger();
    List<String> failures = new java.util.concurrent.CopyOnWriteArrayList<>();

    // 1. All three serve.
    calls(peer, 300, failed, failures);
    assertThat(served).allSatisfy(count -> assertThat(count.get()).isGreaterThan(30));

    // 2. One stops gracefully, under calls: deregistered first, then its server drains.
    int gracefulBefore = served.get(0).get();
    Future<Void> stopping =
        registries
            .get(0)
            .deregister(registrations.get(0).id())
            .compose(v -> servers.get(0).shutdown(5, TimeUnit.SECONDS));
    calls(peer, 200, failed, failures);
    stopping.await(10, TimeUnit.SECONDS);
    int gracefulAfter = served.get(0).get();
    calls(peer, 100, failed, failures);
    assertThat(served.get(0).get())
        .as("the stopped instance gets nothing once it is gone")
        .isEqualTo(gracefulAfter);
    assertThat(gracefulAfter).isGreaterThanOrEqualTo(gracefulBefore);

    // 3. One is killed: no deregistration, its server gone at once.
    long killed = System.nanoTime();
    registries.get(1).stopRefreshing(registrations.get(1).id());
    servers.get(1).close().await(10, TimeUnit.SECONDS);
    int killedPort = registrations.get(1).port();
    while (peer.known().stream().anyMatch(i -> i.port() == killedPort)) {
      calls(peer, 10, failed, failures);
      assertThat(TimeUnit.NANOSECONDS.toSeconds(System.nanoTime() - killed))
          .as("the killed instance is still listed")
          .isLessThan(10);
    }
    long goneAfterMs = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - killed);
    org.slf4j.LoggerFactory.getLogger(DiscoveredPeersIT.class)
        .info(
            "the killed instance left the caller's list after {} ms; served {}",
            goneAfterMs,
            served);
    // TTL (1 s) + the stand-in's check sweep (0.1 s) + one watch round trip, with slack for a
    // loaded machine; a 1 s poll would also pass, a missing watch would not.
    assertThat(goneAfterMs).as("ms until the killed instance left").isLessThan(5_000);
    int survivorBefore = served.get(2).get();
    calls(peer, 100, failed, failures);
    assertThat(served.get(2).get() - survivorBefore)
        .as("every call after that goes to the survivor")
        .isEqualTo(100);

    assertThat(failures).as("calls that failed").isEmpty();
    assertThat(failed.get()).isZero();
    assertThat(consul.unknownRequests()).isEmpty();
  }

  /** {@code count} calls, 10 at a time, each under a 2 s deadline; failures are collected. */
  private static void calls(GrpcPeer peer, int count, AtomicInteger failed, List<String> failures)
      throws Exception {
    List<String> these = PeerTests.calls(peer, count, Duration.ofSeconds(2));
    failed.addAndGet(these.size());
    failures.addAll(these);
  }
}
