package io.courier.service;

import static org.assertj.core.api.Assertions.assertThat;

import io.courier.resilience.CallFailedException;
import io.courier.resilience.CallRejectedException;
import io.courier.resilience.Deadline;
import io.courier.resilience.InboundPolicy;
import io.courier.resilience.PolicyFileWatcher;
import io.courier.resilience.ResilienceConfig;
import io.courier.resilience.TargetBreaker;
import io.courier.resilience.TargetPolicy;
import io.courier.runtime.config.ConfigLoader;
import io.courier.runtime.config.CourierConfig;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.eventbus.MessageConsumer;
import io.vertx.core.json.JsonObject;
import java.net.ConnectException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Policies handed out by {@link Policies} follow their file: a caller keeps its {@link
 * TargetPolicy} and {@link InboundPolicy}, the file changes under traffic, and the caller's next
 * calls run under the new limits.
 */
@DisplayName("Service policies reloaded from their file")
class PoliciesReloadTest {

  private static final long PERIOD_MS = 50;

  @TempDir Path dir;

  private final Vertx vertx = Vertx.vertx();
  private Policies policies;

  @AfterEach
  void close() throws Exception {
    if (policies != null) {
      policies.close();
    }
    vertx.close().await(10, TimeUnit.SECONDS);
  }

  private Path file() {
    return dir.resolve("resilience.json");
  }

  private static String json(int maxAttempts, int maxConcurrent, String inbound) {
    return """
        {
          "policies": {
            "standard": {
              "attemptTimeoutMs": 1000,
              "retry": {"maxAttempts": %d, "baseDelayMs": 1, "maxDelayMs": 5},
              "budget": {"ratio": 0.5, "minRetries": 100, "windowMs": 10000},
              "breaker": {"failureRatio": 1.0, "slowCallRatio": 1.0, "slowCallMs": 5000,
                          "minCalls": 1000, "windowMs": 10000, "openMs": 1000},
              "bulkhead": {"maxConcurrent": %d, "maxQueued": 0}
            }
          },
          "targets": {
            "inventory": {"address": "grpc:inventory", "policy": "standard",
                          "idempotent": true, "deadlineMs": 5000}
          },
          "inbound": {"user-service": %s}
        }
        """
        .formatted(maxAttempts, maxConcurrent, inbound);
  }

  private Policies load(String json) throws Exception {
    Files.writeString(file(), json);
    CourierConfig config =
        new ConfigLoader(
                Map.of(),
                Map.of(
                    "courier.resilience.policyFile",
                    file().toString(),
                    "courier.resilience.reloadPeriodMs",
                    Long.toString(PERIOD_MS),
                    "courier.kafka.bootstrapServers",
                    "127.0.0.1:9092"),
                Map.of("gateway", List.of(ResilienceConfig.SECTION)),
                List.of("gateway"))
            .load(null);
    policies = PeerTests.load(vertx, config).await(10, TimeUnit.SECONDS);
    return policies;
  }

  /** Writes {@code json} and waits for this process's service policies to judge it. */
  private JsonObject rewrite(String json) throws Exception {
    Promise<JsonObject> judged = Promise.promise();
    MessageConsumer<JsonObject> consumer =
        vertx
            .eventBus()
            .consumer(
                PolicyFileWatcher.RELOAD_ADDRESS,
                m -> {
                  if (file().toString().equals(m.body().getString("file"))) {
                    judged.tryComplete(m.body());
                  }
                });
    consumer.completion().await(5, TimeUnit.SECONDS);
    Files.writeString(file(), json);
    try {
      return judged.future().await(10, TimeUnit.SECONDS);
    } finally {
      consumer.unregister().await(5, TimeUnit.SECONDS);
    }
  }

