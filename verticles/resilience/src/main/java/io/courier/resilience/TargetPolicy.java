package io.courier.resilience;

import io.courier.resilience.impl.Calls;
import io.vertx.core.Future;
import io.vertx.core.Promise;
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
  private final RetryBudget budget;
  private final TargetBreaker breaker;
  private final Bulkhead bulkhead;
  private final Vertx vertx;
  private final ResiliencePolicies.Policy policy;
  private final java.util.concurrent.atomic.LongAdder hedges =
      new java.util.concurrent.atomic.LongAdder();
  private final PolicyMeters meters;

  public TargetPolicy(
      Vertx vertx,
      String name,
      ResiliencePolicies.Target target,
      ResiliencePolicies.Policy policy) {
    this(vertx, name, target, policy, System::nanoTime);
  }

  /**
   * @param bulkheadClock monotonic nanoseconds the bulkhead times calls with, which drive an
   *     adaptive concurrency limit (tests pass their own)
   */
  TargetPolicy(
      Vertx vertx,
      String name,
      ResiliencePolicies.Target target,
      ResiliencePolicies.Policy policy,
      java.util.function.LongSupplier bulkheadClock) {
    this.name = name;
    this.target = target;
    this.vertx = vertx;
    this.policy = policy;
    ResiliencePolicies.Budget limits = policy.budget();
    this.budget =
        new RetryBudget(
            limits.ratio(),
            limits.minRetries(),
            Duration.ofMillis(limits.windowMs()),
            System::nanoTime,
            this::budgetDecided);
    this.retries =
        new ResilientCall(vertx, policy.retryPolicy(), budget, System::nanoTime, new Random());
    this.breaker = new TargetBreaker(vertx, name, policy.breakerPolicy(), System::nanoTime);
    this.bulkhead =
        new Bulkhead(
            name,
            policy.bulkhead().concurrencyLimit(),
            policy.bulkhead().maxQueued(),
            bulkheadClock);
    this.meters = PolicyMeters.bind(vertx, this);
  }

  int running() {
    return bulkhead.running();
  }

  int queued() {
    return bulkhead.queued();
  }

  /** Counts a retry budget decision (only ever called once construction is over). */
  private void budgetDecided(boolean granted) {
    meters.budget(granted);
  }

  /** The share of the retry budget's current window already spent, 0..1. */
  double retryBudgetUsed() {
    return budget.used();
  }

  /** Calls the bulkhead lets run at once now: {@code maxConcurrent}, or the adaptive limit. */
  public int concurrencyLimit() {
    return bulkhead.limit();
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

  public ResiliencePolicies.Policy policy() {
    return policy;
  }

  /** Second attempts started by hedging. */
  public long hedges() {
    return hedges.sum();
  }

  /** Calls the target within the caller's deadline (or only the target's own). */
  public <T> Future<T> call(
      Deadline callerDeadline, Function<ResilientCall.Attempt, Future<T>> attempt) {
    Deadline deadline =
        Deadline.after(Duration.ofMillis(target.deadlineMs())).earliest(callerDeadline);
    Function<ResilientCall.Attempt, Future<T>> guarded =
        each -> {
          if (each.number() > 1) {
            meters.retried();
          }
          return bulkhead
              .execute(() -> breaker.execute(() -> attempt.apply(each)))
              .onFailure(
                  e -> {
                    if (e instanceof CallRejectedException) {
                      meters.rejected();
                    }
                  });
        };
    boolean hedge = policy.hedge() != null && target.idempotent();
    long start = System.nanoTime();
    return retries
        .call(deadline, target.idempotent(), hedge ? each -> hedged(each, guarded) : guarded)
        .andThen(ar -> meters.finished(start, ar.failed() ? ar.cause() : null));
  }

  /**
   * Starts a second attempt when the first has not answered after the hedge delay; the first
   * success wins, and the call fails only when every started attempt failed. The slower attempt is
   * not cancelled (an event-bus request cannot be); its answer is ignored.
   */
  private <T> Future<T> hedged(
      ResilientCall.Attempt attempt, Function<ResilientCall.Attempt, Future<T>> call) {
    Promise<T> result = Promise.promise();
    java.util.concurrent.atomic.AtomicInteger running =
        new java.util.concurrent.atomic.AtomicInteger(1);
    io.vertx.core.Handler<io.vertx.core.AsyncResult<T>> settle =
        ar -> {
          if (ar.succeeded()) {
            result.tryComplete(ar.result());
          } else if (running.decrementAndGet() == 0) {
            result.tryFail(ar.cause());
          }
        };
    long timer =
        vertx.setTimer(
            policy.hedge().afterMs(),
            id -> {
              if (!result.future().isComplete()) {
                running.incrementAndGet();
                hedges.increment();
                Calls.start(() -> call.apply(attempt)).onComplete(settle);
              }
            });
    Calls.start(() -> call.apply(attempt)).onComplete(settle);
    result.future().onComplete(done -> vertx.cancelTimer(timer));
    return result.future();
  }
}
