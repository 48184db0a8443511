package io.courier.resilience;

import io.vertx.core.Future;
import io.vertx.core.Vertx;
import java.time.Duration;
import java.util.Random;
import java.util.function.Function;

/**
 * Everything that guards calls to one target, composed in order: the call's deadline (the target's,
 * cut to the caller's), retries under the budget around each attempt, and per attempt the bulkhead
 * and the breaker.
 */
public final class TargetPolicy {

  private final String name;
  private final ResiliencePolicies.Target target;
  private final ResilientCall retries;
  private final TargetBreaker breaker;
  private final Bulkhead bulkhead;

  public TargetPolicy(
      Vertx vertx,
      String name,
      ResiliencePolicies.Target target,
      ResiliencePolicies.Policy policy) {
    this.name = name;
    this.target = target;
    ResiliencePolicies.Budget budget = policy.budget();
    this.retries =
        new ResilientCall(
            vertx,
            policy.retryPolicy(),
            new RetryBudget(
                budget.ratio(),
                budget.minRetries(),
                Duration.ofMillis(budget.windowMs()),
                System::nanoTime),
            System::nanoTime,
            new Random());
    this.breaker = new TargetBreaker(vertx, name, policy.breakerPolicy(), System::nanoTime);
    this.bulkhead =
        new Bulkhead(name, policy.bulkhead().maxConcurrent(), policy.bulkhead().maxQueued());
  }

  public String name() {
    return name;
  }

  public ResiliencePolicies.Target target() {
    return target;
  }

  public TargetBreaker breaker() {
    return breaker;
  }

  /** Calls the target within the caller's deadline (or only the target's own). */
  public <T> Future<T> call(
      Deadline callerDeadline, Function<ResilientCall.Attempt, Future<T>> attempt) {
    Deadline deadline =
        Deadline.after(Duration.ofMillis(target.deadlineMs())).earliest(callerDeadline);
    return retries.call(
        deadline,
        target.idempotent(),
        each -> bulkhead.execute(() -> breaker.execute(() -> attempt.apply(each))));
  }
}
