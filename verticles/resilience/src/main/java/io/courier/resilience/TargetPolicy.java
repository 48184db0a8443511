package io.courier.resilience;

import io.courier.resilience.impl.Calls;
import io.courier.runtime.metrics.Meters;
import io.vertx.core.AsyncResult;
import io.vertx.core.Future;
import io.vertx.core.Handler;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import java.time.Duration;
import java.util.Random;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.LongAdder;
import java.util.function.Function;
import java.util.function.LongSupplier;

/**
 * Everything that guards calls to one target, composed in order: the call's deadline (the target's,
 * cut to the caller's), retries under the budget around each attempt, and per attempt the bulkhead
 * and the breaker.
 *
 * <p>A reloaded policy file is applied in place with {@link #update}, so every holder of this
 * object sees the new limits: the parts are swapped as one immutable set, and a call uses the set
 * it started with to its end (no call fails because of a reload). The breaker and the retry budget
 * keep their state when their section of the policy did not change; so does the bulkhead, and a
 * changed bulkhead is a new one that admits new calls while the calls of the old one finish.
 */
public final class TargetPolicy {

  /** What guards calls now: swapped whole, never changed. */
  private record Parts(
      ResiliencePolicies.Target target,
      ResiliencePolicies.Policy policy,
      RetryBudget budget,
      ResilientCall retries,
      TargetBreaker breaker,
      Bulkhead bulkhead,
      HedgeDelay hedgeDelay) {}

  private final String name;
  private final Vertx vertx;
  private final Meters meters;
  private final LongSupplier bulkheadClock;
  private final LongAdder hedges = new LongAdder();
  private final PolicyMeters policyMeters;
  private volatile Parts parts;

  /**
   * @param meters where the target's calls, retries, breaker and bulkhead are measured
   */
  public TargetPolicy(
      Vertx vertx,
      Meters meters,
      String name,
      ResiliencePolicies.Target target,
      ResiliencePolicies.Policy policy) {
    this(vertx, meters, name, target, policy, System::nanoTime);
  }

  /**
   * @param bulkheadClock monotonic nanoseconds the bulkhead times calls with, which drive an
   *     adaptive concurrency limit (tests pass their own)
   */
  TargetPolicy(
      Vertx vertx,
      Meters meters,
      String name,
      ResiliencePolicies.Target target,
      ResiliencePolicies.Policy policy,
      LongSupplier bulkheadClock) {
    this.name = name;
    this.vertx = vertx;
    this.meters = meters;
    this.bulkheadClock = bulkheadClock;
    this.parts = parts(target, policy, null);
    this.policyMeters = PolicyMeters.bind(meters, this);
  }

  /**
   * Applies a reloaded target and policy to the calls that start from now on. The breaker, the
   * retry budget and the bulkhead are kept, state and all, when their section is unchanged.
   */
  public synchronized void update(
      ResiliencePolicies.Target target, ResiliencePolicies.Policy policy) {
    parts = parts(target, policy, parts);
  }

  private Parts parts(
      ResiliencePolicies.Target target, ResiliencePolicies.Policy policy, Parts old) {
    ResiliencePolicies.Budget budgetLimits = policy.budget();
    RetryBudget budget =
        old != null && old.policy().budget().equals(budgetLimits)
            ? old.budget()
            : new RetryBudget(
                budgetLimits.ratio(),
                budgetLimits.minRetries(),
                Duration.ofMillis(budgetLimits.windowMs()),
                System::nanoTime,
                this::budgetDecided);
    TargetBreaker breaker =
        old != null && old.policy().breaker().equals(policy.breaker())
            ? old.breaker()
            : new TargetBreaker(vertx, meters, name, policy.breakerPolicy(), System::nanoTime);
    Bulkhead bulkhead =
        old != null && old.policy().bulkhead().equals(policy.bulkhead())
            ? old.bulkhead()
            : new Bulkhead(
                name,
                policy.bulkhead().concurrencyLimit(),
                policy.bulkhead().maxQueued(),
                bulkheadClock);
    ResilientCall retries =
        new ResilientCall(vertx, policy.retryPolicy(), budget, System::nanoTime, new Random());
    ResiliencePolicies.Hedge hedge = policy.hedge();
    HedgeDelay hedgeDelay =
        hedge == null
            ? null
            : old != null && old.hedgeDelay() != null && old.hedgeDelay().hedge().equals(hedge)
                ? old.hedgeDelay()
                : new HedgeDelay(hedge);
    return new Parts(target, policy, budget, retries, breaker, bulkhead, hedgeDelay);
  }

