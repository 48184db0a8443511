package io.courier.resilience;

import java.time.Duration;

/**
 * How a bulkhead's concurrency limit adapts to the target's latency, between {@code minLimit} and
 * {@code maxLimit}, starting at {@code initialLimit}.
 *
 * <ul>
 *   <li>{@link Algorithm#AIMD}: a call slower than {@code latencyThreshold}, or one that failed
 *       with a timeout or an overload from the callee, multiplies the limit by {@code backoffRatio}
 *       (at most once per round trip: calls already in flight when the limit backed off do not back
 *       it off again); every other call adds {@code 1 / limit}, so the limit grows by about one per
 *       round trip.
 *   <li>{@link Algorithm#GRADIENT} (after Netflix concurrency-limits' Gradient2): every {@code
 *       windowSize} calls, the short latency (their average) is compared with the long latency (an
 *       exponential moving average over {@code longWindow} windows). The gradient {@code tolerance
 *       x long / short}, kept within [0.5, 1], scales the limit, and a queue allowance of {@code
 *       sqrt(limit)} is added; the new limit moves toward that by {@code smoothing}. Latency rising
 *       above {@code tolerance} times its usual level shrinks the limit, steady or falling latency
 *       lets it grow.
 * </ul>
 *
 * Under both, the limit does not grow while fewer than half its places are used: a lightly used
 * target has not proven it can take more.
 *
 * @param algorithm how the limit adapts
 * @param minLimit the limit never goes below this, >= 1
 * @param maxLimit nor above this
 * @param initialLimit where it starts
 * @param latencyThreshold AIMD: slower calls are a drop signal; null for gradient
 * @param backoffRatio AIMD: the factor applied on a drop signal, in (0, 1)
 * @param windowSize gradient: calls per update
 * @param longWindow gradient: windows the long latency averages over
 * @param smoothing gradient: how far each update moves the limit, in (0, 1]
 * @param tolerance gradient: how much slower than usual latency may be before the limit shrinks, >=
 *     1
 */
public record AdaptiveLimitPolicy(
    Algorithm algorithm,
    int minLimit,
    int maxLimit,
    int initialLimit,
    Duration latencyThreshold,
    double backoffRatio,
    int windowSize,
    int longWindow,
    double smoothing,
    double tolerance) {

  /** How the limit adapts. */
  public enum Algorithm {
    /** Additive increase, multiplicative decrease on slow or dropped calls. */
    AIMD,
    /** The ratio of long-term to recent latency. */
    GRADIENT
  }

  public AdaptiveLimitPolicy {
    if (algorithm == null) {
      throw new IllegalArgumentException("algorithm is required");
    }
    if (minLimit < 1) {
      throw new IllegalArgumentException("minLimit must be >= 1, was " + minLimit);
    }
    if (maxLimit < minLimit) {
      throw new IllegalArgumentException("maxLimit must be >= minLimit, was " + maxLimit);
    }
    if (initialLimit < minLimit || initialLimit > maxLimit) {
      throw new IllegalArgumentException(
          "initialLimit must be in [minLimit, maxLimit], was " + initialLimit);
    }
    if (algorithm == Algorithm.AIMD) {
      if (latencyThreshold == null || latencyThreshold.isNegative() || latencyThreshold.isZero()) {
        throw new IllegalArgumentException(
            "latencyThreshold must be positive, was " + latencyThreshold);
      }
      if (!(backoffRatio > 0 && backoffRatio < 1)) {
        throw new IllegalArgumentException("backoffRatio must be in (0, 1), was " + backoffRatio);
      }
    } else {
      if (windowSize < 1) {
        throw new IllegalArgumentException("windowSize must be >= 1, was " + windowSize);
      }
      if (longWindow < 1) {
        throw new IllegalArgumentException("longWindow must be >= 1, was " + longWindow);
      }
      if (!(smoothing > 0 && smoothing <= 1)) {
        throw new IllegalArgumentException("smoothing must be in (0, 1], was " + smoothing);
      }
      if (!(tolerance >= 1)) {
        throw new IllegalArgumentException("tolerance must be >= 1, was " + tolerance);
      }
    }
  }

  /** An AIMD policy. */
  public static AdaptiveLimitPolicy aimd(
      int minLimit,
      int maxLimit,
      int initialLimit,
      Duration latencyThreshold,
      double backoffRatio) {
    return new AdaptiveLimitPolicy(
        Algorithm.AIMD,
        minLimit,
        maxLimit,
        initialLimit,
        latencyThreshold,
        backoffRatio,
        0,
        0,
        0,
        0);
  }

  /** A gradient policy. */
  public static AdaptiveLimitPolicy gradient(
      int minLimit,
      int maxLimit,
      int initialLimit,
      int windowSize,
      int longWindow,
      double smoothing,
      double tolerance) {
    return new AdaptiveLimitPolicy(
        Algorithm.GRADIENT,
        minLimit,
        maxLimit,
        initialLimit,
        null,
        0,
        windowSize,
        longWindow,
        smoothing,
        tolerance);
  }
}
