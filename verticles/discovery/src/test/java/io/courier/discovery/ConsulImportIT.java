package io.courier.discovery;

import static org.assertj.core.api.Assertions.assertThat;

import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.client.WebClient;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import java.util.function.Predicate;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Services that others registered in Consul, imported into the embedded registry through
 * vertx-service-discovery-bridge-consul, against the Consul stand-in (and a real agent when {@code
 * CONSUL_HTTP_ADDR} is set, see {@link ConsulDiscoveryIT}).
 */
@DisplayName("Importing Consul's services into the embedded registry")
class ConsulImportIT {

  private static final long SCAN_MS = 200;

  private Vertx vertx;
  private ConsulStandIn consul;
  private WebClient http;
  private EmbeddedDiscovery discovery;

  @BeforeEach
  void start() {
    vertx = Vertx.vertx();
    consul = new ConsulStandIn(vertx);
    http = WebClient.create(vertx);
  }

  @AfterEach
  void stop() throws Exception {
    if (discovery != null) {
      discovery.close();
    }
    vertx.close().await(10, TimeUnit.SECONDS);
  }

  @Test
  @Timeout(60)
  @DisplayName(
      "serves healthy Consul instances with their meta as tags beside Courier's own, and follows"
          + " Consul as instances come and go")
  void shouldImportHealthyInstancesAndFollowConsul() throws Exception {
    consul.start(0).await(10, TimeUnit.SECONDS);
    registerInConsul("ledger-1", "ledger", 7001, Map.of("version", "2", "zone", "a"), null);
    // Its TTL check never passed: critical, not imported.
    registerInConsul("ledger-2", "ledger", 7002, Map.of(), "30s");
    discovery = new EmbeddedDiscovery(vertx);
    discovery
        .register(new ServiceInstance("", "ledger", "127.0.0.1", 7100, Map.of("version", "1")))
        .await(10, TimeUnit.SECONDS);

    discovery.importFromConsul("127.0.0.1", consul.port(), "", SCAN_MS).await(10, TimeUnit.SECONDS);

    List<ServiceInstance> ledger = awaitResolved("ledger", found -> found.size() == 2);
    ServiceInstance imported =
        ledger.stream().filter(i -> i.port() == 7001).findFirst().orElseThrow();
    assertThat(imported.host()).isEqualTo("127.0.0.1");
    assertThat(imported.tags())
        .containsEntry("version", "2")
        .containsEntry("zone", "a")
        .containsEntry("source", "consul");
    assertThat(ledger).extracting(ServiceInstance::port).containsExactlyInAnyOrder(7001, 7100);

    registerInConsul("ledger-3", "ledger", 7003, Map.of(), null);
    awaitResolved("ledger", found -> found.size() == 3);
    deregisterInConsul("ledger-1");
    List<ServiceInstance> after =
        awaitResolved(
            "ledger",
            found -> found.size() == 2 && found.stream().noneMatch(i -> i.port() == 7001));
    assertThat(after).extracting(ServiceInstance::port).containsExactlyInAnyOrder(7003, 7100);
    assertThat(consul.unknownRequests()).isEmpty();
  }

  @Test
  @Timeout(60)
  @DisplayName(
      "keeps what it imported while Consul answers errors or garbage, and starts importing once an"
          + " agent that was down at start answers")
  void shouldSurviveConsulFailures() throws Exception {
    int port = io.courier.kafka.embedded.LoopbackPorts.free();
    discovery = new EmbeddedDiscovery(vertx);
    Future<Void> first = discovery.importFromConsul("127.0.0.1", port, "", SCAN_MS);
    assertThat(awaitFailure(first)).isNotNull();

    consul.start(port).await(10, TimeUnit.SECONDS);
    registerInConsul("ledger-1", "ledger", 7001, Map.of(), null);
    awaitResolved("ledger", found -> found.size() == 1);

    consul.fault(ConsulStandIn.Fault.MALFORMED_JSON);
    long reads = consul.catalogReads();
    awaitUntil("three scans against malformed answers", () -> consul.catalogReads() >= reads + 3);
    assertThat(discovery.resolve("ledger").await(10, TimeUnit.SECONDS)).hasSize(1);

    consul.fault(ConsulStandIn.Fault.SERVER_ERROR);
    long failing = consul.catalogReads();
    awaitUntil("three scans against 500s", () -> consul.catalogReads() >= failing + 3);
    assertThat(discovery.resolve("ledger").await(10, TimeUnit.SECONDS)).hasSize(1);

    consul.fault(ConsulStandIn.Fault.NONE);
    registerInConsul("ledger-2", "ledger", 7002, Map.of(), null);
    awaitResolved("ledger", found -> found.size() == 2);
  }

