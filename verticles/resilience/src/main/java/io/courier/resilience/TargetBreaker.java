package io.courier.resilience;

import io.courier.resilience.impl.Calls;
import io.courier.resilience.impl.RollingCounts;
import io.courier.runtime.metrics.Meters;
import io.micrometer.core.instrument.MeterRegistry;
import io.vertx.circuitbreaker.CircuitBreaker;
import io.vertx.circuitbreaker.CircuitBreakerOptions;
import io.vertx.circuitbreaker.CircuitBreakerState;
import io.vertx.circuitbreaker.OpenCircuitException;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import java.util.EnumSet;
import java.util.Set;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.LongSupplier;
import java.util.function.Supplier;

/**
 * The circuit breaker of one target, or of one instance of a target. vertx-circuit-breaker runs the
 * state machine (closed, open, half-open with one probe, back to closed on its success); Courier
 * decides when to open it, from a rolling-window failure ratio and slow-call ratio ({@link
 * BreakerPolicy}), which vertx-circuit-breaker lacks (its own counters are consecutive or
 * cumulative). When the policy asks for more than one half-open probe, the breaker stays half-open
 * after vertx-circuit-breaker's first good probe until {@code halfOpenProbes} probes in all have
 * succeeded, letting at most the probes still needed run at once; any failed or slow probe opens it
 * again. Its timeout is not used: attempts are timed by {@link ResilientCall} on the caller's
 * context. Every state change is published on {@link #STATE_ADDRESS} and counted.
 */
public final class TargetBreaker {

  /**
   * Event-bus address of state changes: {@code {"target", "state"}}, plus {@code "instance"} for a
   * per-instance breaker.
   */
  public static final String STATE_ADDRESS = "courier.resilience.breaker";

  private static final int CALLS = 0;
  private static final int FAILURES = 1;
  private static final int SLOW = 2;

  private static final Set<FailureClass> COUNTED =
      EnumSet.of(FailureClass.NETWORK, FailureClass.TIMEOUT, FailureClass.SERVER_ERROR);

  private final Vertx vertx;
  private final MeterRegistry registry;
  private final String target;
  private final String instance;
  private final BreakerPolicy policy;
  private final LongSupplier clock;
  private final RollingCounts window;
  private final CircuitBreaker breaker;
  private final AtomicLong transitions = new AtomicLong();

  /** Guards the probe state below; taken inside vertx-circuit-breaker's lock, never around it. */
  private final Object probes = new Object();

  private boolean halfOpen;
  private boolean probation;
  private int probeSuccesses;
  private int probesRunning;

  /**
   * @param meters where state changes are counted
   */
  public TargetBreaker(
      Vertx vertx, Meters meters, String target, BreakerPolicy policy, LongSupplier nanoClock) {
    this(vertx, meters, target, null, policy, nanoClock);
  }

  /**
   * @param instance the instance this breaker guards (its address), or null for the whole target
   */
  public TargetBreaker(
      Vertx vertx,
      Meters meters,
      String target,
      String instance,
      BreakerPolicy policy,
      LongSupplier nanoClock) {
    this.vertx = vertx;
    this.registry = meters.registry();
    this.target = target;
    this.instance = instance;
    this.policy = policy;
    this.clock = nanoClock;
    this.window = new RollingCounts(3, policy.window(), nanoClock);
    this.breaker =
        CircuitBreaker.create(
            "courier-" + target + (instance == null ? "" : "@" + instance),
            vertx,
            new CircuitBreakerOptions()
                .setMaxFailures(Integer.MAX_VALUE)
                .setTimeout(-1)
                .setMaxRetries(0)
                .setFallbackOnFailure(false)
                .setResetTimeout(policy.openDuration().toMillis()));
    breaker.failurePolicy(future -> future.failed() && counts(future.cause()));
    breaker.openHandler(
        v -> {
          synchronized (probes) {
            halfOpen = false;
            probation = false;
          }
          changed("OPEN");
        });
    breaker.halfOpenHandler(
        v -> {
          synchronized (probes) {
            halfOpen = true;
          }
          changed("HALF_OPEN");
        });
    breaker.closeHandler(
        v -> {
          window.reset();
          boolean moreProbes;
          synchronized (probes) {
            moreProbes = halfOpen && policy.halfOpenProbes() > 1;
            halfOpen = false;
            probation = moreProbes;
            probeSuccesses = 1;
            probesRunning = 0;
          }
          if (!moreProbes) {
            changed("CLOSED");
          }
        });
  }

  /** Runs the call unless the breaker is open (then fails at once with OpenCircuitException). */
  public <T> Future<T> execute(Supplier<Future<T>> call) {
    boolean probe;
    synchronized (probes) {
      probe = probation;
      if (probe) {
        if (probesRunning + probeSuccesses >= policy.halfOpenProbes()) {
          return Future.failedFuture(OpenCircuitException.INSTANCE);
        }
        probesRunning++;
      }
    }
    if (!probe) {
      // Outside the probe lock: vertx-circuit-breaker takes its own lock and calls back into ours.
      return guarded(call);
    }
    long begin = clock.getAsLong();
    return Calls.start(call).andThen(ar -> probed(ar.failed() ? ar.cause() : null, begin));
  }

  private <T> Future<T> guarded(Supplier<Future<T>> call) {
    long begin = clock.getAsLong();
    return breaker
        .<T>execute(call)
        .andThen(
            ar -> {
              boolean slow = clock.getAsLong() - begin >= policy.slowCallThreshold().toNanos();
              boolean failed = ar.failed() && counts(ar.cause());
              boolean inProbation;
              synchronized (probes) {
                inProbation = probation;
                if (inProbation && (failed || slow)) {
                  probation = false;
                }
              }
              if (inProbation) {
                // A call let through just as the first probe closed the breaker: its failure
                // counts like a probe's.
                if (failed || slow) {
                  breaker.open();
                }
                return;
              }
              if (breaker.state() != CircuitBreakerState.CLOSED) {
                return;
              }
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

  /** A further half-open probe ended. */
  private void probed(Throwable failure, long begin) {
    boolean bad =
        (failure != null && counts(failure))
            || clock.getAsLong() - begin >= policy.slowCallThreshold().toNanos();
    boolean reopen = false;
    boolean close = false;
    synchronized (probes) {
      if (!probation) {
        return;
      }
      probesRunning--;
      if (bad) {
        probation = false;
        reopen = true;
      } else if (++probeSuccesses >= policy.halfOpenProbes()) {
        probation = false;
        close = true;
      }
    }
    if (reopen) {
      breaker.open();
    } else if (close) {
      window.reset();
      changed("CLOSED");
    }
  }

  /** The state: half-open until every probe the policy asks for has succeeded. */
  public CircuitBreakerState state() {
    synchronized (probes) {
      if (probation) {
        return CircuitBreakerState.HALF_OPEN;
      }
    }
    return breaker.state();
  }

  /** Whether a call would be let through now (closed, or a half-open probe place is free). */
  public boolean admits() {
    synchronized (probes) {
      if (probation) {
        return probesRunning + probeSuccesses < policy.halfOpenProbes();
      }
    }
    return breaker.state() != CircuitBreakerState.OPEN;
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
    JsonObject event = new JsonObject().put("target", target).put("state", state);
    if (instance == null) {
      PolicyMeters.transition(registry, target, state);
    } else {
      PolicyMeters.instanceTransition(registry, target, state);
      event.put("instance", instance);
    }
    vertx.eventBus().publish(STATE_ADDRESS, event);
  }
}
