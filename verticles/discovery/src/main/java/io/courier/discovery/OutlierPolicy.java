package io.courier.discovery;

import java.time.Duration;

/**
 * When an instance stops receiving calls: after {@code consecutiveFailures} failures in a row it is
 * ejected for {@code baseEjection}, doubled at each further ejection up to {@code maxEjection};
 * never more than {@code maxEjectionPercent} of the instances are out at once (the ones ejected
 * longest ago come back first).
 *
 * @param consecutiveFailures failures in a row that eject
 * @param baseEjection first ejection time
 * @param maxEjection longest ejection time
 * @param maxEjectionPercent 0..100
 */
public record OutlierPolicy(
    int consecutiveFailures, Duration baseEjection, Duration maxEjection, int maxEjectionPercent) {

  public OutlierPolicy {
    if (consecutiveFailures < 1) {
      throw new IllegalArgumentException(
          "consecutiveFailures must be >= 1, was " + consecutiveFailures);
    }
    if (baseEjection.isNegative() || baseEjection.isZero()) {
      throw new IllegalArgumentException("baseEjection must be positive, was " + baseEjection);
    }
    if (maxEjection.compareTo(baseEjection) < 0) {
      throw new IllegalArgumentException("maxEjection must be >= baseEjection");
    }
    if (maxEjectionPercent < 0 || maxEjectionPercent > 100) {
      throw new IllegalArgumentException(
          "maxEjectionPercent must be 0..100, was " + maxEjectionPercent);
    }
  }
}
