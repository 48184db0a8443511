package io.courier.app.flow;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.IntConsumer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Stateful services scaled out: a three-broker KRaft cluster (replication 3, min ISR 2) and three
 * members from the fat JAR, each running every role of the flow, so three order-service and three
 * inventory-service instances share the orders' and the stock's partitions. Under load, one member
 * is killed (kill -9), then one broker, then a fourth member joins; clients spread their orders
 * over the live gateways and retry a 503 with the same key, as they should. Every answer is 202 or
 * 503 (nothing is answered wrongly while partitions move), the audit finds no order lost or applied
 * twice and the stock exact, each owner handled its share, and the killed member's partitions are
 * served again (the time is logged, for docs/benchmarks.md).
 *
 * <p>{@code -Dscale.profile=ci} (the default) places 240 orders; {@code full} places 2,000.
 */
@DisplayName("Order and inventory services scaled out over three members")
class ScaleOutIT {

  private static final Logger LOG = LoggerFactory.getLogger(ScaleOutIT.class);
  private static final Path JAR = Path.of(System.getProperty("courier.jar", "target/courier.jar"));
  private static final Path ROOT = Path.of("../..").toAbsolutePath().normalize();
  private static final boolean FULL = "full".equals(System.getProperty("scale.profile", "ci"));
  private static final int ORDERS = FULL ? 2_000 : 240;
  private static final int PARTITIONS = 6;
  private static final String ROLES =
      "gateway,user-service,inventory-service,order-service,payment-service,notification-service";

  @TempDir Path work;

