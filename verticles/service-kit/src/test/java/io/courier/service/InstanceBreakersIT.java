package io.courier.service;

import static org.assertj.core.api.Assertions.assertThat;

import io.courier.codec.flow.Services;
import io.courier.contract.v1.InventoryServiceGrpcService;
import io.courier.contract.v1.InventoryServiceService;
import io.courier.discovery.ConsulStandIn;
import io.courier.discovery.ServiceInstance;
import io.courier.resilience.TargetBreaker;
import io.courier.runtime.metrics.Meters;
import io.courier.runtime.security.MutualTls;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.vertx.circuitbreaker.CircuitBreakerState;
import io.vertx.core.Promise;
import io.vertx.core.http.HttpServer;
import io.vertx.core.json.JsonObject;
import io.vertx.grpc.common.GrpcStatus;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Per-instance breakers with load balancing, on three real gRPC servers found through Consul (the
 * stand-in): one instance starts failing with a retryable status the load balancer's ejection does
 * not count (DEADLINE_EXCEEDED), so only its breaker can take it out. Its breaker opens, it then
 * receives nothing while calls succeed on the other two and the target's own breaker stays closed;
 * once healthy it is probed back (three probes) and receives calls again.
 */
@DisplayName("Per-instance breakers behind the load balancer")
class InstanceBreakersIT extends ConsulPeerFixture {

  @Test
  @Timeout(120)
  @DisplayName(
      "takes a failing instance out through its own breaker, keeps calls succeeding, and probes it"
          + " back")
  void shouldIsolateAndReadmitOneInstance(@TempDir Path dir) throws Exception {
    Meters meters = Meters.of(new PrometheusMeterRegistry(PrometheusConfig.DEFAULT));
    ConsulStandIn consul = new ConsulStandIn(vertx);
    int consulPort = consul.start(0).await(10, TimeUnit.SECONDS);
    AtomicBoolean sick = new AtomicBoolean();
    List<AtomicInteger> served = new ArrayList<>();
    List<String> addresses = new ArrayList<>();
    for (int i = 0; i < 3; i++) {
      AtomicInteger count = new AtomicInteger();
      served.add(count);
      boolean first = i == 0;
      InventoryServiceService inventory =
          PeerTests.inventory(count, () -> first && sick.get(), GrpcStatus.DEADLINE_EXCEEDED);
      HttpServer server =
          GrpcServers.builder(vertx)
              .host("127.0.0.1")
              .port(0)
              .service(InventoryServiceGrpcService.of(inventory))
              .listen()
              .await(10, TimeUnit.SECONDS);
      ServiceInstance registered =
          discovery(consulPort, Duration.ofSeconds(5))
              .register(
                  new ServiceInstance(
                      null,
                      Services.INVENTORY,
                      "127.0.0.1",
                      server.actualPort(),
                      Map.of("role", "inventory-service")))
              .await(10, TimeUnit.SECONDS);
      addresses.add(registered.address());
    }
    String bad = addresses.get(0);

    Path policyFile =
        policyFile(
            dir, "inventory-service", "grpc:inventory-service", 3000, ", \"halfOpenProbes\": 3");
    Policies policies = PeerTests.policies(vertx, policyFile, "order-service", meters);
    GrpcPeer peer =
        policies.grpcPeer(
            discovery(consulPort, Duration.ofSeconds(5)),
            Services.INVENTORY,
            Services.INVENTORY,
            GrpcClients.create(vertx, MutualTls.disabled(), "inventory-service"));

    List<String> badStates = new CopyOnWriteArrayList<>();
    Promise<Void> halfOpen = Promise.promise();
    vertx
        .eventBus()
        .<JsonObject>consumer(
            TargetBreaker.STATE_ADDRESS,
            m -> {
              if (bad.equals(m.body().getString("instance"))) {
                badStates.add(m.body().getString("state"));
                if ("HALF_OPEN".equals(m.body().getString("state"))) {
                  halfOpen.tryComplete();
                }
              }
            })
        .completion()
        .await(5, TimeUnit.SECONDS);

    // Healthy: every instance serves.
    assertThat(calls(peer, 60)).as("failures while healthy").isEmpty();
    assertThat(served).allSatisfy(count -> assertThat(count.get()).isPositive());

    // 1. The first instance fails every call: its breaker opens. Before it does, a call whose
    // five attempts all land on it may fail; that is what the breaker is for.
    sick.set(true);
    int rounds = 0;
    while (peer.breakerStates().get(bad) != CircuitBreakerState.OPEN) {
      calls(peer, 10);
      assertThat(++rounds).as("rounds of 10 calls before the breaker opened").isLessThan(30);
    }

    // 2. While it is open the instance gets nothing, every call succeeds on the other two, and
    // the target's breaker (a third of attempts failing at most) stays closed.
    int badBefore = served.get(0).get();
    List<String> whileOpen = calls(peer, 100);
    assertThat(peer.breakerStates().get(bad))
        .as("still open (else the check below proves nothing)")
        .isEqualTo(CircuitBreakerState.OPEN);
    assertThat(whileOpen).as("failures while the bad instance's breaker was open").isEmpty();
    assertThat(served.get(0).get()).as("calls that reached the bad instance").isEqualTo(badBefore);
    assertThat(peer.policy().breaker().state()).isEqualTo(CircuitBreakerState.CLOSED);

    // 3. Healthy again: after the open duration it is probed (three good probes) and closes.
    sick.set(false);
    halfOpen.future().await(15, TimeUnit.SECONDS);
    rounds = 0;
    List<String> afterwards = new ArrayList<>();
    while (peer.breakerStates().get(bad) != CircuitBreakerState.CLOSED) {
      afterwards.addAll(calls(peer, 10));
      assertThat(++rounds).as("rounds of 10 calls before the breaker closed").isLessThan(30);
    }
    int readmitted = served.get(0).get();
    afterwards.addAll(calls(peer, 60));
    assertThat(afterwards).as("failures after recovery").isEmpty();
    assertThat(served.get(0).get())
        .as("the instance receives calls again")
        .isGreaterThan(readmitted);
    assertThat(badStates).containsExactly("OPEN", "HALF_OPEN", "CLOSED");
    assertThat(
            meters
                .registry()
                .find("courier.resilience.instance.breaker.transitions")
                .tags("target", "inventory-service", "state", "OPEN")
                .counter())
        .isNotNull()
        .satisfies(counter -> assertThat(counter.count()).isEqualTo(1.0));
    assertThat(consul.unknownRequests()).isEmpty();
  }

  /** {@code count} calls, 10 at a time, each under a 3 s deadline; returns the failures. */
  private static List<String> calls(GrpcPeer peer, int count) throws Exception {
    return PeerTests.calls(peer, count, Duration.ofSeconds(3));
  }
}
