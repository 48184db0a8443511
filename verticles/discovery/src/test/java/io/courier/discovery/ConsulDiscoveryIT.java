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

  @Test
  @Timeout(90)
  @DisplayName(
      "watches a service with blocking queries: registrations, deregistrations and lapsed TTLs"
          + " arrive within a cycle; a Consul outage changes nothing, and the watch resumes")
  void shouldWatchChanges() throws Exception {
    String service = "watched-" + UUID.randomUUID();
    ConsulDiscovery a = lifecycleClient();
    ConsulDiscovery b = lifecycleClient();
    ConsulDiscovery watcher = lifecycleClient();
    List<List<ServiceInstance>> updates = new java.util.concurrent.CopyOnWriteArrayList<>();
    Discovery.Watch watch = watcher.watch(service, updates::add);

    ServiceInstance first =
        a.register(new ServiceInstance(null, service, "127.0.0.1", 9400, null))
            .await(10, TimeUnit.SECONDS);
    awaitLast(updates, ports -> ports.equals(List.of(9400)));
    ServiceInstance second =
        b.register(new ServiceInstance(null, service, "127.0.0.1", 9401, null))
            .await(10, TimeUnit.SECONDS);
    awaitLast(updates, ports -> ports.equals(List.of(9400, 9401)));
    a.deregister(first.id()).await(10, TimeUnit.SECONDS);
    awaitLast(updates, ports -> ports.equals(List.of(9401)));
    ServiceInstance third =
        a.register(new ServiceInstance(null, service, "127.0.0.1", 9402, null))
            .await(10, TimeUnit.SECONDS);
    awaitLast(updates, ports -> ports.equals(List.of(9401, 9402)));
    // Killed without deregistering: gone once its TTL (1 s) lapses, within one more cycle.
    long killed = System.nanoTime();
    b.stopRefreshing(second.id());
    awaitLast(updates, ports -> ports.equals(List.of(9402)));
    assertThat(TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - killed))
        .as("the killed instance left the watch within TTL plus one cycle")
        .isLessThan(10_000);

    if (System.getenv("CONSUL_HTTP_ADDR") == null) {
      int seen = updates.size();
      int port = standIn.port();
      standIn.stop().await(10, TimeUnit.SECONDS);
      delay(1_500).await(10, TimeUnit.SECONDS);
      assertThat(updates).as("nothing reaches the handler while Consul is away").hasSize(seen);
      assertThat(watcher.staleAnswers())
          .as("failed watch rounds served from the last list, counted")
          .isPositive();
      assertThat(watcher.degraded()).isTrue();
      standIn.start(port).await(10, TimeUnit.SECONDS);
      b.register(new ServiceInstance(null, service, "127.0.0.1", 9403, null))
          .await(10, TimeUnit.SECONDS);
      awaitLast(updates, ports -> ports.equals(List.of(9402, 9403)));
    }
    watch.close();
    int closedAt = updates.size();
    a.register(new ServiceInstance(null, service, "127.0.0.1", 9404, null))
        .await(10, TimeUnit.SECONDS);
    delay(1_500).await(10, TimeUnit.SECONDS);
    assertThat(updates).as("a closed watch hears nothing more").hasSize(closedAt);
  }

  @Test
  @Timeout(60)
  @DisplayName(
      "sends the ACL token and talks TLS to the agent; a wrong token and an untrusted agent fail"
          + " with the agent's refusal")
  void shouldUseAclTokenAndTls() throws Exception {
    io.vertx.core.net.SelfSignedCertificate certificate =
        io.vertx.core.net.SelfSignedCertificate.create("localhost");
    ConsulStandIn secured = new ConsulStandIn(vertx);
    secured.requireToken("s3cr3t-token");
    int port =
        secured
            .start(
                0,
                new io.vertx.core.http.HttpServerOptions()
                    .setSsl(true)
                    .setKeyCertOptions(certificate.keyCertOptions()))
            .await(10, TimeUnit.SECONDS);
    java.util.function.Function<String, ConsulDiscovery> withToken =
        token -> {
          io.vertx.ext.consul.ConsulClientOptions options =
              new io.vertx.ext.consul.ConsulClientOptions()
                  .setHost("localhost")
                  .setPort(port)
                  .setSsl(true)
                  .setVerifyHost(true)
                  .setTrustOptions(certificate.trustOptions())
                  .setAclToken(token);
          ConsulDiscovery client =
              new ConsulDiscovery(vertx, options, Duration.ofSeconds(1), Duration.ofMinutes(1));
          clients.add(client);
          return client;
        };

    ConsulDiscovery good = withToken.apply("s3cr3t-token");
    good.register(new ServiceInstance(null, "secured", "127.0.0.1", 9500, null))
        .await(10, TimeUnit.SECONDS);
    assertThat(good.resolve("secured").await(10, TimeUnit.SECONDS))
        .extracting(ServiceInstance::port)
        .containsExactly(9500);

    Throwable refused =
        withToken
            .apply("wrong")
            .register(new ServiceInstance(null, "secured", "127.0.0.1", 9501, null))
            .toCompletionStage()
            .handle((r, e) -> e)
            .toCompletableFuture()
            .get(10, TimeUnit.SECONDS);
    assertThat(refused).isNotNull().hasMessageContaining("ACL not found");

    ConsulDiscovery untrusting =
        new ConsulDiscovery(
            vertx,
            new io.vertx.ext.consul.ConsulClientOptions()
                .setHost("localhost")
                .setPort(port)
                .setSsl(true)
                .setAclToken("s3cr3t-token"),
            Duration.ofSeconds(1),
            Duration.ofMinutes(1));
    clients.add(untrusting);
    Throwable untrusted =
        untrusting
            .resolve("secured")
            .toCompletionStage()
            .handle((r, e) -> e)
            .toCompletableFuture()
            .get(10, TimeUnit.SECONDS);
    assertThat(untrusted).isNotNull().hasMessageContaining("cannot resolve secured from Consul");
    assertThat(secured.unknownRequests()).isEmpty();
  }

  /** Waits up to 20 s for the last update's sorted ports to satisfy the condition. */
  private void awaitLast(List<List<ServiceInstance>> updates, Predicate<List<Integer>> condition)
      throws Exception {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
    while (true) {
      List<Integer> ports =
          updates.isEmpty()
              ? List.of()
              : updates.get(updates.size() - 1).stream()
                  .map(ServiceInstance::port)
                  .sorted()
                  .toList();
      if (condition.test(ports)) {
        return;
      }
      if (System.nanoTime() > deadline) {
        throw new AssertionError("the watch's last update is " + ports + "; updates: " + updates);
      }
      delay(50).await(10, TimeUnit.SECONDS);
    }
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
