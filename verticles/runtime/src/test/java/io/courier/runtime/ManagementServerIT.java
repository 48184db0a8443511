package io.courier.runtime;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.courier.kafka.embedded.EmbeddedKafkaBroker;
import io.courier.kafka.embedded.SharedKafkaBroker;
import io.courier.runtime.config.ConfigLoader;
import io.courier.runtime.config.CourierConfig;
import io.courier.runtime.kafka.EventConsumer;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpServer;
import io.vertx.core.json.JsonObject;
import io.vertx.servicediscovery.Record;
import io.vertx.servicediscovery.ServiceDiscovery;
import java.net.ConnectException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.NewTopic;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;

/** The per-process management server that Kubernetes' probes and load balancers call. */
@ExtendWith(SharedKafkaBroker.class)
@DisplayName("The management server")
class ManagementServerIT {

  private final HttpClient http =
      HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
  private final List<String> journal = new CopyOnWriteArrayList<>();
  private CourierRuntime runtime;
  private Vertx consul;

  @AfterEach
  void stop() throws Exception {
    if (runtime != null && runtime.state() != CourierRuntime.State.STOPPED) {
      runtime.stop(Duration.ofSeconds(20)).await(30, TimeUnit.SECONDS);
    }
    if (consul != null) {
      consul.close().await(10, TimeUnit.SECONDS);
    }
  }

  @Test
  @Timeout(60)
  @DisplayName("answers probes while running, reports 503 through the quiet period, then closes")
  void shouldTurnUnreadyBeforeAnyRoleStops(EmbeddedKafkaBroker kafka) throws Exception {
    Map<String, String> props = props(kafka, "first,second");
    props.put("courier.shutdown.quietPeriodMs", "1500");
    runtime = CourierRuntime.start(load(props), roles()).await(30, TimeUnit.SECONDS);
    String ready = runtime.endpoints().get("health");
    String base = ready.substring(0, ready.indexOf("/health/ready"));

    HttpResponse<String> up = get(ready);
    assertThat(up.statusCode()).isEqualTo(200);
    assertThat(up.headers().firstValue("Content-Type")).hasValue("application/json");
    assertThat(new JsonObject(up.body()).getString("status")).isEqualTo("UP");
    assertThat(up.body()).contains("role:first", "role:second", "kafka-producer", "lifecycle");
    assertThat(get(base + "/health/live").statusCode()).isEqualTo(200);
    assertThat(get(base + "/health/started").statusCode()).isEqualTo(200);
    assertThat(get(base + "/metrics-nope").statusCode()).isEqualTo(404);
    HttpResponse<String> metrics = get(base + "/metrics");
    assertThat(metrics.statusCode()).isEqualTo(200);
    assertThat(metrics.headers().firstValue("Content-Type").orElse("")).startsWith("text/plain");
    assertThat(metrics.body())
        .contains("jvm_memory_used_bytes{", "jvm_gc_", "process_uptime_seconds")
        .contains("vertx_http_server_requests_total{")
        .contains("vertx_http_server_response_time_seconds_bucket{")
        .contains("le=\"0.005\"", "le=\"5.0\"");
    assertThat(
            http.send(
                    HttpRequest.newBuilder(URI.create(ready))
                        .POST(HttpRequest.BodyPublishers.ofString("{}"))
                        .build(),
                    HttpResponse.BodyHandlers.ofString())
                .statusCode())
        .isEqualTo(405);

    Future<Void> stopping = runtime.stop(Duration.ofSeconds(20));
    HttpResponse<String> draining = get(ready);
    List<String> stoppedWhenUnready = List.copyOf(journal);
    assertThat(draining.statusCode()).isEqualTo(503);
    assertThat(draining.body()).contains("DRAINING");
    assertThat(get(base + "/health/live").statusCode()).isEqualTo(200);
    assertThat(stoppedWhenUnready).containsExactly("start first", "start second");

    stopping.await(30, TimeUnit.SECONDS);
    assertThat(journal).containsExactly("start first", "start second", "stop second", "stop first");
    assertThatThrownBy(() -> get(ready)).isInstanceOf(ConnectException.class);
  }