  int running() {
    return parts.bulkhead().running();
  }

  int queued() {
    return parts.bulkhead().queued();
  }

  /** Counts a retry budget decision (only ever called once construction is over). */
  private void budgetDecided(boolean granted) {
    policyMeters.budget(granted);
  }

  /** The share of the retry budget's current window already spent, 0..1. */
  double retryBudgetUsed() {
    return parts.budget().used();
  }

  /** Calls the bulkhead lets run at once now: {@code maxConcurrent}, or the adaptive limit. */
  public int concurrencyLimit() {
    return parts.bulkhead().limit();
  }

  public String name() {
    return name;
  }

  /** The target as last loaded. */
  public ResiliencePolicies.Target target() {
    return parts.target();
  }

  /** The breaker new calls go through. */
  public TargetBreaker breaker() {
    return parts.breaker();
  }

  /** The policy as last loaded. */
  public ResiliencePolicies.Policy policy() {
    return parts.policy();
  }

  /**
   * The delay before a hedged attempt now, in milliseconds: fixed, or the percentile of recent
   * successful attempts; -1 without a hedge.
   */
  public long hedgeDelayMs() {
    HedgeDelay delay = parts.hedgeDelay();
    return delay == null ? -1 : delay.millis();
  }

  /**
   * Counts a call its caller answered from the policy's fallback ({@code mode} names it) after the
   * call failed: {@code courier.resilience.fallbacks{target, mode}}.
   */
  public void fellBack(String mode) {
    policyMeters.fellBack(mode);
  }

  /** Second attempts started by hedging. */
  public long hedges() {
    return hedges.sum();
  }

  /** Calls the target within the caller's deadline (or only the target's own). */
  public <T> Future<T> call(
      Deadline callerDeadline, Function<ResilientCall.Attempt, Future<T>> attempt) {
    Parts parts = this.parts;
    ResiliencePolicies.Target target = parts.target();
    ResiliencePolicies.Policy policy = parts.policy();
    TargetBreaker breaker = parts.breaker();
    Bulkhead bulkhead = parts.bulkhead();
    Deadline deadline =
        Deadline.after(Duration.ofMillis(target.deadlineMs())).earliest(callerDeadline);
    HedgeDelay hedgeDelay = parts.hedgeDelay();
    Function<ResilientCall.Attempt, Future<T>> guarded =
        each -> {
          if (each.number() > 1) {
            policyMeters.retried();
          }
          long began = System.nanoTime();
          return bulkhead
              .execute(() -> breaker.execute(() -> attempt.apply(each)))
              .andThen(
                  done -> {
                    if (done.succeeded() && hedgeDelay != null) {
                      hedgeDelay.record(System.nanoTime() - began);
                    } else if (done.cause() instanceof CallRejectedException) {
                      policyMeters.rejected();
                    }
                  });
        };
    boolean hedge = hedgeDelay != null && target.idempotent();
    long start = System.nanoTime();
    return parts
        .retries()
        .call(
            deadline,
            target.idempotent(),
            hedge ? each -> hedged(each, hedgeDelay.millis(), guarded) : guarded)
        .andThen(ar -> policyMeters.finished(start, ar.failed() ? ar.cause() : null));
  }

  /**
   * Starts a second attempt when the first has not answered after the hedge delay; the first
   * success wins, and the call fails only when every started attempt failed. The slower attempt is
   * not cancelled (an event-bus request cannot be); its answer is ignored.
   */
  private <T> Future<T> hedged(
      ResilientCall.Attempt attempt,
      long afterMs,
      Function<ResilientCall.Attempt, Future<T>> call) {
    Promise<T> result = Promise.promise();
    AtomicInteger running = new AtomicInteger(1);
    Handler<AsyncResult<T>> settle =
        ar -> {
          if (ar.succeeded()) {
            result.tryComplete(ar.result());
          } else if (running.decrementAndGet() == 0) {
            result.tryFail(ar.cause());
          }
        };
    long timer =
        vertx.setTimer(
            afterMs,
            id -> {
              if (!result.future().isComplete()) {
                running.incrementAndGet();
                hedges.increment();
                policyMeters.hedged();
                Calls.start(() -> call.apply(attempt)).onComplete(settle);
              }
            });
    Calls.start(() -> call.apply(attempt)).onComplete(settle);
    result.future().onComplete(done -> vertx.cancelTimer(timer));
    return result.future();
  }
}