  @Test
  @Timeout(60)
  @DisplayName("sends the ACL token an agent with default-deny ACLs demands")
  void shouldSendTheAclToken() throws Exception {
    consul.start(0).await(10, TimeUnit.SECONDS);
    String token = "acl-" + java.util.UUID.randomUUID();
    consul.requireToken(token);
    registerInConsul("ledger-1", "ledger", 7001, Map.of(), null, token);
    discovery = new EmbeddedDiscovery(vertx);

    assertThat(awaitFailure(discovery.importFromConsul("127.0.0.1", consul.port(), "", SCAN_MS)))
        .isNotNull();
    discovery.close();
    discovery = new EmbeddedDiscovery(vertx);
    discovery
        .importFromConsul("127.0.0.1", consul.port(), token, SCAN_MS)
        .await(10, TimeUnit.SECONDS);
    awaitResolved("ledger", found -> found.size() == 1);
  }

  private void registerInConsul(
      String id, String name, int port, Map<String, String> meta, String ttl) throws Exception {
    registerInConsul(id, name, port, meta, ttl, null);
  }

  /** Registers as another team's agent would; {@code ttl} adds a TTL check that starts critical. */
  private void registerInConsul(
      String id, String name, int port, Map<String, String> meta, String ttl, String token)
      throws Exception {
    JsonObject body =
        new JsonObject()
            .put("ID", id)
            .put("Name", name)
            .put("Address", "127.0.0.1")
            .put("Port", port)
            .put("Meta", new JsonObject(Map.copyOf(meta)));
    if (ttl != null) {
      body.put("Check", new JsonObject().put("CheckID", "check-" + id).put("TTL", ttl));
    }
    var request =
        http.request(HttpMethod.PUT, consul.port(), "127.0.0.1", "/v1/agent/service/register");
    if (token != null) {
      request.putHeader("X-Consul-Token", token);
    }
    assertThat(request.sendJsonObject(body).await(10, TimeUnit.SECONDS).statusCode())
        .isEqualTo(200);
  }

  private void deregisterInConsul(String id) throws Exception {
    assertThat(
            http.request(
                    HttpMethod.PUT,
                    consul.port(),
                    "127.0.0.1",
                    "/v1/agent/service/deregister/" + id)
                .send()
                .await(10, TimeUnit.SECONDS)
                .statusCode())
        .isEqualTo(200);
  }

  private List<ServiceInstance> awaitResolved(String name, Predicate<List<ServiceInstance>> done)
      throws Exception {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
    List<ServiceInstance> found = List.of();
    while (System.nanoTime() < deadline) {
      found = discovery.resolve(name).await(10, TimeUnit.SECONDS);
      if (done.test(found)) {
        return found;
      }
      tick();
    }
    throw new AssertionError("resolve(" + name + ") gave " + found);
  }

  private void awaitUntil(String what, BooleanSupplier condition) throws Exception {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
    while (!condition.getAsBoolean()) {
      if (System.nanoTime() > deadline) {
        throw new AssertionError("not within 20 s: " + what);
      }
      tick();
    }
  }

  /** Waits one scan period on a Vert.x timer. */
  private void tick() throws Exception {
    Promise<Void> tick = Promise.promise();
    vertx.setTimer(SCAN_MS / 2, id -> tick.complete());
    tick.future().await(10, TimeUnit.SECONDS);
  }

  private static Throwable awaitFailure(Future<?> future) throws Exception {
    try {
      future.await(20, TimeUnit.SECONDS);
    } catch (java.util.concurrent.TimeoutException e) {
      throw e;
    } catch (Exception e) {
      return e;
    }
    throw new AssertionError("succeeded: " + future);
  }
}