  private final List<CourierProcess> processes = new ArrayList<>();
  private final HttpClient probe =
      HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(3)).build();
  private KafkaCluster kafka;

  @AfterEach
  void stopAll() throws Exception {
    for (CourierProcess process : processes) {
      process.stop();
    }
    if (kafka != null) {
      kafka.close();
    }
  }

  /** One member: its environment, its process. */
  static final class Member {
    final String name;
    final Map<String, String> env;
    volatile CourierProcess process;

    Member(String name, Map<String, String> env) {
      this.name = name;
      this.env = env;
    }

    String gateway() {
      return "http://127.0.0.1:" + env.get("COURIER_GATEWAY_PORT");
    }

    String metricsUrl() {
      return "http://127.0.0.1:" + env.get("COURIER_MANAGEMENT_PORT") + "/metrics";
    }
  }

  @Test
  @Timeout(900)
  @DisplayName(
      "loses and duplicates nothing, and answers nothing wrongly, while an owner, a broker and a"
          + " joining member move partitions")
  void shouldScaleOutAndFailOver() throws Exception {
    kafka = KafkaCluster.start(JAR, work.resolve("kafka"), 3);
    String run = "s" + UUID.randomUUID().toString().substring(0, 8) + "-";
    FlowSeeds seeds = FlowSeeds.write(work, run, 20, 60, 400);
    int[] hz = new int[4];
    for (int i = 0; i < hz.length; i++) {
      hz[i] = CourierProcess.freePort();
    }
    Map<String, String> common =
        CourierProcess.clusterEnv("scale-" + run, hz, kafka.bootstrapServers(), seeds);
    common.put("COURIER_KAFKA_TOPICS_PARTITIONS", Integer.toString(PARTITIONS));
    common.put("COURIER_KAFKA_TOPICS_REPLICATION_FACTOR", "3");
    common.put("COURIER_KAFKA_TOPICS_MIN_IN_SYNC_REPLICAS", "2");
    common.put("COURIER_KAFKA_OWNERSHIP_SESSION_TIMEOUT_MS", "6000");
    common.put("COURIER_GATEWAY_INSTANCES", "1");
    common.put("COURIER_ROLES", ROLES);
    List<Member> members = new ArrayList<>();
    for (int i = 0; i < hz.length; i++) {
      Map<String, String> env = new HashMap<>(common);
      env.put("COURIER_CLUSTER_PORT", Integer.toString(hz[i]));
      env.put("COURIER_GATEWAY_PORT", Integer.toString(CourierProcess.freePort()));
      env.put("COURIER_MANAGEMENT_PORT", Integer.toString(CourierProcess.freePort()));
      env.put("COURIER_ADMIN_PORT", Integer.toString(CourierProcess.freePort()));
      // Every member runs the user and inventory gRPC servers: a port of its own each.
      env.put("COURIER_SERVICES_USER_GRPC_PORT", Integer.toString(CourierProcess.freePort()));
      env.put("COURIER_SERVICES_INVENTORY_GRPC_PORT", Integer.toString(CourierProcess.freePort()));
      members.add(new Member("m" + (i + 1), env));
    }
    // One after the other: JVMs booting at once on two cores starve each other.
    for (Member member : members.subList(0, 3)) {
      start(member);
    }
    awaitServed(members.subList(0, 3), "every partition served by the first three members");

    List<Member> live = new CopyOnWriteArrayList<>(members.subList(0, 3));
    String token = FlowClient.adminToken(CourierProcess.keyDir(seeds));
    Map<String, FlowClient> clients = new ConcurrentHashMap<>();
    for (Member member : members) {
      clients.put(member.name, new FlowClient(member.gateway(), token));
    }
    Map<String, String> orderIds = new ConcurrentHashMap<>();
    Map<String, String> wrong = new ConcurrentHashMap<>();
    AtomicInteger accepted = new AtomicInteger();
    AtomicInteger retries = new AtomicInteger();
    ExecutorService load = Executors.newFixedThreadPool(6);
    Random random = new Random(11);
    List<Future<?>> sent = new ArrayList<>();
    // The last quarter is held back until the fourth member has joined and serves partitions, so
    // it is given orders of its own whatever the machine's speed.
    int beforeJoin = ORDERS - ORDERS / 4;
    IntConsumer submit =
        i -> {
          String key = run + "order-" + i;
          List<FlowClient.Line> lines = new ArrayList<>();
          for (int j = 0, n = 1 + random.nextInt(3); j < n; j++) {
            lines.add(
                new FlowClient.Line(
                    seeds.skus().get(random.nextInt(seeds.skus().size())), 1 + random.nextInt(2)));
          }
          String body =
              FlowClient.orderBody(
                  seeds.userIds().get(random.nextInt(seeds.userIds().size())), lines);
          sent.add(
              load.submit(
                  () -> {
                    long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(300);
                    for (int attempt = i; System.nanoTime() < end; attempt++) {
                      Member at = live.get(Math.floorMod(attempt, live.size()));
                      try {
                        FlowClient.Placed placed =
                            clients.get(at.name).place(key, body).get(40, TimeUnit.SECONDS);
                        if (placed.status() == 202) {
                          orderIds.put(key, placed.orderId());
                          accepted.incrementAndGet();
                          return;
                        }
                        if (placed.status() != 503) {
                          wrong.put(key, at.name + ": " + placed.status() + " " + placed.body());
                          return;
                        }
                      } catch (Exception e) {
                        LOG.debug("{} at {} failed: {}", key, at.name, e.toString());
                      }
                      retries.incrementAndGet();
                      pause(200);
                    }
                    wrong.put(key, "never accepted");
                  }));
        };
    for (int i = 0; i < beforeJoin; i++) {
      submit.accept(i);
    }

    FlowClient.awaitUntil(
        "a quarter accepted", Duration.ofSeconds(240), () -> accepted.get() >= ORDERS / 4);
    Map<String, Double> shares = placedBy(members.subList(0, 3));
    LOG.info("orders recorded per owner before the faults: {}", shares);

    Member victim = members.get(1);
    LOG.info("kill -9 of {} at {} accepted", victim.name, accepted.get());
    live.remove(victim);
    long killed = System.nanoTime();
    victim.process.kill();
    awaitServed(live, "the killed member's partitions served again");
    long reServedMs = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - killed);
    LOG.info("partitions of the killed member served again {} ms after the kill", reServedMs);

    FlowClient.awaitUntil(
        "half accepted", Duration.ofSeconds(240), () -> accepted.get() >= ORDERS / 2);
    LOG.info("kill -9 of broker 2 at {} accepted", accepted.get());
    kafka.kill(2);
    int atBrokerKill = accepted.get();
    FlowClient.awaitUntil(
        "orders accepted with a broker down",
        Duration.ofSeconds(240),
        () -> accepted.get() >= Math.min(atBrokerKill + ORDERS / 8, beforeJoin));
    kafka.restart(2);

    Member joining = members.get(3);
    LOG.info("{} joins at {} accepted", joining.name, accepted.get());
    start(joining);
    live.add(joining);
    awaitServed(live, "partitions served over the members after the join");
    double joinedBefore = placedBy(List.of(joining)).get(joining.name);
    for (int i = beforeJoin; i < ORDERS; i++) {
      submit.accept(i);
    }

    for (Future<?> each : sent) {
      each.get(400, TimeUnit.SECONDS);
    }
    load.shutdown();
    LOG.info(
        "{} accepted, {} client retries, partitions served again {} ms after the owner's kill",
        accepted.get(),
        retries.get(),
        reServedMs);
    assertThat(wrong).as("answers other than 202 and 503").isEmpty();
    assertThat(orderIds).hasSize(ORDERS);
    assertThat(shares.values())
        .as("each owner's share of the orders recorded before the faults")
        .allSatisfy(share -> assertThat(share).isBetween(0.15, 0.55));
    assertThat(placedBy(List.of(joining)).get(joining.name))
        .as("the joining member recorded orders of the partitions it was given")
        .isGreaterThan(joinedBefore);

    FlowAudit.verify(clients.get(members.get(0).name), seeds, orderIds, kafka.bootstrapServers());
    for (CourierProcess process : processes) {
      assertThat(process.stderr).noneMatch(line -> line.contains("has been blocked for"));
      assertThat(process.output).noneMatch(line -> line.contains("has been blocked for"));
    }
  }

  private void start(Member member) throws Exception {
    CourierProcess process =
        CourierProcess.start(member.name, JAR, ROOT, ROOT.resolve("conf/cluster.json"), member.env);
    processes.add(process);
    member.process = process;
    LOG.info("{}: {}", member.name, process.awaitReady(180));
  }

  /** Waits until {@code members} serve every partition of both state topics between them. */
  private void awaitServed(List<Member> members, String what) {
    FlowClient.awaitUntil(
        what,
        Duration.ofSeconds(120),
        () ->
            served(members, "group=\"order-service.owners\"") == PARTITIONS
                && served(members, "group=\"inventory-service.owners\"") == PARTITIONS);
  }

  /** Partitions the members serve between them in the ownership group of {@code label}. */
  private double served(List<Member> members, String label) {
    double total = 0;
    for (Member member : members) {
      for (String line : scrapeOrEmpty(member).split("\n")) {
        if (line.startsWith("courier_ownership_partitions{") && line.contains(label)) {
          total += Double.parseDouble(line.substring(line.lastIndexOf(' ') + 1));
        }
      }
    }
    return total;
  }

  /** Orders recorded by each member as owner (the whole count for one member, else the share). */
  private Map<String, Double> placedBy(List<Member> members) {
    Map<String, Double> placed = new LinkedHashMap<>();
    double total = 0;
    for (Member member : members) {
      double count = sum(scrapeOrEmpty(member), "courier_order_placed_total");
      placed.put(member.name, count);
      total += count;
    }
    if (members.size() > 1 && total > 0) {
      double all = total;
      placed.replaceAll((name, count) -> count / all);
    }
    return placed;
  }

  private String scrapeOrEmpty(Member member) {
    try {
      HttpResponse<String> answer =
          probe.send(
              HttpRequest.newBuilder(URI.create(member.metricsUrl()))
                  .timeout(Duration.ofSeconds(5))
                  .build(),
              HttpResponse.BodyHandlers.ofString());
      return answer.statusCode() == 200 ? answer.body() : "";
    } catch (IOException e) {
      return "";
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return "";
    }
  }

  private static double sum(String metrics, String name) {
    double total = 0;
    for (String line : metrics.split("\n")) {
      if (line.startsWith(name + " ") || line.startsWith(name + "{")) {
        total += Double.parseDouble(line.substring(line.lastIndexOf(' ') + 1));
      }
    }
    return total;
  }

  private static void pause(long millis) {
    CompletableFuture.runAsync(
            () -> {}, CompletableFuture.delayedExecutor(millis, TimeUnit.MILLISECONDS))
        .join();
  }
}
