package io.courier.resilience;

import io.courier.resilience.impl.RollingCounts;
import io.vertx.circuitbreaker.CircuitBreaker;
import io.vertx.circuitbreaker.CircuitBreakerOptions;
import io.vertx.circuitbreaker.CircuitBreakerState;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import java.util.EnumSet;
import java.util.Set;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.LongSupplier;
import java.util.function.Supplier;

/**
 * The circuit breaker of one target. vertx-circuit-breaker runs the state machine (closed, open,
 * half-open with one probe, back to closed on its success); Courier decides when to open it, from a
 * rolling-window failure ratio and slow-call ratio ({@link BreakerPolicy}), which
 * vertx-circuit-breaker lacks (its own counters are consecutive or cumulative). Its timeout is not
 * used: attempts are timed by {@link ResilientCall} on the caller's context. Every state change is
 * published on {@link #STATE_ADDRESS} and counted.
 */
public final class TargetBreaker {

  /** Event-bus address of state changes: {@code {"target", "state"}}. */
  public static final String STATE_ADDRESS = "courier.resilience.breaker";

  private static final int CALLS = 0;
  private static final int FAILURES = 1;
  private static final int SLOW = 2;

  private static final Set<FailureClass> COUNTED =
      EnumSet.of(FailureClass.NETWORK, FailureClass.TIMEOUT, FailureClass.SERVER_ERROR);

  private final Vertx vertx;
  private final String target;
  private final BreakerPolicy policy;
  private final LongSupplier clock;
  private final RollingCounts window;
  private final CircuitBreaker breaker;
  private final AtomicLong transitions = new AtomicLong();

  public TargetBreaker(Vertx vertx, String target, BreakerPolicy policy, LongSupplier nanoClock) {
    this.vertx = vertx;
    this.target = target;
    this.policy = policy;
    this.clock = nanoClock;
    this.window = new RollingCounts(3, policy.window(), nanoClock);
    this.breaker =
        CircuitBreaker.create(
            "courier-" + target,
            vertx,
            new CircuitBreakerOptions()
                .setMaxFailures(Integer.MAX_VALUE)
                .setTimeout(-1)
                .setMaxRetries(0)
                .setFallbackOnFailure(false)
                .setResetTimeout(policy.openDuration().toMillis()));
    breaker.failurePolicy(future -> future.failed() && counts(future.cause()));
    breaker.openHandler(v -> changed("OPEN"));
    breaker.halfOpenHandler(v -> changed("HALF_OPEN"));
    breaker.closeHandler(
        v -> {
          window.reset();
          changed("CLOSED");
        });
  }

  /** Runs the call unless the breaker is open (then fails at once with OpenCircuitException). */
  public <T> Future<T> execute(Supplier<Future<T>> call) {
    long begin = clock.getAsLong();
    return breaker
        .<T>execute(call)
        .andThen(
            ar -> {
              if (breaker.state() != CircuitBreakerState.CLOSED) {
                return;
              }
              boolean slow = clock.getAsLong() - begin >= policy.slowCallThreshold().toNanos();
              boolean failed = ar.failed() && counts(ar.cause());
              if (ar.failed() && !failed && !slow) {
                return;
              }
              window.increment(CALLS);
              if (failed) {
                window.increment(FAILURES);
              }
              if (slow) {
                window.increment(SLOW);
              }
              if (shouldOpen()) {
                breaker.open();
              }
            });
  }

  public CircuitBreakerState state() {
    return breaker.state();
  }

  /** State changes since creation. */
  public long transitions() {
    return transitions.get();
  }

  private boolean shouldOpen() {
    long calls = window.sum(CALLS);
    if (calls < policy.minCalls()) {
      return false;
    }
    return (double) window.sum(FAILURES) / calls >= policy.failureRatio()
        || (double) window.sum(SLOW) / calls >= policy.slowCallRatio();
  }

  private static boolean counts(Throwable failure) {
    return COUNTED.contains(FailureClassifier.classify(failure).failureClass());
  }

  private void changed(String state) {
    transitions.incrementAndGet();
    PolicyMeters.transition(vertx, target, state);
    vertx
        .eventBus()
        .publish(STATE_ADDRESS, new JsonObject().put("target", target).put("state", state));
  }
}
