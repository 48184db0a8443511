package io.courier.resilience;

import static org.assertj.core.api.Assertions.assertThat;

import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.eventbus.ReplyException;
import io.vertx.core.json.JsonObject;
import io.vertx.junit5.Timeout;
import io.vertx.junit5.VertxExtension;
import io.vertx.junit5.VertxTestContext;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

@ExtendWith(VertxExtension.class)
@DisplayName("The resilience proxy verticle")
class ResilienceProxyTest {

  private static final String RESILIENT = ResilienceProxyVerticle.ADDRESS_PREFIX + "inventory";

  @TempDir Path dir;

  private final AtomicInteger attempts = new AtomicInteger();
  private final List<String> script = new CopyOnWriteArrayList<>();

  private static String policies(int maxAttempts, int maxConcurrent, int maxQueued) {
    return policies(maxAttempts, maxConcurrent, maxQueued, "");
  }

  /** {@code extra} is added to the policy object, e.g. {@code , "hedge": {"afterMs": 50}}. */
  private static String policies(int maxAttempts, int maxConcurrent, int maxQueued, String extra) {
    return TestPolicies.json(
        "inventory", "test.inventory", maxAttempts, maxConcurrent, maxQueued, extra);
  }

  /** Deploys the proxy on {@code json} (checked every 50 ms) and a scripted callee. */
  private Future<String> deploy(Vertx vertx, String json) throws IOException {
    vertx
        .eventBus()
        .<String>consumer(
            "test.inventory",
            message -> {
              int n = attempts.incrementAndGet();
              String action = script.isEmpty() ? "ok" : script.get(Math.min(n, script.size()) - 1);
              if (action.equals("ok")) {
                message.reply(
                    "done on attempt "
                        + n
                        + " with "
                        + message.headers().get(Deadline.HEADER)
                        + " ms");
              } else if (action.equals("slow")) {
                vertx.setTimer(50, id -> message.reply("slow done"));
              } else if (action.equals("late")) {
                vertx.setTimer(250, id -> message.reply("late answer"));
              } else {
                message.fail(Integer.parseInt(action), "failed on command: " + action);
              }
            });
    return TestPolicies.deployProxy(vertx, dir, json, 50, false);
  }

  @Test
  @Timeout(value = 10, timeUnit = TimeUnit.SECONDS)
  @DisplayName("forwards to the target, retrying its 503s and passing the deadline on")
  void shouldForwardWithRetriesAndDeadline(Vertx vertx, VertxTestContext context)
      throws IOException {
    script.addAll(List.of("503", "503", "ok"));

    deploy(vertx, policies(3, 8, 8))
        .compose(id -> vertx.eventBus().<String>request(RESILIENT, "reserve"))
        .onComplete(
            context.succeeding(
                reply ->
                    context.verify(
                        () -> {
                          assertThat(reply.body()).startsWith("done on attempt 3 with ");
                          long budget =
                              Long.parseLong(
                                  reply.body().replaceAll("\\D+", " ").trim().split(" ")[1]);
                          assertThat(budget).isBetween(1L, 300L);
                          context.completeNow();
                        })));
  }

  @Test
  @Timeout(value = 10, timeUnit = TimeUnit.SECONDS)
  @DisplayName("passes a client error through once, with the callee's code")
  void shouldPassClientErrorThroughOnce(Vertx vertx, VertxTestContext context) throws IOException {
    script.add("409");

    deploy(vertx, policies(3, 8, 8))
        .compose(id -> vertx.eventBus().request(RESILIENT, "reserve"))
        .onComplete(
            context.failing(
                error ->
                    context.verify(
                        () -> {
                          assertThat(((ReplyException) error).failureCode()).isEqualTo(409);
                          assertThat(attempts).hasValue(1);
                          context.completeNow();
                        })));
  }

