package io.courier.resilience;

import static org.assertj.core.api.Assertions.assertThat;

import io.courier.runtime.metrics.Meters;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.junit5.Timeout;
import io.vertx.junit5.VertxExtension;
import io.vertx.junit5.VertxTestContext;
import java.net.ConnectException;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

@ExtendWith(VertxExtension.class)
@DisplayName("A target policy updated in place")
class TargetPolicyUpdateTest {

  private static ResiliencePolicies parse(int maxAttempts, int maxConcurrent, String budget) {
    String json =
        TestPolicies.json("inventory", "test.inventory", maxAttempts, maxConcurrent, 0, "");
    if (budget != null) {
      json =
          json.replace("\"budget\": {\"ratio\": 0.5, \"minRetries\": 10", "\"budget\": " + budget);
    }
    return ResiliencePolicies.parse(json, "test");
  }

  private static TargetPolicy policy(Vertx vertx, ResiliencePolicies parsed) {
    return new TargetPolicy(
        vertx,
        Meters.none(),
        "inventory",
        parsed.targets().get("inventory"),
        parsed.policies().get("standard"));
  }

  private static void update(TargetPolicy policy, ResiliencePolicies parsed) {
    policy.update(parsed.targets().get("inventory"), parsed.policies().get("standard"));
  }

  /** Starts {@code n} calls that stay open until their promise is completed. */
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

  @Test
  @Timeout(value = 10, timeUnit = TimeUnit.SECONDS)
  @DisplayName("applies a new bulkhead limit to new calls while calls of the old one finish")
  void shouldApplyNewBulkheadToNewCalls(Vertx vertx, VertxTestContext context) {
    TargetPolicy policy = policy(vertx, parse(1, 1, null));
    List<Promise<String>> callees = new ArrayList<>();
    List<Future<String>> before = hold(policy, 2, callees);
    context.verify(
        () -> {
          assertThat(callees).hasSize(1);
          assertThat(before.get(1).cause()).isInstanceOf(CallFailedException.class);
          assertThat(before.get(1).cause().getCause()).isInstanceOf(CallRejectedException.class);
        });

    update(policy, parse(1, 3, null));
    List<Future<String>> after = hold(policy, 4, callees);

    context.verify(
        () -> {
          assertThat(policy.concurrencyLimit()).isEqualTo(3);
          assertThat(callees).as("one old call and three new ones run").hasSize(4);
          assertThat(after.subList(0, 3)).noneMatch(Future::isComplete);
          assertThat(after.get(3).failed()).isTrue();
        });
    callees.forEach(callee -> callee.complete("ok"));
    Future.all(before.get(0), after.get(0), after.get(1), after.get(2))
        .onComplete(
            context.succeeding(
                all ->
                    context.verify(
                        () -> {
                          assertThat(before.get(0).result())
                              .as("the call in flight finished")
                              .isEqualTo("ok");
                          assertThat(after.subList(0, 3))
                              .allMatch(call -> "ok".equals(call.result()));
                          assertThat(policy.running()).isZero();
                          context.completeNow();
                        })));
  }

  @Test
  @Timeout(value = 10, timeUnit = TimeUnit.SECONDS)
  @DisplayName("lets a call in flight finish with the attempts it started with")
  void shouldKeepTheAttemptsOfACallInFlight(Vertx vertx, VertxTestContext context) {
    TargetPolicy policy = policy(vertx, parse(3, 8, null));
    AtomicInteger attempts = new AtomicInteger();
    Promise<String> firstAttempt = Promise.promise();
    Future<String> call =
        policy.call(
            Deadline.none(),
            attempt ->
                attempts.incrementAndGet() == 1
                    ? firstAttempt.future()
                    : Future.failedFuture(new ConnectException("refused")));

    update(policy, parse(1, 8, null));
    firstAttempt.fail(new ConnectException("refused"));

    call.onComplete(
        context.failing(
            error ->
                context.verify(
                    () -> {
                      assertThat(attempts).as("three attempts, as when it started").hasValue(3);
                      assertThat(((CallFailedException) error).getMessage())
                          .contains("attempts exhausted");
                      AtomicInteger later = new AtomicInteger();
                      policy
                          .call(
                              Deadline.none(),
                              attempt -> {
                                later.incrementAndGet();
                                return Future.<String>failedFuture(new ConnectException("refused"));
                              })
                          .onComplete(
                              context.failing(
                                  again ->
                                      context.verify(
                                          () -> {
                                            assertThat(later)
                                                .as("a new call gets one attempt")
                                                .hasValue(1);
                                            context.completeNow();
                                          })));
                    })));
  }

  @Test
  @Timeout(value = 10, timeUnit = TimeUnit.SECONDS)
  @DisplayName("keeps its breaker and its spent retry budget when their sections did not change")
  void shouldKeepBreakerAndBudgetState(Vertx vertx, VertxTestContext context) {
    String oneRetry = "{\"ratio\": 0.0, \"minRetries\": 1";
    TargetPolicy policy = policy(vertx, parse(2, 8, oneRetry));
    TargetBreaker breaker = policy.breaker();
    AtomicInteger attempts = new AtomicInteger();
    java.util.function.Supplier<Future<String>> failing =
        () ->
            policy.call(
                Deadline.none(),
                attempt -> {
                  attempts.incrementAndGet();
                  return Future.failedFuture(new ConnectException("refused"));
                });

    failing
        .get()
        .transform(
            first -> {
              context.verify(
                  () -> assertThat(attempts).as("the one retry of the budget").hasValue(2));
              update(policy, parse(2, 4, oneRetry));
              return failing.get();
            })
        .onComplete(
            context.failing(
                error ->
                    context.verify(
                        () -> {
                          assertThat(error).hasMessageContaining("retry budget spent");
                          assertThat(attempts).as("no retry after the reload").hasValue(3);
                          assertThat(policy.breaker()).isSameAs(breaker);
                          assertThat(policy.concurrencyLimit()).isEqualTo(4);

                          update(
                              policy,
                              ResiliencePolicies.parse(
                                  TestPolicies.json("inventory", "test.inventory", 2, 4, 0, "")
                                      .replace("\"openMs\": 1000", "\"openMs\": 2000"),
                                  "test"));
                          assertThat(policy.breaker())
                              .as("a changed breaker section brings a new breaker")
                              .isNotSameAs(breaker);
                          context.completeNow();
                        })));
  }
}
