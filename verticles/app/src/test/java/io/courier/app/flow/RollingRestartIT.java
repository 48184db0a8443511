package io.courier.app.flow;

import static org.assertj.core.api.Assertions.assertThat;

import io.courier.kafka.embedded.EmbeddedKafkaBroker;
import io.courier.kafka.embedded.SharedKafkaBroker;
import io.vertx.core.json.JsonObject;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.ConsumerGroupDescription;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.common.TopicPartition;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A rolling restart of a three-JVM cluster under steady load, as Kubernetes does it: SIGTERM one
 * process, wait for it to exit, start it again, wait until it is ready, next. Two processes run a
 * gateway; the client routes only to gateways whose {@code /health/ready} answers 200, as a
 * Kubernetes Service does. Clients follow the documented retry behaviour (docs/operations.md,
 * "Rolling upgrades"): a 503 is retried after its Retry-After with the same idempotency key.
 * Nothing else may fail, every process must drain and exit 0, and afterwards no order is lost or
 * applied twice. Each stopped process must also have left cleanly, as seen from outside: every
 * discovery registration it logged deregistered before it left the cluster, the survivors' admin
 * views no longer list it, and each of its Kafka consumer groups has no member left and holds the
 * offsets the process logged as committed on its way out.
 */
@ExtendWith(SharedKafkaBroker.class)
@DisplayName("A rolling restart of three processes under load")
class RollingRestartIT {

  /** The bearer token the load sends (the gateways trust the test cluster's dev key). */
  private volatile String token;

  private static final Logger LOG = LoggerFactory.getLogger(RollingRestartIT.class);
  private static final Path JAR = Path.of(System.getProperty("courier.jar", "target/courier.jar"));
  private static final Path ROOT = Path.of("../..").toAbsolutePath().normalize();
  private static final long RATE_PER_SECOND = Long.getLong("rolling.rate", 10);

  @TempDir Path work;

  private final List<CourierProcess> processes = new ArrayList<>();
  private final HttpClient probe =
      HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();

  @AfterEach
  void stopAll() throws InterruptedException {
    for (CourierProcess process : processes) {
      process.stop();
    }
  }

