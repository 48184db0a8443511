package io.courier.resilience;

import io.courier.runtime.metrics.Meters;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import io.vertx.circuitbreaker.CircuitBreakerState;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;

/**
 * The meters of the resilience layer, per target (a bounded set: the targets of the policy file):
 * calls by outcome with latency, retries, retry-budget decisions and use, bulkhead rejections,
 * breaker state and transitions, bulkhead occupancy and concurrency limit. Gauges read the target's
 * current {@link TargetPolicy}, so a policy reload (which builds new breakers and bulkheads) keeps
 * one series per target.
 */
final class PolicyMeters {

  /** The live policy of each target of one registry, read by the gauges. */
  private static final class Live {
    final Map<String, TargetPolicy> policies = new ConcurrentHashMap<>();
  }

  private final MeterRegistry registry;
  private final String target;
  private final Counter retries;
  private final Counter rejections;
  private final Counter hedges;
  private final Counter budgetGranted;
  private final Counter budgetDenied;

  /** One timer per outcome (a bounded set), looked up once rather than on every call. */
  private final Map<String, Timer> calls = new ConcurrentHashMap<>();

  private PolicyMeters(MeterRegistry registry, String target) {
    this.registry = registry;
    this.target = target;
    this.retries =
        Counter.builder("courier.resilience.retries")
            .description("Attempts after the first, per target")
            .tag("target", target)
            .register(registry);
    this.rejections =
        Counter.builder("courier.resilience.bulkhead.rejections")
            .description("Calls refused because the target's bulkhead and its queue were full")
            .tag("target", target)
            .register(registry);
    this.hedges =
        Counter.builder("courier.resilience.hedges")
            .description(
                "Second attempts started because the first was slower than the hedge delay")
            .tag("target", target)
            .register(registry);
    // Both outcomes from the start, so a rate over them is defined before the first retry.
    this.budgetGranted = budgetCounter(registry, target, "granted");
    this.budgetDenied = budgetCounter(registry, target, "denied");
  }

  private static Counter budgetCounter(MeterRegistry registry, String target, String outcome) {
    return Counter.builder("courier.resilience.retry.budget")
        .description("Retries the target's retry budget granted or denied")
        .tags("target", target, "outcome", outcome)
        .register(registry);
  }

  static PolicyMeters bind(Meters meters, TargetPolicy policy) {
    MeterRegistry registry = meters.registry();
    Map<String, TargetPolicy> live = meters.family(Live.class, r -> new Live()).policies;
    String target = policy.name();
    if (live.put(target, policy) == null) {
      Gauge.builder("courier.resilience.breaker.state", live, m -> state(m.get(target)))
          .description("Breaker state: 0 closed, 1 half-open, 2 open")
          .tag("target", target)
          .register(registry);
      Gauge.builder("courier.resilience.bulkhead.running", live, m -> m.get(target).running())
          .description("Calls running inside the target's bulkhead")
          .tag("target", target)
          .register(registry);
      Gauge.builder("courier.resilience.bulkhead.queued", live, m -> m.get(target).queued())
          .description("Calls waiting for the target's bulkhead")
          .tag("target", target)
          .register(registry);
      Gauge.builder(
              "courier.resilience.bulkhead.limit", live, m -> m.get(target).concurrencyLimit())
          .description(
              "Calls the target's bulkhead lets run at once: maxConcurrent, or the adaptive limit")
          .tag("target", target)
          .register(registry);
      Gauge.builder(
              "courier.resilience.retry.budget.used", live, m -> m.get(target).retryBudgetUsed())
          .description("Share of the retry budget's current window spent: 0 none, 1 all")
          .tag("target", target)
          .register(registry);
    }
    return new PolicyMeters(registry, target);
  }

  /** A breaker changed state. */
  static void transition(MeterRegistry registry, String target, String state) {
    Counter.builder("courier.resilience.breaker.transitions")
        .description("Breaker state changes, by the state entered")
        .tags("target", target, "state", state)
        .register(registry)
        .increment();
  }

  /**
   * A per-instance breaker changed state: counted by target and state only, since instance
   * addresses come and go (no unbounded labels).
   */
  static void instanceTransition(MeterRegistry registry, String target, String state) {
    Counter.builder("courier.resilience.instance.breaker.transitions")
        .description("Per-instance breaker state changes, by target and the state entered")
        .tags("target", target, "state", state)
        .register(registry)
        .increment();
  }

  void retried() {
    retries.increment();
  }

  void rejected() {
    rejections.increment();
  }

  /** A hedged (second) attempt started. */
  void hedged() {
    hedges.increment();
  }

  /**
   * Counts an answer served from a fallback instead of the target's: {@code
   * courier.resilience.fallbacks{target, mode}}.
   */
  void fellBack(String mode) {
    Counter.builder("courier.resilience.fallbacks")
        .description("Calls answered from a fallback (degraded) after the target's policy failed")
        .tags("target", target, "mode", mode)
        .register(registry)
        .increment();
  }

  /** The retry budget granted or denied a retry. */
  void budget(boolean granted) {
    (granted ? budgetGranted : budgetDenied).increment();
  }

  /** A whole call (all its attempts) ended. */
  void finished(long startNanos, Throwable failure) {
    calls
        .computeIfAbsent(
            outcome(failure),
            outcome ->
                Timer.builder("courier.resilience.calls")
                    .description("Calls through the resilience layer, all attempts included")
                    .tags("target", target, "outcome", outcome)
                    .register(registry))
        .record(System.nanoTime() - startNanos, TimeUnit.NANOSECONDS);
  }

  /** A bounded name for how a call ended: success, or why it stopped. */
  static String outcome(Throwable failure) {
    if (failure == null) {
      return "success";
    }
    if (failure instanceof CallFailedException failed) {
      String message = String.valueOf(failed.getMessage());
      if (message.contains("retry budget spent")) {
        return "budget_spent";
      }
      return failed.failure().failureClass().name().toLowerCase(Locale.ROOT);
    }
    return FailureClassifier.classify(failure).failureClass().name().toLowerCase(Locale.ROOT);
  }

  private static double state(TargetPolicy policy) {
    if (policy == null) {
      return Double.NaN;
    }
    CircuitBreakerState state = policy.breaker().state();
    return switch (state) {
      case CLOSED -> 0;
      case HALF_OPEN -> 1;
      case OPEN -> 2;
    };
  }
}
