package io.courier.resilience;

import static org.assertj.core.api.Assertions.assertThat;

import io.courier.runtime.metrics.Meters;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.junit5.Timeout;
import io.vertx.junit5.VertxExtension;
import io.vertx.junit5.VertxTestContext;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * A target policy with an AIMD limit in front of an event-bus callee whose latency the test sets:
 * while slow, the callee answers on a Vert.x timer after moving the bulkhead's clock on by 200 ms,
 * so every call it answers took at least that long; once recovered it answers at once, on a clock
 * that stands still.
 */
@ExtendWith(VertxExtension.class)
@DisplayName("An adaptive concurrency limit in a target policy")
class AdaptiveConcurrencyTest {

  private static final String ADDRESS = "test.adaptive.inventory";
  private static final long SLOW_NANOS = 200_000_000L;

  private final AtomicLong clock = new AtomicLong();
  private final AtomicBoolean slow = new AtomicBoolean(true);

  private static ResiliencePolicies policies() {
    String json =
        TestPolicies.json("inventory", ADDRESS, 1, 16, 64, "")
            // time in the queue counts toward the attempt: generous, so a busy machine is no fault
            .replace("\"attemptTimeoutMs\": 300", "\"attemptTimeoutMs\": 10000")
            .replace("\"deadlineMs\": 2000", "\"deadlineMs\": 10000")
            .replace(
                "\"maxQueued\": 64}",
                """
                "maxQueued": 64, "adaptive": {"algorithm": "aimd", "minLimit": 2,
                  "latencyThresholdMs": 100, "backoffRatio": 0.5}}""");
    return ResiliencePolicies.parse(json, "test");
  }

  /** {@code calls} calls at once; completes when all have answered. */
  private static Future<Void> round(TargetPolicy policy, Vertx vertx, int calls) {
    List<Future<Object>> all = new ArrayList<>();
    for (int i = 0; i < calls; i++) {
      all.add(
          policy.call(
              Deadline.none(),
              attempt -> vertx.eventBus().request(ADDRESS, "stock?").map(reply -> reply.body())));
    }
    return Future.all(all).mapEmpty();
  }

  /** {@code rounds} rounds one after another; the limit after each. */
  private static Future<List<Integer>> rounds(
      TargetPolicy policy, Vertx vertx, int rounds, int calls) {
    List<Integer> limits = new ArrayList<>();
    Future<Void> chain = Future.succeededFuture();
    for (int r = 0; r < rounds; r++) {
      chain =
          chain
              .compose(v -> round(policy, vertx, calls))
              .onSuccess(v -> limits.add(policy.concurrencyLimit()));
    }
    return chain.map(v -> limits);
  }

  @Test
  @Timeout(value = 30, timeUnit = TimeUnit.SECONDS)
  @DisplayName("falls when the callee slows down and rises when it recovers, shown by the gauge")
  void shouldFallWhenCalleeSlowsAndRiseWhenItRecovers(Vertx vertx, VertxTestContext context) {
    PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
    Meters meters = Meters.of(registry);
    ResiliencePolicies parsed = policies();
    TargetPolicy policy =
        new TargetPolicy(
            vertx,
            meters,
            "inventory",
            parsed.targets().get("inventory"),
            parsed.policies().get("standard"),
            clock::get);
    assertThat(policy.concurrencyLimit()).as("starts at maxConcurrent").isEqualTo(16);

    List<Integer> whileSlow = new ArrayList<>();
    // the callee, its timers and the callers share one event loop, so a round is sent whole
    // before any answer comes back
    vertx.getOrCreateContext().runOnContext(v -> run(vertx, policy, whileSlow, registry, context));
  }

  private void run(
      Vertx vertx,
      TargetPolicy policy,
      List<Integer> whileSlow,
      PrometheusMeterRegistry registry,
      VertxTestContext context) {
    vertx
        .eventBus()
        .<String>consumer(
            ADDRESS,
            message -> {
              if (slow.get()) {
                vertx.setTimer(
                    1,
                    id -> {
                      clock.addAndGet(SLOW_NANOS);
                      message.reply("12 in stock");
                    });
              } else {
                message.reply("12 in stock");
              }
            })
        .completion()
        .compose(v -> rounds(policy, vertx, 3, 16))
        .compose(
            limits -> {
              whileSlow.addAll(limits);
              slow.set(false);
              return rounds(policy, vertx, 6, 40);
            })
        .onComplete(
            context.succeeding(
                afterRecovery ->
                    context.verify(
                        () -> {
                          assertThat(whileSlow)
                              .as("once per round trip, then held at minLimit")
                              .containsExactly(8, 2, 2);
                          assertThat(afterRecovery).as("rising round by round").isSorted();
                          assertThat(afterRecovery.get(0)).isGreaterThan(2);
                          assertThat(afterRecovery.get(afterRecovery.size() - 1))
                              .as("back to maxConcurrent")
                              .isEqualTo(16);
                          assertThat(
                                  registry
                                      .get("courier.resilience.bulkhead.limit")
                                      .tag("target", "inventory")
                                      .gauge()
                                      .value())
                              .isEqualTo(16.0);
                          context.completeNow();
                        })));
  }
}
