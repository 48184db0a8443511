package io.courier.discovery;

import java.time.Duration;

/**
 * When an instance stops receiving calls: after {@code consecutiveFailures} failures in a row, or
 * once at least {@code minRequests} calls in the current {@code interval} failed at {@code
 * failureRatio} or more, it is ejected for {@code baseEjection}, doubled at each further ejection
 * up to {@code maxEjection}. The doubling decays: each {@code maxEjection} an instance spends back
 * in rotation without being ejected halves its next ejection again. Never more than {@code
 * maxEjectionPercent} of the instances are out at once (the ones ejected longest ago come back
 * first).
 *
 * @param consecutiveFailures failures in a row that eject
 * @param failureRatio 0..1; the share of failed calls in an interval that ejects (1 still ejects an
 *     instance failing every call)
 * @param minRequests calls in an interval before its failure ratio is judged
 * @param interval the window the failure ratio is counted over
 * @param baseEjection first ejection time
 * @param maxEjection longest ejection time
 * @param maxEjectionPercent 0..100
 */
public record OutlierPolicy(
    int consecutiveFailures,
    double failureRatio,
    int minRequests,
    Duration interval,
    Duration baseEjection,
    Duration maxEjection,
    int maxEjectionPercent) {

  /** Consecutive failures only (the ratio rule off). */
  public OutlierPolicy(
      int consecutiveFailures,
      Duration baseEjection,
      Duration maxEjection,
      int maxEjectionPercent) {
    this(
        consecutiveFailures,
        1.0,
        Integer.MAX_VALUE,
        Duration.ofSeconds(10),
        baseEjection,
        maxEjection,
        maxEjectionPercent);
  }

  public OutlierPolicy {
    if (consecutiveFailures < 1) {
      throw new IllegalArgumentException(
          "consecutiveFailures must be >= 1, was " + consecutiveFailures);
    }
    if (!(failureRatio > 0 && failureRatio <= 1)) {
      throw new IllegalArgumentException("failureRatio must be in (0, 1], was " + failureRatio);
    }
    if (minRequests < 1) {
      throw new IllegalArgumentException("minRequests must be >= 1, was " + minRequests);
    }
    if (interval == null || interval.isNegative() || interval.isZero()) {
      throw new IllegalArgumentException("interval must be positive, was " + interval);
    }
    if (baseEjection == null || baseEjection.isNegative() || baseEjection.isZero()) {
      throw new IllegalArgumentException("baseEjection must be positive, was " + baseEjection);
    }
    if (maxEjection == null || maxEjection.compareTo(baseEjection) < 0) {
      throw new IllegalArgumentException("maxEjection must be >= baseEjection");
    }
    if (maxEjectionPercent < 0 || maxEjectionPercent > 100) {
      throw new IllegalArgumentException(
          "maxEjectionPercent must be 0..100, was " + maxEjectionPercent);
    }
  }
}