  @Test
  @Timeout(60)
  @DisplayName(
      "is ready with the Consul backend once the agent has reported a leader, and stays ready,"
          + " degraded, while it is away")
  void shouldFollowTheConsulAgent(EmbeddedKafkaBroker kafka) throws Exception {
    consul = Vertx.vertx();
    AtomicReference<String> leader = new AtomicReference<>("\"\"");
    HttpServer agent =
        consul
            .createHttpServer()
            .requestHandler(
                request -> {
                  if ("/v1/status/leader".equals(request.path())) {
                    request.response().putHeader("Content-Type", "application/json");
                    request.response().end(leader.get());
                  } else {
                    request.response().setStatusCode(404).end();
                  }
                })
            .listen(0, "127.0.0.1")
            .await(10, TimeUnit.SECONDS);
    Map<String, String> props = props(kafka, "first");
    props.put("courier.discovery.backend", "consul");
    props.put("courier.discovery.consulHost", "127.0.0.1");
    props.put("courier.discovery.consulPort", Integer.toString(agent.actualPort()));
    runtime = CourierRuntime.start(load(props), roles()).await(30, TimeUnit.SECONDS);
    String ready = runtime.endpoints().get("health");

    HttpResponse<String> noLeaderYet = get(ready);
    assertThat(noLeaderYet.statusCode()).isEqualTo(503);
    assertThat(check(noLeaderYet, "discovery").getString("status")).isEqualTo("DOWN");
    assertThat(check(noLeaderYet, "discovery").getJsonObject("data").getString("reason"))
        .contains("without a leader");

    leader.set("\"127.0.0.1:8300\"");
    HttpResponse<String> up = get(ready);
    assertThat(up.statusCode()).isEqualTo(200);
    assertThat(check(up, "discovery").getJsonObject("data").getString("leader"))
        .isEqualTo("127.0.0.1:8300");

    leader.set("\"\"");
    HttpResponse<String> noLeader = get(ready);
    assertThat(noLeader.statusCode()).isEqualTo(200);
    assertThat(check(noLeader, "discovery").getString("status")).isEqualTo("UP");
    assertThat(check(noLeader, "discovery").getJsonObject("data").getBoolean("degraded")).isTrue();

    agent.close().await(10, TimeUnit.SECONDS);
    HttpResponse<String> gone = get(ready);
    assertThat(gone.statusCode()).isEqualTo(200);
    assertThat(check(gone, "discovery").getJsonObject("data").getString("consul"))
        .isEqualTo("127.0.0.1:" + agent.actualPort());
    assertThat(check(gone, "discovery").getJsonObject("data").getBoolean("degraded")).isTrue();
  }

  @Test
  @Timeout(90)
  @DisplayName(
      "is ready once each Kafka consumer has its share of the group, and not after one stopped on"
          + " an error")
  void shouldFollowEachKafkaConsumer(EmbeddedKafkaBroker kafka) throws Exception {
    String topic = "readiness-" + UUID.randomUUID();
    String group = "readiness-group-" + UUID.randomUUID();
    try (Admin admin =
        Admin.create(
            Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, kafka.bootstrapServers()))) {
      admin
          .createTopics(List.of(new NewTopic(topic, 2, (short) 1)))
          .all()
          .get(30, TimeUnit.SECONDS);
    }
    AtomicReference<EventConsumer> consumer = new AtomicReference<>();
    Role consuming =
        TestRoles.lifecycle(
            "first",
            (context, vertx) -> {
              consumer.set(
                  context.consumer(
                      context.config().kafka().consumer().withGroupId(group),
                      List.of(topic),
                      event -> Future.succeededFuture()));
              return consumer.get().start();
            },
            () -> consumer.get().stop(Duration.ofSeconds(5)));
    runtime =
        CourierRuntime.start(load(props(kafka, "first")), Map.of("first", consuming))
            .await(60, TimeUnit.SECONDS);
    String ready = runtime.endpoints().get("health");
    String id = "kafka-consumer:" + group;

    HttpResponse<String> up = awaitReadiness(ready, 200, Duration.ofSeconds(30));
    JsonObject joined = check(up, id);
    assertThat(joined.getString("status")).isEqualTo("UP");
    assertThat(joined.getJsonObject("data").getJsonArray("topics").getList())
        .containsExactly(topic);
    assertThat(joined.getJsonObject("data").getInteger("partitions"))
        .as("both partitions of the topic (and its retry topic's, if it exists yet)")
        .isGreaterThanOrEqualTo(2);