  @Test
  @Timeout(value = 10, timeUnit = TimeUnit.SECONDS)
  @DisplayName("refuses to start on a bad policy file, naming the key")
  void shouldRefuseBadPolicyFile(Vertx vertx, VertxTestContext context) throws IOException {
    deploy(vertx, policies(3, 8, 8).replace("\"ratio\": 0.5", "\"ratio\": 1.5"))
        .onComplete(
            context.failing(
                error ->
                    context.verify(
                        () -> {
                          assertThat(error)
                              .isInstanceOf(InvalidPolicyException.class)
                              .hasMessageContaining(
                                  "key 'policies.standard.budget.ratio' must be 0..1, was 1.5");
                          context.completeNow();
                        })));
  }

  @Test
  @Timeout(value = 20, timeUnit = TimeUnit.SECONDS)
  @DisplayName(
      "forwards under an adaptive limit, and keeps that policy when a reload brings a bad adaptive"
          + " value")
  void shouldKeepAdaptivePolicyWhenReloadIsBad(Vertx vertx, VertxTestContext context)
      throws Exception {
    String adaptive =
        "\"maxQueued\": 8, \"adaptive\": {\"algorithm\": \"aimd\", \"minLimit\": 2,"
            + " \"latencyThresholdMs\": 100}}";
    Promise<JsonObject> badReload = Promise.promise();
    vertx
        .eventBus()
        .<JsonObject>consumer(
            ResilienceProxyVerticle.RELOAD_ADDRESS,
            m -> {
              if (!m.body().getBoolean("applied")) {
                badReload.tryComplete(m.body());
              }
            });
    deploy(vertx, policies(1, 8, 8).replace("\"maxQueued\": 8}", adaptive))
        .await(10, TimeUnit.SECONDS);

    assertThat(burst(vertx, 4).await(10, TimeUnit.SECONDS)).containsOnly("ok");

    Files.writeString(
        TestPolicies.file(dir),
        policies(1, 8, 8)
            .replace("\"maxQueued\": 8}", adaptive.replace("\"minLimit\": 2", "\"minLimit\": 0")));
    JsonObject refused = badReload.future().await(10, TimeUnit.SECONDS);

    assertThat(refused.getString("error"))
        .contains("key 'policies.standard.bulkhead.adaptive.minLimit' must be >= 1, was 0");
    assertThat(burst(vertx, 4).await(10, TimeUnit.SECONDS))
        .as("the old policy stays")
        .containsOnly("ok");
    context.completeNow();
  }

  @Test
  @Timeout(value = 20, timeUnit = TimeUnit.SECONDS)
  @DisplayName(
      "applies a new policy within a reload period under traffic, and keeps the old one when the new file is bad")
  void shouldHotReloadUnderTraffic(Vertx vertx, VertxTestContext context) throws Exception {
    script.add("slow");
    List<JsonObject> reloads = new CopyOnWriteArrayList<>();
    Promise<Void> goodReload = Promise.promise();
    Promise<Void> badReload = Promise.promise();
    vertx
        .eventBus()
        .<JsonObject>consumer(
            ResilienceProxyVerticle.RELOAD_ADDRESS,
            m -> {
              reloads.add(m.body());
              (m.body().getBoolean("applied") ? goodReload : badReload).tryComplete();
            });
    deploy(vertx, policies(1, 1, 0)).await(10, TimeUnit.SECONDS);

    assertThat(burst(vertx, 4).await(10, TimeUnit.SECONDS))
        .as("bulkhead of 1, no queue: one call runs, three are refused as the caller's overload")
        .containsExactlyInAnyOrder("ok", "429", "429", "429");

    List<Future<String>> trickle = new CopyOnWriteArrayList<>();
    AtomicInteger wanted = new AtomicInteger(3);
    List<Promise<Void>> enough = new CopyOnWriteArrayList<>(List.of(Promise.promise()));
    long trickleTimer =
        vertx.setPeriodic(
            // longer than the callee's 50 ms, so the old limit of one call at a time holds them;
            // on a loaded machine a call may take longer, and the next one waits for a later tick
            80,
            id -> {
              if (!trickle.isEmpty() && !trickle.get(trickle.size() - 1).isComplete()) {
                return;
              }
              trickle.add(burst(vertx, 1).map(r -> r.get(0)));
              if (trickle.size() >= wanted.get()) {
                enough.get(enough.size() - 1).tryComplete();
              }
            });
    enough.get(0).future().await(10, TimeUnit.SECONDS);
    Files.writeString(TestPolicies.file(dir), policies(1, 10, 0) + " ");
    goodReload.future().await(10, TimeUnit.SECONDS);
    Promise<Void> afterReload = Promise.promise();
    enough.add(afterReload);
    wanted.set(trickle.size() + 3);
    afterReload.future().await(10, TimeUnit.SECONDS);
    vertx.cancelTimer(trickleTimer);

    assertThat(burst(vertx, 4).await(10, TimeUnit.SECONDS)).containsOnly("ok");
    assertThat(
            Future.join(new ArrayList<>(trickle))
                .map(v -> trickle.stream().map(Future::result).toList())
                .await(10, TimeUnit.SECONDS))
        .as("no call failed because of the reload")
        .isNotEmpty()
        .containsOnly("ok");

    Files.writeString(TestPolicies.file(dir), "{\"policies\": {}, \"targets\": {}, \"extra\": 1}");
    badReload.future().await(10, TimeUnit.SECONDS);

    assertThat(reloads.get(reloads.size() - 1).getString("error")).contains("key 'extra'");
    assertThat(burst(vertx, 4).await(10, TimeUnit.SECONDS))
        .as("the old policy stays")
        .containsOnly("ok");
    context.completeNow();
  }

