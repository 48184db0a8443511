package io.courier.discovery;

import static org.assertj.core.api.Assertions.assertThat;

import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The Consul backend. The registration lifecycle runs against a real Consul agent when {@code
 * CONSUL_HTTP_ADDR} is set ({@code host:port}), else against {@link ConsulStandIn}; the outage and
 * bad-answer tests drive the stand-in, which only it can do.
 */
@DisplayName("The Consul discovery backend")
class ConsulDiscoveryIT {

  private final Vertx vertx = Vertx.vertx();
  private final List<ConsulDiscovery> clients = new ArrayList<>();
  private ConsulStandIn standIn;

  @BeforeEach
  void startStandIn() throws Exception {
    standIn = new ConsulStandIn(vertx);
    standIn.start(0).await(10, TimeUnit.SECONDS);
  }

  @AfterEach
  void close() throws Exception {
    clients.forEach(ConsulDiscovery::close);
    vertx.close().await(30, TimeUnit.SECONDS);
  }

  private ConsulDiscovery client(String host, int port) {
    ConsulDiscovery client =
        new ConsulDiscovery(vertx, host, port, Duration.ofSeconds(1), Duration.ofMinutes(1));
    clients.add(client);
    return client;
  }

  private ConsulDiscovery lifecycleClient() {
    String agent = System.getenv("CONSUL_HTTP_ADDR");
    if (agent == null || agent.isBlank()) {
      return client("127.0.0.1", standIn.port());
    }
    String hostPort = agent.replaceFirst("^https?://", "");
    int colon = hostPort.lastIndexOf(':');
    return client(hostPort.substring(0, colon), Integer.parseInt(hostPort.substring(colon + 1)));
  }

  @Test
  @Timeout(60)
  @DisplayName(
      "lists registered instances, drops one deregistered, and one killed once its TTL lapses")
  void shouldFollowRegistrationLifecycle() throws Exception {
    String service = "inventory-" + UUID.randomUUID();
    List<ConsulDiscovery> instances =
        List.of(lifecycleClient(), lifecycleClient(), lifecycleClient());
    List<ServiceInstance> registered = new ArrayList<>();
    for (int i = 0; i < 3; i++) {
      registered.add(
          instances
              .get(i)
              .register(
                  new ServiceInstance(
                      null, service, "127.0.0.1", 9100 + i, Map.of("zone", "z" + i)))
              .await(10, TimeUnit.SECONDS));
    }
    ConsulDiscovery caller = lifecycleClient();

    assertThat(awaitResolved(caller, service, list -> list.size() == 3))
        .extracting(ServiceInstance::port)
        .containsExactlyInAnyOrder(9100, 9101, 9102);

    instances.get(0).deregister(registered.get(0).id()).await(10, TimeUnit.SECONDS);
    assertThat(caller.resolve(service).await(10, TimeUnit.SECONDS))
        .extracting(ServiceInstance::port)
        .containsExactlyInAnyOrder(9101, 9102);

    instances.get(1).stopRefreshing(registered.get(1).id());
    assertThat(awaitResolved(caller, service, list -> list.size() == 1))
        .singleElement()
        .satisfies(
            instance -> {
              assertThat(instance.port()).isEqualTo(9102);
              assertThat(instance.tags()).containsEntry("zone", "z2");
            });
  }

  @Test
  @Timeout(60)
  @DisplayName(
      "keeps serving known instances while Consul is down; once it is back, they register again")
  void shouldServeCacheDuringOutage() throws Exception {
    ConsulDiscovery discovery = client("127.0.0.1", standIn.port());
    discovery
        .register(new ServiceInstance(null, "users", "127.0.0.1", 9200, null))
        .await(10, TimeUnit.SECONDS);
    assertThat(discovery.resolve("users").await(10, TimeUnit.SECONDS)).hasSize(1);
    int port = standIn.port();

    standIn.stop().await(10, TimeUnit.SECONDS);

    assertThat(discovery.resolve("users").await(10, TimeUnit.SECONDS))
        .extracting(ServiceInstance::port)
        .containsExactly(9200);
    assertThat(discovery.staleAnswers()).isEqualTo(1);
    Throwable unknown =
        discovery
            .resolve("nobody")
            .toCompletionStage()
            .handle((r, e) -> e)
            .toCompletableFuture()
            .get(10, TimeUnit.SECONDS);
    assertThat(unknown).hasMessageStartingWith("cannot resolve nobody from Consul: ");

    // A Consul that comes back empty (a new agent, or one that removed the critical service): the
    // instance registered before the outage registers itself again on its next TTL refresh.
    standIn = new ConsulStandIn(vertx);
    standIn.start(port).await(10, TimeUnit.SECONDS);
    discovery
        .register(new ServiceInstance(null, "users", "127.0.0.1", 9201, null))
        .await(10, TimeUnit.SECONDS);

    assertThat(awaitResolved(discovery, "users", list -> list.size() == 2))
        .extracting(ServiceInstance::port)
        .containsExactlyInAnyOrder(9200, 9201);
  }

  @Test
  @Timeout(60)
  @DisplayName(
      "keeps the last good catalogue when Consul answers 500, malformed JSON, an empty list or entries without fields")
  void shouldKeepLastGoodOnBadAnswers() throws Exception {
    ConsulDiscovery discovery = client("127.0.0.1", standIn.port());
    discovery
        .register(new ServiceInstance(null, "payments", "127.0.0.1", 9300, null))
        .await(10, TimeUnit.SECONDS);
    assertThat(discovery.resolve("payments").await(10, TimeUnit.SECONDS)).hasSize(1);

    long stale = 0;
    for (ConsulStandIn.Fault fault :
        List.of(
            ConsulStandIn.Fault.SERVER_ERROR,
            ConsulStandIn.Fault.MALFORMED_JSON,
            ConsulStandIn.Fault.EMPTY_LIST,
            ConsulStandIn.Fault.MISSING_FIELDS)) {
      standIn.fault(fault);
      assertThat(discovery.resolve("payments").await(10, TimeUnit.SECONDS))
          .as("answer under %s", fault)
          .extracting(ServiceInstance::port)
          .containsExactly(9300);
      assertThat(discovery.staleAnswers()).as("counted under %s", fault).isEqualTo(++stale);
    }
    assertThat(standIn.unknownRequests()).isEmpty();
  }

  /** Resolves until the answer satisfies the condition, or 20 s have passed. */
  private List<ServiceInstance> awaitResolved(
      ConsulDiscovery discovery, String service, Predicate<List<ServiceInstance>> condition)
      throws Exception {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
    List<ServiceInstance> answer = discovery.resolve(service).await(10, TimeUnit.SECONDS);
    while (!condition.test(answer) && System.nanoTime() < deadline) {
      delay(100).await(10, TimeUnit.SECONDS);
      answer = discovery.resolve(service).await(10, TimeUnit.SECONDS);
    }
    return answer;
  }

  private Future<Void> delay(long millis) {
    Promise<Void> promise = Promise.promise();
    vertx.setTimer(millis, id -> promise.complete());
    return promise.future();
  }
}
