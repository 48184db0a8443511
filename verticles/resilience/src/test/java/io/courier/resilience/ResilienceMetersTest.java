package io.courier.resilience;

import static org.assertj.core.api.Assertions.assertThat;

import io.courier.runtime.metrics.Meters;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.eventbus.Message;
import io.vertx.core.json.JsonObject;
import io.vertx.junit5.Timeout;
import io.vertx.junit5.VertxExtension;
import io.vertx.junit5.VertxTestContext;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * A target policy against a failing event-bus callee, on a real Vert.x reporting to a Prometheus
 * registry: the scrape shows the retries the budget granted and denied, the budget spent, and the
 * breaker's transition to open, with the target as the only label.
 */
@ExtendWith(VertxExtension.class)
@DisplayName("The resilience layer's Prometheus series")
class ResilienceMetersTest {

  private static final String ADDRESS = "test.meters.inventory";

  /**
   * Two retries per minute whatever the traffic (ratio 0), three attempts per call, and a breaker
   * that opens once four attempts in its window failed at least half the time and stays open.
   */
  private static final String POLICIES =
      """
      {
        "policies": {
          "strict": {
            "attemptTimeoutMs": 5000,
            "retry": {"maxAttempts": 3, "baseDelayMs": 1, "maxDelayMs": 2},
            "budget": {"ratio": 0.0, "minRetries": 2, "windowMs": 60000},
            "breaker": {"failureRatio": 0.5, "slowCallRatio": 1.0, "slowCallMs": 5000,
                        "minCalls": 4, "windowMs": 60000, "openMs": 60000},
            "bulkhead": {"maxConcurrent": 4, "maxQueued": 4}
          }
        },
        "targets": {
          "inventory": {"address": "test.meters.inventory", "policy": "strict",
                        "idempotent": true, "deadlineMs": 10000}
        }
      }
      """;

  @Test
  @Timeout(value = 30, timeUnit = TimeUnit.SECONDS)
  @DisplayName(
      "counts granted and denied retries, the budget's use and the breaker opening, per target")
  void shouldExposeBudgetAndBreakerSeries(Vertx vertx, VertxTestContext context) {
    PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
    Meters meters = Meters.of(registry);
    ResiliencePolicies parsed = ResiliencePolicies.parse(POLICIES, "test");
    List<String> states = new CopyOnWriteArrayList<>();
    Promise<Void> opened = Promise.promise();
    vertx
        .eventBus()
        .<JsonObject>consumer(
            TargetBreaker.STATE_ADDRESS,
            m -> {
              states.add(m.body().getString("state"));
              if ("OPEN".equals(m.body().getString("state"))) {
                opened.tryComplete();
              }
            })
        .completion()
        .compose(
            v ->
                vertx
                    .eventBus()
                    .<String>consumer(ADDRESS, message -> message.fail(503, "inventory is down"))
                    .completion())
        .compose(
            v -> {
              TargetPolicy policy =
                  new TargetPolicy(
                      vertx,
                      meters,
                      "inventory",
                      parsed.targets().get("inventory"),
                      parsed.policies().get("strict"));
              String before = registry.scrape();
              context.verify(
                  () ->
                      assertThat(before)
                          .as("both outcomes exist before any retry")
                          .contains(
                              "courier_resilience_retry_budget_total{outcome=\"granted\",target=\"inventory\"} 0.0",
                              "courier_resilience_retry_budget_total{outcome=\"denied\",target=\"inventory\"} 0.0",
                              "courier_resilience_retry_budget_used{target=\"inventory\"} 0.0"));
              // First call: three attempts fail, the two retries spend the budget. Second call:
              // its first failure opens the breaker (4 of 4 attempts failed) and its retry is
              // denied.
              return call(vertx, policy)
                  .compose(first -> call(vertx, policy).map(second -> List.of(first, second)))
                  .compose(outcomes -> opened.future().map(outcomes));
            })
        .onComplete(
            context.succeeding(
                outcomes ->
                    context.verify(
                        () -> {
                          assertThat(outcomes.get(0).getMessage()).contains("attempts exhausted");
                          assertThat(outcomes.get(1).getMessage()).contains("retry budget spent");
                          String scrape = registry.scrape();
                          assertThat(scrape)
                              .contains(
                                  "courier_resilience_retry_budget_total{outcome=\"granted\",target=\"inventory\"} 2.0",
                                  "courier_resilience_retry_budget_total{outcome=\"denied\",target=\"inventory\"} 1.0",
                                  "courier_resilience_retry_budget_used{target=\"inventory\"} 1.0",
                                  "courier_resilience_retries_total{target=\"inventory\"} 2.0",
                                  "courier_resilience_calls_seconds_count{outcome=\"budget_spent\",target=\"inventory\"} 1",
                                  "courier_resilience_breaker_transitions_total{state=\"OPEN\",target=\"inventory\"} 1.0",
                                  "courier_resilience_breaker_state{target=\"inventory\"} 2.0");
                          assertThat(states).containsExactly("OPEN");
                          assertThat(
                                  scrape
                                      .lines()
                                      .filter(l -> l.startsWith("courier_resilience_"))
                                      .toList())
                              .as("labels are target, outcome, state and le only")
                              .allSatisfy(
                                  line ->
                                      assertThat(
                                              line.replaceAll(
                                                  "(target|outcome|state|le)=\"[^\"]*\",?", ""))
                                          .matches("[a-z_]+(\\{\\})? .*"));
                          context.completeNow();
                        })));
  }

  /** One call that must fail; gives its failure. */
  private static Future<Throwable> call(Vertx vertx, TargetPolicy policy) {
    return policy
        .call(
            Deadline.none(),
            attempt -> vertx.eventBus().<String>request(ADDRESS, "stock?").map(Message::body))
        .transform(
            ar ->
                ar.succeeded()
                    ? Future.failedFuture(new AssertionError("the call succeeded"))
                    : Future.succeededFuture(ar.cause()));
  }
}