  @Test
  @Timeout(value = 10, timeUnit = TimeUnit.SECONDS)
  @DisplayName("answers from the cache of good replies when the target fails, marked as degraded")
  void shouldFallBackToCachedReply(Vertx vertx, VertxTestContext context) throws IOException {
    script.addAll(List.of("ok", "500"));

    deploy(vertx, policies(1, 8, 8, ", \"fallback\": {\"mode\": \"cache\"}"))
        .compose(id -> vertx.eventBus().<String>request(RESILIENT, "sku-1"))
        .compose(
            first ->
                vertx
                    .eventBus()
                    .<String>request(RESILIENT, "sku-1")
                    .map(second -> List.of(first, second)))
        .onComplete(
            context.succeeding(
                replies ->
                    context.verify(
                        () -> {
                          assertThat(replies.get(1).body()).isEqualTo(replies.get(0).body());
                          assertThat(
                                  replies
                                      .get(0)
                                      .headers()
                                      .contains(ResilienceProxyVerticle.DEGRADED_HEADER))
                              .isFalse();
                          assertThat(
                                  replies
                                      .get(1)
                                      .headers()
                                      .get(ResilienceProxyVerticle.DEGRADED_HEADER))
                              .isEqualTo("cache");
                          assertThat(attempts).hasValue(2);
                          context.completeNow();
                        })));
  }

  @Test
  @Timeout(value = 20, timeUnit = TimeUnit.SECONDS)
  @DisplayName(
      "shrinks a target's cache when a reload lowers maxEntries, dropping the eldest reply")
  void shouldResizeCacheOnReload(Vertx vertx, VertxTestContext context) throws Exception {
    script.addAll(List.of("ok", "ok", "500"));
    String cache = ", \"fallback\": {\"mode\": \"cache\", \"maxEntries\": %d}";
    deploy(vertx, policies(1, 8, 8, cache.formatted(2))).await(10, TimeUnit.SECONDS);
    String second =
        vertx
            .eventBus()
            .<String>request(RESILIENT, "sku-1")
            .compose(first -> vertx.eventBus().<String>request(RESILIENT, "sku-2"))
            .await(10, TimeUnit.SECONDS)
            .body();
    Promise<Void> reloaded = Promise.promise();
    vertx
        .eventBus()
        .<JsonObject>consumer(
            ResilienceProxyVerticle.RELOAD_ADDRESS,
            m -> {
              if (m.body().getBoolean("applied")) {
                reloaded.tryComplete();
              }
            });

    Files.writeString(TestPolicies.file(dir), policies(1, 8, 8, cache.formatted(1)) + " ");
    reloaded.future().await(10, TimeUnit.SECONDS);

    assertThat(burst(vertx, 1, "sku-1").await(10, TimeUnit.SECONDS))
        .as("the eldest reply went with the smaller bound")
        .containsExactly("500");
    assertThat(
            vertx.eventBus().<String>request(RESILIENT, "sku-2").await(10, TimeUnit.SECONDS).body())
        .as("the newest reply stays")
        .isEqualTo(second);
    context.completeNow();
  }