    // The poll thread dies as on any error Kafka's client throws: interrupted, poll throws.
    Thread poller =
        Thread.getAllStackTraces().keySet().stream()
            .filter(thread -> thread.getName().equals("courier-consumer-" + group))
            .findFirst()
            .orElseThrow();
    poller.interrupt();
    HttpResponse<String> down = awaitReadiness(ready, 503, Duration.ofSeconds(30));
    JsonObject failed = check(down, id);
    assertThat(failed.getString("status")).isEqualTo("DOWN");
    assertThat(failed.getJsonObject("data").getString("reason"))
        .startsWith("stopped on an error")
        .contains("InterruptException");
    assertThat(check(down, "lifecycle").getString("status")).isEqualTo("UP");
  }

  @Test
  @Timeout(60)
  @DisplayName("is ready with the embedded discovery backend once its registry answers")
  void shouldCheckTheEmbeddedRegistry(EmbeddedKafkaBroker kafka) throws Exception {
    Role registering =
        TestRoles.starting(
            "first",
            (context, vertx) ->
                ServiceDiscovery.create(vertx)
                    .publish(
                        new Record()
                            .setName("readiness-test")
                            .setType("courier-endpoint")
                            .setLocation(
                                new JsonObject().put("host", "127.0.0.1").put("port", 1))));
    runtime =
        CourierRuntime.start(load(props(kafka, "first")), Map.of("first", registering))
            .await(30, TimeUnit.SECONDS);

    HttpResponse<String> up = get(runtime.endpoints().get("health"));

    assertThat(up.statusCode()).isEqualTo(200);
    JsonObject discovery = check(up, "discovery");
    assertThat(discovery.getString("status")).isEqualTo("UP");
    assertThat(discovery.getJsonObject("data").getString("backend")).isEqualTo("embedded");
    assertThat(discovery.getJsonObject("data").getInteger("records"))
        .as("the record the role published")
        .isEqualTo(1);
  }

  @Test
  @Timeout(60)
  @DisplayName(
      "leaves discovery as soon as it starts draining, and stops its roles only once watchers can"
          + " have seen that")
  void shouldDeregisterBeforeAnyRoleStops(EmbeddedKafkaBroker kafka) throws Exception {
    String service = "withdraw-" + UUID.randomUUID();
    AtomicReference<io.courier.discovery.Discovery> lookup = new AtomicReference<>();
    List<Integer> listedAtRoleStop = new CopyOnWriteArrayList<>();
    List<Long> roleStoppedAt = new CopyOnWriteArrayList<>();
    Role registering =
        TestRoles.lifecycle(
            "first",
            (context, vertx) -> {
              lookup.set(new io.courier.discovery.EmbeddedDiscovery(vertx));
              return context.register(service, 4242, "http", Map.of());
            },
            () -> {
              roleStoppedAt.add(System.nanoTime());
              return lookup
                  .get()
                  .resolve(service)
                  .onSuccess(found -> listedAtRoleStop.add(found.size()));
            });
    runtime =
        CourierRuntime.start(load(props(kafka, "first")), Map.of("first", registering))
            .await(30, TimeUnit.SECONDS);
    assertThat(lookup.get().resolve(service).await(10, TimeUnit.SECONDS))
        .as("registered while running")
        .hasSize(1);

    long stopAsked = System.nanoTime();
    runtime.stop(Duration.ofSeconds(20)).await(30, TimeUnit.SECONDS);

    assertThat(listedAtRoleStop).as("instances listed when the role stopped").containsExactly(0);
    assertThat(TimeUnit.NANOSECONDS.toMillis(roleStoppedAt.get(0) - stopAsked))
        .as("the role stopped only after a watch period had passed since deregistration")
        .isGreaterThanOrEqualTo(lookup.get().propagationMs());
  }

  /** Asks {@code /health/ready} until it answers {@code status}, up to {@code deadline}. */
  private HttpResponse<String> awaitReadiness(String ready, int status, Duration deadline)
      throws Exception {
    long end = System.nanoTime() + deadline.toNanos();
    HttpResponse<String> last = get(ready);
    while (last.statusCode() != status && System.nanoTime() < end) {
      CompletableFuture.runAsync(
              () -> {}, CompletableFuture.delayedExecutor(100, TimeUnit.MILLISECONDS))
          .join();
      last = get(ready);
    }
    assertThat(last.statusCode()).as("readiness, last answer " + last.body()).isEqualTo(status);
    return last;
  }

  private static JsonObject check(HttpResponse<String> response, String id) {
    return new JsonObject(response.body())
        .getJsonArray("checks").stream()
            .map(JsonObject.class::cast)
            .filter(c -> id.equals(c.getString("id")))
            .findFirst()
            .orElseThrow(() -> new AssertionError("no check " + id + " in " + response.body()));
  }

  private HttpResponse<String> get(String url) throws Exception {
    return http.send(
        HttpRequest.newBuilder(URI.create(url)).timeout(Duration.ofSeconds(10)).GET().build(),
        HttpResponse.BodyHandlers.ofString());
  }

  private static Map<String, String> props(EmbeddedKafkaBroker kafka, String roles) {
    Map<String, String> props = new HashMap<>();
    props.put("courier.kafka.bootstrapServers", kafka.bootstrapServers());
    props.put("courier.roles", roles);
    props.put("courier.shutdown.drainTimeoutMs", "20000");
    return props;
  }

  private static CourierConfig load(Map<String, String> props) {
    return new ConfigLoader(Map.of(), props, TestRoles.named("first", "second")).load(null);
  }

  private Map<String, Role> roles() {
    return Map.of("first", journalRole("first"), "second", journalRole("second"));
  }

  private Role journalRole(String name) {
    return TestRoles.journaling(name, journal);
  }
}
