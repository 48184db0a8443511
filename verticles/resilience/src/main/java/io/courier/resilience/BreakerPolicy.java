package io.courier.resilience;

import java.time.Duration;

/**
 * When a target's breaker opens: over a rolling window, once at least {@code minCalls} calls were
 * made, when the share of failures reaches {@code failureRatio} or the share of calls slower than
 * {@code slowCallThreshold} reaches {@code slowCallRatio}. Only network, timeout and server
 * failures count: a client error is the caller's fault, not the callee's.
 *
 * @param failureRatio 0..1
 * @param slowCallRatio 0..1 (1 disables the slow-call rule in practice)
 * @param slowCallThreshold what counts as slow
 * @param minCalls calls in the window before the ratios are judged
 * @param window the rolling window
 * @param openDuration how long the breaker stays open before a probe is let through
 * @param halfOpenProbes successful probes in a row that close a half-open breaker; any counted
 *     failure among them opens it again
 */
public record BreakerPolicy(
    double failureRatio,
    double slowCallRatio,
    Duration slowCallThreshold,
    int minCalls,
    Duration window,
    Duration openDuration,
    int halfOpenProbes) {

  /** A policy that closes after one good probe. */
  public BreakerPolicy(
      double failureRatio,
      double slowCallRatio,
      Duration slowCallThreshold,
      int minCalls,
      Duration window,
      Duration openDuration) {
    this(failureRatio, slowCallRatio, slowCallThreshold, minCalls, window, openDuration, 1);
  }

  public BreakerPolicy {
    if (halfOpenProbes < 1) {
      throw new IllegalArgumentException("halfOpenProbes must be >= 1, was " + halfOpenProbes);
    }
    ratio(failureRatio, "failureRatio");
    ratio(slowCallRatio, "slowCallRatio");
    positive(slowCallThreshold, "slowCallThreshold");
    positive(window, "window");
    positive(openDuration, "openDuration");
    if (minCalls < 1) {
      throw new IllegalArgumentException("minCalls must be >= 1, was " + minCalls);
    }
  }

  private static void ratio(double value, String name) {
    if (!(value > 0 && value <= 1)) {
      throw new IllegalArgumentException(name + " must be in (0, 1], was " + value);
    }
  }

  private static void positive(Duration value, String name) {
    if (value == null || value.isNegative() || value.isZero()) {
      throw new IllegalArgumentException(name + " must be positive, was " + value);
    }
  }
}