  @Test
  @Timeout(480)
  @DisplayName("drains each process, exits 0, and fails no request beyond documented retries")
  void shouldRollWithoutFailedRequests(EmbeddedKafkaBroker kafka) throws Exception {
    String run = "r" + UUID.randomUUID().toString().substring(0, 8) + "-";
    FlowSeeds seeds = FlowSeeds.write(work, run, 20, 100, 300);
    int[] hz = {CourierProcess.freePort(), CourierProcess.freePort(), CourierProcess.freePort()};
    Map<String, String> common =
        CourierProcess.clusterEnv("rolling-" + run, hz, kafka.bootstrapServers(), seeds);
    token = FlowClient.adminToken(CourierProcess.keyDir(seeds));
    // What a preStop hook does in Kubernetes: readiness is down for a while before anything stops.
    common.put("COURIER_SHUTDOWN_QUIET_PERIOD_MS", "1500");
    common.put("COURIER_SHUTDOWN_DRAIN_TIMEOUT_MS", "20000");

    Map<String, Member> members = new LinkedHashMap<>();
    members.put(
        "stock", new Member(env(common, hz[2], "user-service,inventory-service,gateway"), true));
    members.put("orders", new Member(env(common, hz[1], "order-service,payment-service"), false));
    members.put("edge", new Member(env(common, hz[0], "gateway,notification-service"), true));
    // One after the other: three JVMs booting at once on two cores starve each other.
    for (Map.Entry<String, Member> member : members.entrySet()) {
      start(member.getKey(), member.getValue());
    }

    Set<String> readyGateways = ConcurrentHashMap.newKeySet();
    AtomicBoolean loadOn = new AtomicBoolean(true);
    ScheduledExecutorService ticker = Executors.newScheduledThreadPool(2);
    ticker.scheduleAtFixedRate(
        () ->
            members.values().stream()
                .filter(m -> m.gateway)
                .forEach(
                    m -> {
                      if (ready(m)) {
                        readyGateways.add(m.gatewayUrl());
                      } else {
                        readyGateways.remove(m.gatewayUrl());
                      }
                    }),
        0,
        200,
        TimeUnit.MILLISECONDS);

    FlowClient.awaitUntil(
        "both gateways seen ready", Duration.ofSeconds(30), () -> readyGateways.size() == 2);
    Map<String, String> orderIds = new ConcurrentHashMap<>();
    Map<String, String> failures = new ConcurrentHashMap<>();
    AtomicInteger retried503 = new AtomicInteger();
    AtomicInteger connectionErrors = new AtomicInteger();
    AtomicLong sent = new AtomicLong();
    ExecutorService clients = Executors.newFixedThreadPool(24);
    List<Future<?>> orders = new ArrayList<>();
    Random random = new Random(11);
    ticker.scheduleAtFixedRate(
        () -> {
          if (!loadOn.get()) {
            return;
          }
          long n = sent.getAndIncrement();
          String key = run + "order-" + n;
          String body =
              FlowClient.orderBody(
                  seeds.userIds().get(random.nextInt(seeds.userIds().size())),
                  List.of(
                      new FlowClient.Line(
                          seeds.skus().get(random.nextInt(seeds.skus().size())),
                          1 + random.nextInt(2))));
          synchronized (orders) {
            orders.add(
                clients.submit(
                    () ->
                        placeWithDocumentedRetries(
                            key,
                            body,
                            readyGateways,
                            orderIds,
                            failures,
                            retried503,
                            connectionErrors)));
          }
        },
        0,
        1000 / RATE_PER_SECOND,
        TimeUnit.MILLISECONDS);

    FlowClient.awaitUntil("load flowing", Duration.ofSeconds(60), () -> orderIds.size() >= 30);
    List<String> table = new ArrayList<>();
    Admin kafkaAdmin =
        Admin.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, kafka.bootstrapServers()));
    for (Map.Entry<String, Member> each : members.entrySet()) {
      String name = each.getKey();
      Member member = each.getValue();
      JsonObject before = adminView(member);
      assertThat(before).as(name + "'s admin view").isNotNull();
      String self = before.getJsonObject("cluster").getString("self");
      Set<String> groups = Set.copyOf(before.getJsonObject("consumers").fieldNames());
      assertThat(groups).as(name + "'s consumer groups").isNotEmpty();
      int acceptedBefore = orderIds.size();
      long begin = System.nanoTime();
      member.process.terminate();
      boolean sawUnready = false;
      while (member.process.process.isAlive()) {
        HttpResponse<String> answer = readiness(member);
        if (answer != null && answer.statusCode() == 503) {
          sawUnready = true;
          assertThat(answer.body()).contains("DRAINING");
          break;
        }
      }
      assertThat(member.process.awaitExit(40)).as(name + " exits").isTrue();
      long drainedMs = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - begin);
      assertThat(sawUnready).as(name + " reported 503 on /health/ready before exiting").isTrue();
      assertThat(member.process.process.exitValue()).as(name + " exit code").isZero();
      List<String> output = member.process.output;
      assertThat(output).anyMatch(l -> l.contains("draining: readiness is down"));
      assertThat(output).anyMatch(l -> l.contains("stopped cleanly"));
      assertThat(indexOf(output, "draining: readiness is down"))
          .as("readiness goes down before any role stops")
          .isLessThan(indexOf(output, "stopping role"));
      long checking = System.nanoTime();
      assertLeftCleanly(name, member, self, groups, members, kafkaAdmin);
      long checkedMs = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - checking);
      start(name, member);
      long restartedMs = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - begin);
      int acceptedAfter = orderIds.size();
      FlowClient.awaitUntil(
          "orders accepted again after restarting " + name,
          Duration.ofSeconds(60),
          () -> orderIds.size() >= acceptedAfter + 20);
      table.add(
          String.format(
              "%-7s drained in %5d ms, left cleanly (checked in %4d ms), back in %6d ms; accepted"
                  + " %d -> %d during",
              name, drainedMs, checkedMs, restartedMs, acceptedBefore, acceptedAfter));
    }
    loadOn.set(false);
    List<Future<?>> all;
    synchronized (orders) {
      all = List.copyOf(orders);
    }
    for (Future<?> each : all) {
      each.get(120, TimeUnit.SECONDS);
    }
    ticker.shutdownNow();
    clients.shutdown();
    kafkaAdmin.close(Duration.ofSeconds(10));
    table.forEach(LOG::info);
    LOG.info(
        "{} orders sent, {} accepted, {} retried after 503, {} connection errors, failures {}",
        sent.get(),
        orderIds.size(),
        retried503.get(),
        connectionErrors.get(),
        failures);
    for (Map.Entry<String, Member> each : members.entrySet()) {
      LOG.info("RSS of {} after the run: {} MB", each.getKey(), rssKb(each.getValue()) / 1024);
    }

    assertThat(failures).as("requests that failed beyond the documented retries").isEmpty();
    assertThat(connectionErrors.get())
        .as("requests that met a closed gateway: readiness must turn it away first")
        .isZero();
    assertThat(orderIds).hasSize(all.size());
    FlowClient client = new FlowClient(members.get("edge").gatewayUrl(), token);
    FlowAudit.verify(client, seeds, orderIds, kafka.bootstrapServers());
    for (CourierProcess process : processes) {
      assertThat(process.stderr).noneMatch(line -> line.contains("has been blocked for"));
    }
  }

  /**
   * What a stopped process left behind, seen from outside: it logged leaving the cluster as the
   * member it was; every registration it logged was deregistered before that; the survivors' admin
   * views no longer list it among members or processes (a killed member would stay listed until
   * Hazelcast's failure detection gives up on it); each of its consumer groups has no member (a
   * consumer that did not leave stays a member for its session timeout, 45 s) and holds exactly the
   * offsets the process logged as committed when its consumer left.
   */
  private void assertLeftCleanly(
      String name,
      Member member,
      String self,
      Set<String> groups,
      Map<String, Member> members,
      Admin kafkaAdmin)
      throws Exception {
    List<String> output = member.process.output;
    int left = indexOf(output, "left the cluster as member " + self);
    assertThat(left).as(name + " logged leaving the cluster").isLessThan(Integer.MAX_VALUE);

    Pattern registered = Pattern.compile("(?<![a-z])registered (\\S+ at \\S+) \\(([^)]+)\\)");
    Map<String, String> registrations = new LinkedHashMap<>();
    for (String line : output) {
      Matcher matcher = registered.matcher(line);
      if (matcher.find()) {
        registrations.put(matcher.group(2), matcher.group(1));
      }
    }
    String roles = member.env.get("COURIER_ROLES");
    if (roles.contains("user-service") || roles.contains("payment-service")) {
      assertThat(registrations).as(name + " registered its endpoints").isNotEmpty();
    }
    registrations.forEach(
        (id, what) ->
            assertThat(indexOf(output, "deregistered " + what + " (" + id + ")"))
                .as(name + " deregistered " + what + " before leaving the cluster")
                .isLessThan(left));

    for (Member survivor : members.values()) {
      if (survivor == member) {
        continue;
      }
      FlowClient.awaitUntil(
          name + " gone from a survivor's view of the cluster",
          Duration.ofSeconds(10),
          () -> {
            JsonObject view = adminView(survivor);
            if (view == null) {
              return false;
            }
            JsonObject cluster = view.getJsonObject("cluster");
            return !cluster.getJsonArray("members").contains(self)
                && cluster.getJsonArray("processes").stream()
                    .map(JsonObject.class::cast)
                    .noneMatch(process -> self.equals(process.getString("member")));
          });
    }

    for (String group : groups) {
      String prefix = "consumer group " + group + " left; committed offsets {";
      String line =
          output.stream()
              .filter(l -> l.contains(prefix))
              .findFirst()
              .orElseThrow(() -> new AssertionError(name + " logged no '" + prefix + "'"));
      Map<TopicPartition, Long> logged = new HashMap<>();
      String entries =
          line.substring(line.indexOf(prefix) + prefix.length(), line.lastIndexOf('}'));
      for (String entry : entries.split(", ")) {
        if (!entry.isBlank()) {
          String[] partitionAndOffset = entry.split("=");
          int dash = partitionAndOffset[0].lastIndexOf('-');
          logged.put(
              new TopicPartition(
                  partitionAndOffset[0].substring(0, dash),
                  Integer.parseInt(partitionAndOffset[0].substring(dash + 1))),
              Long.parseLong(partitionAndOffset[1]));
        }
      }
      assertThat(logged).as(name + ": offsets " + group + " committed").isNotEmpty();
      ConsumerGroupDescription description =
          kafkaAdmin
              .describeConsumerGroups(List.of(group))
              .describedGroups()
              .get(group)
              .get(10, TimeUnit.SECONDS);
      assertThat(description.members())
          .as(name + ": members of " + group + " after it stopped")
          .isEmpty();
      Map<TopicPartition, OffsetAndMetadata> committed =
          kafkaAdmin
              .listConsumerGroupOffsets(group)
              .partitionsToOffsetAndMetadata()
              .get(10, TimeUnit.SECONDS);
      logged.forEach(
          (partition, offset) ->
              assertThat(committed.get(partition))
                  .as(name + ": committed offset of " + group + " on " + partition)
                  .isNotNull()
                  .extracting(OffsetAndMetadata::offset)
                  .isEqualTo(offset));
    }
  }

  /** The member's {@code GET /admin}, or null when it does not answer. */
  private JsonObject adminView(Member member) {
    try {
      HttpResponse<String> answer =
          probe.send(
              HttpRequest.newBuilder(
                      URI.create(
                          "http://127.0.0.1:" + member.env.get("COURIER_ADMIN_PORT") + "/admin"))
                  .timeout(Duration.ofSeconds(5))
                  .build(),
              HttpResponse.BodyHandlers.ofString());
      return answer.statusCode() == 200 ? new JsonObject(answer.body()) : null;
    } catch (IOException e) {
      return null;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return null;
    }
  }

  /**
   * The documented client behaviour: send to a ready gateway; on 503, wait its Retry-After (capped
   * here at 250 ms to keep the test short) and send again with the same idempotency key.
   */
  private void placeWithDocumentedRetries(
      String key,
      String body,
      Set<String> readyGateways,
      Map<String, String> orderIds,
      Map<String, String> failures,
      AtomicInteger retried503,
      AtomicInteger connectionErrors) {
    long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(150);
    int attempt = 0;
    while (System.nanoTime() < end) {
      List<String> gateways = List.copyOf(readyGateways);
      if (gateways.isEmpty()) {
        failures.put(key, "no gateway was ready");
        return;
      }
      String gateway = gateways.get(attempt++ % gateways.size());
      try {
        FlowClient.Placed placed =
            new FlowClient(gateway, token).place(key, body).get(40, TimeUnit.SECONDS);
        if (placed.status() == 202) {
          orderIds.put(key, placed.orderId());
          return;
        }
        if (placed.status() != 503) {
          failures.put(key, placed.status() + " " + placed.body().encode());
          return;
        }
        retried503.incrementAndGet();
      } catch (java.util.concurrent.ExecutionException e) {
        connectionErrors.incrementAndGet();
        LOG.warn("{} via {}: {}", key, gateway, e.getCause().toString());
      } catch (Exception e) {
        failures.put(key, e.toString());
        return;
      }
      pause(250);
    }
    failures.put(key, "not accepted within 150 s");
  }

  private void start(String name, Member member) throws Exception {
    member.process =
        CourierProcess.start(name, JAR, ROOT, ROOT.resolve("conf/cluster.json"), member.env);
    processes.add(member.process);
    LOG.info("{}: {}", name, member.process.awaitReady(120));
    FlowClient.awaitUntil(name + " ready", Duration.ofSeconds(60), () -> ready(member));
  }

  private boolean ready(Member member) {
    HttpResponse<String> answer = readiness(member);
    return answer != null && answer.statusCode() == 200;
  }

  private HttpResponse<String> readiness(Member member) {
    try {
      return probe.send(
          HttpRequest.newBuilder(
                  URI.create(
                      "http://127.0.0.1:"
                          + member.env.get("COURIER_MANAGEMENT_PORT")
                          + "/health/ready"))
              .timeout(Duration.ofSeconds(2))
              .build(),
          HttpResponse.BodyHandlers.ofString());
    } catch (IOException e) {
      return null;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return null;
    }
  }

  private static int indexOf(List<String> lines, String text) {
    for (int i = 0; i < lines.size(); i++) {
      if (lines.get(i).contains(text)) {
        return i;
      }
    }
    return Integer.MAX_VALUE;
  }

  private static Map<String, String> env(Map<String, String> common, int hzPort, String roles)
      throws IOException {
    Map<String, String> env = new HashMap<>(common);
    env.put("COURIER_CLUSTER_PORT", Integer.toString(hzPort));
    env.put("COURIER_ROLES", roles);
    env.put("COURIER_MANAGEMENT_PORT", Integer.toString(CourierProcess.freePort()));
    env.put("COURIER_ADMIN_PORT", Integer.toString(CourierProcess.freePort()));
    env.put("COURIER_GATEWAY_PORT", Integer.toString(CourierProcess.freePort()));
    return env;
  }

  private static long rssKb(Member member) {
    try {
      for (String line :
          Files.readAllLines(Path.of("/proc/" + member.process.process.pid() + "/status"))) {
        if (line.startsWith("VmRSS:")) {
          return Long.parseLong(line.replaceAll("\\D", ""));
        }
      }
    } catch (IOException | NumberFormatException e) {
      LOG.debug("no RSS", e);
    }
    return -1;
  }

  private static void pause(long millis) {
    java.util.concurrent.CompletableFuture.runAsync(
            () -> {},
            java.util.concurrent.CompletableFuture.delayedExecutor(millis, TimeUnit.MILLISECONDS))
        .join();
  }

  /** One process of the cluster: its environment, whether it runs a gateway, its current JVM. */
  private static final class Member {
    final Map<String, String> env;
    final boolean gateway;
    volatile CourierProcess process;

    Member(Map<String, String> env, boolean gateway) {
      this.env = env;
      this.gateway = gateway;
    }

    String gatewayUrl() {
      return "http://127.0.0.1:" + env.get("COURIER_GATEWAY_PORT");
    }
  }
}