  @Test
  @Timeout(value = 10, timeUnit = TimeUnit.SECONDS)
  @DisplayName("passes the target's own 404 on instead of a cached reply")
  void shouldNotCoverTheTargetsOwnAnswer(Vertx vertx, VertxTestContext context) throws IOException {
    script.addAll(List.of("ok", "404"));

    deploy(vertx, policies(1, 8, 8, ", \"fallback\": {\"mode\": \"cache\", \"maxAgeMs\": 60000}"))
        .compose(id -> vertx.eventBus().<String>request(RESILIENT, "sku-1"))
        .compose(first -> vertx.eventBus().<String>request(RESILIENT, "sku-1"))
        .onComplete(
            context.failing(
                error ->
                    context.verify(
                        () -> {
                          assertThat(((ReplyException) error).failureCode()).isEqualTo(404);
                          assertThat(attempts).hasValue(2);
                          context.completeNow();
                        })));
  }

  @Test
  @Timeout(value = 10, timeUnit = TimeUnit.SECONDS)
  @DisplayName("answers with the static fallback when the target fails")
  void shouldFallBackToStaticValue(Vertx vertx, VertxTestContext context) throws IOException {
    script.add("500");

    deploy(
            vertx,
            policies(
                1, 8, 8, ", \"fallback\": {\"mode\": \"static\", \"value\": {\"available\": 0}}"))
        .compose(id -> vertx.eventBus().<JsonObject>request(RESILIENT, "sku-9"))
        .onComplete(
            context.succeeding(
                reply ->
                    context.verify(
                        () -> {
                          assertThat(reply.body()).isEqualTo(new JsonObject().put("available", 0));
                          assertThat(reply.headers().get(ResilienceProxyVerticle.DEGRADED_HEADER))
                              .isEqualTo("static");
                          context.completeNow();
                        })));
  }

  @Test
  @Timeout(value = 10, timeUnit = TimeUnit.SECONDS)
  @DisplayName("hedges a slow read: a second attempt after the delay answers first")
  void shouldHedgeSlowRead(Vertx vertx, VertxTestContext context) throws IOException {
    script.addAll(List.of("late", "ok"));
    long[] begin = new long[1];

    deploy(vertx, policies(1, 8, 8, ", \"hedge\": {\"afterMs\": 30}"))
        .compose(
            id -> {
              begin[0] = System.nanoTime();
              return vertx.eventBus().<String>request(RESILIENT, "sku-2");
            })
        .onComplete(
            context.succeeding(
                reply ->
                    context.verify(
                        () -> {
                          long tookMs = (System.nanoTime() - begin[0]) / 1_000_000;
                          assertThat(reply.body()).startsWith("done on attempt 2");
                          assertThat(tookMs)
                              .as("answered before the 250 ms of the first attempt")
                              .isLessThan(250);
                          assertThat(attempts).hasValue(2);
                          context.completeNow();
                        })));
  }

  /** Sends {@code n} calls at once; each result is "ok" or the failure code. */
  private static Future<List<String>> burst(Vertx vertx, int n) {
    return burst(vertx, n, "reserve");
  }

  private static Future<List<String>> burst(Vertx vertx, int n, String body) {
    List<Future<String>> calls = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      calls.add(
          vertx
              .eventBus()
              .<String>request(RESILIENT, body)
              .map(m -> "ok")
              .recover(
                  e ->
                      Future.succeededFuture(
                          Integer.toString(((ReplyException) e).failureCode()))));
    }
    return Future.all(calls).map(all -> calls.stream().map(Future::result).toList());
  }
}
