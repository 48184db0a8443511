package io.courier.discovery;

import static org.assertj.core.api.Assertions.assertThat;

import com.hazelcast.config.Config;
import com.hazelcast.config.JoinConfig;
import io.vertx.core.Vertx;
import io.vertx.core.VertxOptions;
import io.vertx.core.eventbus.EventBusOptions;
import io.vertx.spi.cluster.hazelcast.ConfigUtil;
import io.vertx.spi.cluster.hazelcast.HazelcastClusterManager;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** The embedded backend across two clustered Vert.x members on 127.0.0.1. */
@DisplayName("The embedded discovery backend")
class EmbeddedDiscoveryIT {

  private final List<Vertx> members = new java.util.ArrayList<>();

  @AfterEach
  void close() throws Exception {
    for (Vertx member : members) {
      member.close().await(30, TimeUnit.SECONDS);
    }
  }

  @Test
  @Timeout(120)
  @DisplayName(
      "shows a registration made on one member to the other, and forgets it on deregistration")
  void shouldShareRegistrationsAcrossCluster() throws Exception {
    String cluster = "discovery-it-" + UUID.randomUUID();
    int p1 = freePort();
    int p2 = freePort();
    Vertx one = clustered(cluster, p1, p1, p2);
    Vertx two = clustered(cluster, p2, p1, p2);
    Discovery onOne = new EmbeddedDiscovery(one);
    Discovery onTwo = new EmbeddedDiscovery(two);

    ServiceInstance registered =
        onOne
            .register(
                new ServiceInstance(
                    null,
                    "inventory-service",
                    "127.0.0.1",
                    9101,
                    Map.of("zone", "a", "version", "1")))
            .await(30, TimeUnit.SECONDS);
    onOne
        .register(new ServiceInstance(null, "user-service", "127.0.0.1", 9102, null))
        .await(30, TimeUnit.SECONDS);

    List<ServiceInstance> seen = onTwo.resolve("inventory-service").await(30, TimeUnit.SECONDS);
    assertThat(registered.id()).isNotBlank();
    assertThat(seen)
        .singleElement()
        .satisfies(
            instance -> {
              assertThat(instance.id()).isEqualTo(registered.id());
              assertThat(instance.address()).isEqualTo("127.0.0.1:9101");
              assertThat(instance.tags()).containsEntry("zone", "a").containsEntry("version", "1");
            });

    onOne.deregister(registered.id()).await(30, TimeUnit.SECONDS);

    assertThat(onTwo.resolve("inventory-service").await(30, TimeUnit.SECONDS)).isEmpty();
    assertThat(onTwo.resolve("user-service").await(30, TimeUnit.SECONDS)).hasSize(1);
    onOne.close();
    onTwo.close();
  }

  @Test
  @Timeout(120)
  @DisplayName("watches a service across the cluster: a registration and its removal arrive")
  void shouldWatchAcrossCluster() throws Exception {
    String cluster = "discovery-watch-" + UUID.randomUUID();
    int p1 = freePort();
    int p2 = freePort();
    Vertx one = clustered(cluster, p1, p1, p2);
    Vertx two = clustered(cluster, p2, p1, p2);
    Discovery onOne = new EmbeddedDiscovery(one);
    Discovery onTwo = new EmbeddedDiscovery(two);
    List<List<ServiceInstance>> updates = new java.util.concurrent.CopyOnWriteArrayList<>();
    Discovery.Watch watch = onTwo.watch("order-service", updates::add);

    ServiceInstance registered =
        onOne
            .register(new ServiceInstance(null, "order-service", "127.0.0.1", 9201, null))
            .await(30, TimeUnit.SECONDS);
    awaitLast(two, updates, list -> list.size() == 1 && list.get(0).port() == 9201);
    onOne.deregister(registered.id()).await(30, TimeUnit.SECONDS);
    awaitLast(two, updates, List::isEmpty);
    watch.close();
    onOne.close();
    onTwo.close();
  }