  /** Calls that stay open until the returned promises are completed. */
  private static List<Future<String>> hold(
      TargetPolicy policy, int n, List<Promise<String>> callees) {
    List<Future<String>> calls = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      calls.add(
          policy.call(
              Deadline.none(),
              attempt -> {
                Promise<String> callee = Promise.promise();
                callees.add(callee);
                return callee.future();
              }));
    }
    return calls;
  }

  /** How many attempts one call to a callee that always refuses the connection makes. */
  private static int attemptsOfAFailingCall(TargetPolicy policy) throws Exception {
    AtomicInteger attempts = new AtomicInteger();
    Throwable failure =
        policy
            .call(
                Deadline.none(),
                attempt -> {
                  attempts.incrementAndGet();
                  return Future.<String>failedFuture(new ConnectException("refused"));
                })
            .map(ok -> (Throwable) new AssertionError("answered " + ok))
            .otherwise(error -> error)
            .await(10, TimeUnit.SECONDS);
    assertThat(failure).isInstanceOf(CallFailedException.class);
    return attempts.get();
  }

  /**
   * Calls through {@code policy} one after another (each answered after a millisecond's timer)
   * until stopped; counts them and keeps every failure.
   */
  private final class Traffic {
    final TargetPolicy policy;
    final AtomicInteger done = new AtomicInteger();
    final List<Throwable> failures = new CopyOnWriteArrayList<>();
    final Promise<Void> ended = Promise.promise();
    volatile boolean stopping;
    volatile Promise<Void> reached;
    volatile int wanted = Integer.MAX_VALUE;

    Traffic(TargetPolicy policy) {
      this.policy = policy;
      vertx.runOnContext(v -> next());
    }

    private void next() {
      if (stopping) {
        ended.complete();
        return;
      }
      policy
          .call(Deadline.none(), attempt -> vertx.timer(1).map(v -> "ok"))
          .onComplete(
              ar -> {
                if (ar.failed()) {
                  failures.add(ar.cause());
                }
                if (done.incrementAndGet() >= wanted) {
                  reached.tryComplete();
                }
                next();
              });
    }

    /** Waits until {@code more} further calls have ended. */
    void awaitMore(int more) throws Exception {
      Promise<Void> promise = Promise.promise();
      reached = promise;
      wanted = done.get() + more;
      if (done.get() >= wanted) {
        promise.tryComplete();
      }
      promise.future().await(10, TimeUnit.SECONDS);
    }

    void stop() throws Exception {
      stopping = true;
      ended.future().await(10, TimeUnit.SECONDS);
    }
  }

  @Test
  @Timeout(30)
  @DisplayName(
      "applies a new bulkhead limit and attempt count to the policy a caller holds, under traffic,"
          + " failing no call")
  void shouldApplyReloadToAHeldPolicyUnderTraffic() throws Exception {
    TargetPolicy held = load(json(1, 1, "{\"timeoutMs\": 1000}")).target("inventory");
    TargetBreaker breaker = held.breaker();

    List<Promise<String>> callees = new ArrayList<>();
    List<Future<String>> before = hold(held, 2, callees);
    assertThat(callees).as("a bulkhead of one").hasSize(1);
    assertThat(before.get(1).cause()).hasCauseInstanceOf(CallRejectedException.class);
    callees.get(0).complete("ok");
    assertThat(before.get(0).await(10, TimeUnit.SECONDS)).isEqualTo("ok");
    assertThat(attemptsOfAFailingCall(held)).isEqualTo(1);

    Traffic traffic = new Traffic(held);
    traffic.awaitMore(5);
    JsonObject reload = rewrite(json(3, 3, "{\"timeoutMs\": 1000}"));
    assertThat(reload.getBoolean("applied")).isTrue();
    traffic.awaitMore(5);
    traffic.stop();

    assertThat(traffic.failures).as("no call failed because of the reload").isEmpty();
    assertThat(traffic.done.get()).isGreaterThanOrEqualTo(10);

    callees.clear();
    List<Future<String>> after = hold(held, 4, callees);
    assertThat(callees).as("the new bulkhead of three").hasSize(3);
    assertThat(after.get(3).cause()).hasCauseInstanceOf(CallRejectedException.class);
    callees.forEach(callee -> callee.complete("ok"));
    assertThat(Future.all(after.subList(0, 3)).await(10, TimeUnit.SECONDS).size()).isEqualTo(3);
    assertThat(attemptsOfAFailingCall(held)).as("the new attempt count").isEqualTo(3);
    assertThat(held.breaker())
        .as("the breaker section did not change: the same breaker, its state kept")
        .isSameAs(breaker);
  }

  @Test
  @Timeout(30)
  @DisplayName("refuses an invalid file naming the key, and the policies callers hold keep working")
  void shouldRefuseAnInvalidFileAndKeepTheOldPolicies() throws Exception {
    Policies loaded = load(json(3, 2, "{\"timeoutMs\": 300}"));
    TargetPolicy held = loaded.target("inventory");
    InboundPolicy inbound = loaded.inbound("user-service");

    JsonObject refused = rewrite(json(0, 2, "{\"timeoutMs\": 300}"));
    assertThat(refused.getBoolean("applied")).isFalse();
    assertThat(refused.getString("error"))
        .contains("key 'policies.standard.retry.maxAttempts' must be >= 1, was 0");

    JsonObject badInbound = rewrite(json(3, 2, "{\"timeoutMs\": 300, \"bulkhed\": {}}"));
    assertThat(badInbound.getBoolean("applied")).isFalse();
    assertThat(badInbound.getString("error")).contains("key 'inbound.user-service.bulkhed'");

    assertThat(attemptsOfAFailingCall(held)).as("the old attempt count").isEqualTo(3);
    List<Promise<String>> callees = new ArrayList<>();
    List<Future<String>> calls = hold(held, 3, callees);
    assertThat(callees).as("the old bulkhead of two").hasSize(2);
    assertThat(calls.get(2).cause()).hasCauseInstanceOf(CallRejectedException.class);
    callees.forEach(callee -> callee.complete("ok"));
    assertThat(Future.all(calls.subList(0, 2)).await(10, TimeUnit.SECONDS).size()).isEqualTo(2);
    assertThat(inbound.timeout()).isEqualTo(Duration.ofMillis(300));

    JsonObject fixed =
        rewrite(
            json(
                3,
                2,
                "{\"timeoutMs\": 200, \"bulkhead\": {\"maxConcurrent\": 4, \"maxQueued\": 0}}"));
    assertThat(fixed.getBoolean("applied")).as("a later good file is applied").isTrue();
    assertThat(inbound.timeout()).isEqualTo(Duration.ofMillis(200));
  }

  @Test
  @Timeout(60)
  @DisplayName(
      "takes the policies from a Consul KV key while it holds a value, refuses a bad value keeping"
          + " the old policies, and goes back to the file when the key is deleted")
  void shouldFollowAConsulKey() throws Exception {
    io.courier.discovery.ConsulStandIn consul = new io.courier.discovery.ConsulStandIn(vertx);
    consul.start(0).await(10, TimeUnit.SECONDS);
    String key = "courier/resilience";
    Files.writeString(file(), json(1, 1, "{\"timeoutMs\": 1000}"));
    ResilienceConfig config = new ResilienceConfig(file().toString(), PERIOD_MS, key);
    io.vertx.ext.web.client.WebClient http = io.vertx.ext.web.client.WebClient.create(vertx);
    policies =
        Policies.load(
                vertx,
                config,
                new io.vertx.ext.consul.ConsulClientOptions()
                    .setHost("127.0.0.1")
                    .setPort(consul.port()),
                io.courier.runtime.metrics.Meters.none(),
                new io.courier.runtime.admin.AdminSections(),
                null)
            .await(10, TimeUnit.SECONDS);
    TargetPolicy held = policies.target("inventory");
    assertThat(attemptsOfAFailingCall(held)).as("the file's attempt count").isEqualTo(1);

    JsonObject applied =
        judged(
            () ->
                http.put(consul.port(), "127.0.0.1", "/v1/kv/" + key)
                    .sendBuffer(
                        io.vertx.core.buffer.Buffer.buffer(
                            routed(json(3, 3, "{\"timeoutMs\": 1000}"), "{\"2\": 1}"))));
    assertThat(applied.getBoolean("applied")).isTrue();
    assertThat(applied.getString("source")).isEqualTo("consul:" + key);
    assertThat(attemptsOfAFailingCall(held)).as("the key's attempt count").isEqualTo(3);
    assertThat(held.target().routing().weightsByVersion()).containsExactly(Map.entry("2", 1));
    JsonObject badRouting =
        judged(
            () ->
                http.put(consul.port(), "127.0.0.1", "/v1/kv/" + key)
                    .sendBuffer(
                        io.vertx.core.buffer.Buffer.buffer(
                            routed(json(3, 3, "{\"timeoutMs\": 1000}"), "{\"2\": -1}"))));
    assertThat(badRouting.getString("error"))
        .contains("key 'targets.inventory.routing.weights.2' must be 0..1000000, was -1");
    assertThat(held.target().routing().weightsByVersion()).containsExactly(Map.entry("2", 1));

    JsonObject refused =
        judged(
            () ->
                http.put(consul.port(), "127.0.0.1", "/v1/kv/" + key)
                    .sendBuffer(
                        io.vertx.core.buffer.Buffer.buffer(json(0, 3, "{\"timeoutMs\": 1000}"))));
    assertThat(refused.getBoolean("applied")).isFalse();
    assertThat(refused.getString("error"))
        .contains("key 'policies.standard.retry.maxAttempts' must be >= 1, was 0");
    JsonObject garbage =
        judged(
            () ->
                http.put(consul.port(), "127.0.0.1", "/v1/kv/" + key)
                    .sendBuffer(io.vertx.core.buffer.Buffer.buffer("{\"policies\": ")));
    assertThat(garbage.getBoolean("applied")).isFalse();
    assertThat(attemptsOfAFailingCall(held)).as("the last good value stays").isEqualTo(3);

    JsonObject deleted =
        judged(() -> http.delete(consul.port(), "127.0.0.1", "/v1/kv/" + key).send());
    assertThat(deleted.getBoolean("applied")).isTrue();
    assertThat(deleted.getString("source")).isEqualTo(file().toString());
    assertThat(attemptsOfAFailingCall(held)).as("the file's attempt count again").isEqualTo(1);
    assertThat(held.target().routing()).as("the file routes by no version").isNull();
    assertThat(consul.unknownRequests()).isEmpty();
  }

  /** {@code json} with {@code weights} as the inventory target's routing. */
  private static String routed(String json, String weights) {
    assertThat(json).contains("\"deadlineMs\": 5000}");
    return json.replace(
        "\"deadlineMs\": 5000}",
        "\"deadlineMs\": 5000, \"routing\": {\"weights\": " + weights + "}}");
  }

  /** Runs {@code change} and waits for this process's service policies to judge what follows. */
  private JsonObject judged(java.util.concurrent.Callable<Future<?>> change) throws Exception {
    Promise<JsonObject> judged = Promise.promise();
    MessageConsumer<JsonObject> consumer =
        vertx
            .eventBus()
            .consumer(PolicyFileWatcher.RELOAD_ADDRESS, m -> judged.tryComplete(m.body()));
    consumer.completion().await(5, TimeUnit.SECONDS);
    change.call().await(10, TimeUnit.SECONDS);
    try {
      return judged.future().await(20, TimeUnit.SECONDS);
    } finally {
      consumer.unregister().await(5, TimeUnit.SECONDS);
    }
  }
}
