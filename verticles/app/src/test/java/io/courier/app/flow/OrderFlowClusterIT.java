package io.courier.app.flow;

import static org.assertj.core.api.Assertions.assertThat;

import io.courier.kafka.embedded.EmbeddedKafkaBroker;
import io.courier.kafka.embedded.SharedKafkaBroker;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The order flow across three JVMs started from the fat JAR with {@code conf/cluster.json} (gateway
 * + notification / order + payment / user + inventory), one Hazelcast cluster on 127.0.0.1 and a
 * broker in this JVM. Mid-run the order process and then the inventory process are killed (kill -9)
 * and started again; clients retry refused requests with the same idempotency key, as they should.
 * Afterwards no accepted order is missing and none was applied twice.
 */
@ExtendWith(SharedKafkaBroker.class)
@DisplayName("The order flow across three processes")
class OrderFlowClusterIT {

  private static final Logger LOG = LoggerFactory.getLogger(OrderFlowClusterIT.class);
  private static final Path JAR = Path.of(System.getProperty("courier.jar", "target/courier.jar"));
  private static final Path ROOT = Path.of("../..").toAbsolutePath().normalize();
  private static final int ORDERS = Integer.getInteger("flow.cluster.orders", 300);

  @TempDir Path work;

  private final List<CourierProcess> processes = new ArrayList<>();

  @AfterEach
  void stopAll() throws InterruptedException {
    for (CourierProcess process : processes) {
      process.stop();
    }
  }

  @Test
  @Timeout(420)
  @DisplayName(
      "loses and duplicates nothing when the order and the inventory processes are killed mid-run")
  void shouldSurviveKilledOrderAndInventoryProcesses(EmbeddedKafkaBroker kafka) throws Exception {
    String run = "c" + UUID.randomUUID().toString().substring(0, 8) + "-";
    FlowSeeds seeds = FlowSeeds.write(work, run, 20, 100, 200);
    int[] hz = {CourierProcess.freePort(), CourierProcess.freePort(), CourierProcess.freePort()};
    int http = CourierProcess.freePort();
    Map<String, String> common =
        CourierProcess.clusterEnv("flow-" + run, hz, kafka.bootstrapServers(), seeds);
    common.put("COURIER_GATEWAY_PORT", Integer.toString(http));
    Map<String, Map<String, String>> envs = new HashMap<>();
    envs.put("edge", env(common, hz[0], "gateway,notification-service"));
    envs.put("orders", env(common, hz[1], "order-service,payment-service"));
    envs.put("stock", env(common, hz[2], "user-service,inventory-service"));

    Map<String, CourierProcess> live = new ConcurrentHashMap<>();
    // One after the other: three JVMs booting at once on two cores starve each other.
    for (String name : List.of("stock", "orders", "edge")) {
      live.put(name, start(name, envs.get(name)));
      LOG.info("{}: {}", name, live.get(name).awaitReady(120));
    }

    FlowClient client =
        new FlowClient(
            "http://127.0.0.1:" + http, FlowClient.adminToken(CourierProcess.keyDir(seeds)));
    AtomicInteger accepted = new AtomicInteger();
    Map<String, String> orderIds = new ConcurrentHashMap<>();
    Map<String, String> refusals = new ConcurrentHashMap<>();
    AtomicInteger retries = new AtomicInteger();
    ExecutorService load = Executors.newFixedThreadPool(8);
    Random random = new Random(7);
    List<Future<?>> sent = new ArrayList<>();
    for (int i = 0; i < ORDERS; i++) {
      String key = run + "order-" + i;
      List<FlowClient.Line> lines = new ArrayList<>();
      for (int j = 0, n = 1 + random.nextInt(3); j < n; j++) {
        lines.add(
            new FlowClient.Line(
                seeds.skus().get(random.nextInt(seeds.skus().size())), 1 + random.nextInt(2)));
      }
      String body =
          FlowClient.orderBody(seeds.userIds().get(random.nextInt(seeds.userIds().size())), lines);
      sent.add(
          load.submit(
              () -> {
                long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(150);
                while (System.nanoTime() < end) {
                  try {
                    FlowClient.Placed placed = client.place(key, body).get(40, TimeUnit.SECONDS);
                    if (placed.status() == 202) {
                      orderIds.put(key, placed.orderId());
                      accepted.incrementAndGet();
                      return;
                    }
                    if (placed.status() != 503) {
                      refusals.put(key, placed.status() + " " + placed.body().encode());
                      return;
                    }
                  } catch (Exception e) {
                    LOG.debug("{} failed: {}", key, e.toString());
                  }
                  retries.incrementAndGet();
                  pause(250);
                }
                refusals.put(key, "never accepted");
              }));
    }

    FlowClient.awaitUntil(
        "a third accepted", Duration.ofSeconds(120), () -> accepted.get() >= ORDERS / 3);
    LOG.info("killing the order process at {} accepted", accepted.get());
    live.get("orders").kill();
    live.put("orders", start("orders", envs.get("orders")));
    live.get("orders").awaitReady(120);

    FlowClient.awaitUntil(
        "two thirds accepted", Duration.ofSeconds(180), () -> accepted.get() >= 2 * ORDERS / 3);
    LOG.info("killing the inventory process at {} accepted", accepted.get());
    live.get("stock").kill();
    live.put("stock", start("stock", envs.get("stock")));
    live.get("stock").awaitReady(120);

    for (Future<?> each : sent) {
      each.get(200, TimeUnit.SECONDS);
    }
    load.shutdown();
    LOG.info(
        "{} accepted, {} client retries, refusals {}", accepted.get(), retries.get(), refusals);
    assertThat(refusals).isEmpty();
    assertThat(new HashSet<>(orderIds.values())).hasSize(ORDERS);

    FlowAudit.verify(client, seeds, orderIds, kafka.bootstrapServers());
    for (CourierProcess process : live.values()) {
      assertThat(process.stderr).noneMatch(line -> line.contains("has been blocked for"));
    }
  }

  private CourierProcess start(String name, Map<String, String> env) throws IOException {
    CourierProcess process =
        CourierProcess.start(name, JAR, ROOT, ROOT.resolve("conf/cluster.json"), env);
    processes.add(process);
    return process;
  }

  private static Map<String, String> env(Map<String, String> common, int hzPort, String roles) {
    Map<String, String> env = new HashMap<>(common);
    env.put("COURIER_CLUSTER_PORT", Integer.toString(hzPort));
    env.put("COURIER_ROLES", roles);
    return env;
  }

  private static void pause(long millis) {
    java.util.concurrent.CompletableFuture.runAsync(
            () -> {},
            java.util.concurrent.CompletableFuture.delayedExecutor(millis, TimeUnit.MILLISECONDS))
        .join();
  }
}