  @Test
  @Timeout(120)
  @DisplayName(
      "serves a Consul instance that every member imports once, and not the copy of a member that"
          + " left without cleaning up")
  void shouldImportFromConsulOncePerCluster() throws Exception {
    Vertx local = Vertx.vertx();
    members.add(local);
    ConsulStandIn consul = new ConsulStandIn(local);
    consul.start(0).await(10, TimeUnit.SECONDS);
    io.vertx.ext.web.client.WebClient http = io.vertx.ext.web.client.WebClient.create(local);
    assertThat(
            http.put(consul.port(), "127.0.0.1", "/v1/agent/service/register")
                .sendJsonObject(
                    new io.vertx.core.json.JsonObject()
                        .put("ID", "ledger-1")
                        .put("Name", "ledger")
                        .put("Address", "127.0.0.1")
                        .put("Port", 7001))
                .await(10, TimeUnit.SECONDS)
                .statusCode())
        .isEqualTo(200);
    String cluster = "discovery-import-" + UUID.randomUUID();
    int p1 = freePort();
    int p2 = freePort();
    Vertx one = clustered(cluster, p1, p1, p2);
    Vertx two = clustered(cluster, p2, p1, p2);
    EmbeddedDiscovery onOne = new EmbeddedDiscovery(one);
    EmbeddedDiscovery onTwo = new EmbeddedDiscovery(two);
    onOne.importFromConsul("127.0.0.1", consul.port(), "", 200).await(30, TimeUnit.SECONDS);
    onTwo.importFromConsul("127.0.0.1", consul.port(), "", 200).await(30, TimeUnit.SECONDS);
    List<List<ServiceInstance>> updates = new java.util.concurrent.CopyOnWriteArrayList<>();
    Discovery.Watch watch = onOne.watch("ledger", updates::add);
    awaitLast(one, updates, list -> list.size() == 1 && list.get(0).port() == 7001);
    assertThat(
            one.sharedData()
                .getAsyncMap("service.registry")
                .compose(map -> map.size())
                .await(30, TimeUnit.SECONDS))
        .as("records in the cluster's registry: one import per member")
        .isEqualTo(2);

    // Member two goes without closing its discovery: its imported record stays in the map.
    members.remove(two);
    two.close().await(30, TimeUnit.SECONDS);
    assertThat(onOne.resolve("ledger").await(30, TimeUnit.SECONDS)).hasSize(1);
    assertThat(
            http.put(consul.port(), "127.0.0.1", "/v1/agent/service/deregister/ledger-1")
                .send()
                .await(10, TimeUnit.SECONDS)
                .statusCode())
        .isEqualTo(200);
    awaitLast(one, updates, List::isEmpty);
    watch.close();
    onOne.close();
  }

  private static void awaitLast(
      Vertx vertx,
      List<List<ServiceInstance>> updates,
      java.util.function.Predicate<List<ServiceInstance>> condition)
      throws Exception {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
    while (updates.isEmpty() || !condition.test(updates.get(updates.size() - 1))) {
      if (System.nanoTime() > deadline) {
        throw new AssertionError("the watch's updates: " + updates);
      }
      io.vertx.core.Promise<Void> tick = io.vertx.core.Promise.promise();
      vertx.setTimer(100, id -> tick.complete());
      tick.future().await(10, TimeUnit.SECONDS);
    }
  }

  private Vertx clustered(String name, int port, int... memberPorts) throws Exception {
    Config config = ConfigUtil.loadConfig();
    config.setClusterName(name);
    config.setProperty("hazelcast.wait.seconds.before.join", "0");
    config.setProperty("hazelcast.phone.home.enabled", "false");
    config.setProperty("hazelcast.socket.bind.any", "false");
    config.getNetworkConfig().setPort(port).setPortAutoIncrement(false);
    config.getNetworkConfig().getInterfaces().setEnabled(true).addInterface("127.0.0.1");
    JoinConfig join = config.getNetworkConfig().getJoin();
    join.getMulticastConfig().setEnabled(false);
    join.getAutoDetectionConfig().setEnabled(false);
    join.getTcpIpConfig().setEnabled(true);
    for (int member : memberPorts) {
      join.getTcpIpConfig().addMember("127.0.0.1:" + member);
    }
    Vertx vertx =
        Vertx.builder()
            .with(
                new VertxOptions()
                    .setEventBusOptions(
                        new EventBusOptions()
                            .setHost("127.0.0.1")
                            .setClusterPublicHost("127.0.0.1")))
            .withClusterManager(new HazelcastClusterManager(config))
            .buildClustered()
            .await(60, TimeUnit.SECONDS);
    members.add(vertx);
    return vertx;
  }

  private static int freePort() {
    return io.courier.kafka.embedded.LoopbackPorts.free();
  }
}
