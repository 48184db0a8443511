package io.courier.resilience;

import java.time.Duration;
import java.util.Objects;
import java.util.random.RandomGenerator;

/**
 * How one target's calls are attempted.
 *
 * @param maxAttempts attempts per call, the first included (1 = no retry)
 * @param baseDelay back-off before the first retry's jitter; doubles per retry
 * @param maxDelay cap of the back-off
 * @param attemptTimeout how long one attempt may take (the overall deadline may cut it shorter)
 */
public record RetryPolicy(
    int maxAttempts, Duration baseDelay, Duration maxDelay, Duration attemptTimeout) {

  public RetryPolicy {
    if (maxAttempts < 1) {
      throw new IllegalArgumentException("maxAttempts must be >= 1, was " + maxAttempts);
    }
    requirePositive(baseDelay, "baseDelay");
    requirePositive(maxDelay, "maxDelay");
    requirePositive(attemptTimeout, "attemptTimeout");
    if (maxDelay.compareTo(baseDelay) < 0) {
      throw new IllegalArgumentException("maxDelay must be >= baseDelay");
    }
  }

  /** Full jitter: a uniform delay between zero and the capped exponential back-off. */
  public Duration backoff(int retry, RandomGenerator random) {
    double exponential = baseDelay.toNanos() * Math.pow(2, Math.max(0, retry - 1));
    long cap = (long) Math.min(maxDelay.toNanos(), exponential);
    return Duration.ofNanos(cap <= 0 ? 0 : random.nextLong(cap + 1));
  }

  private static void requirePositive(Duration value, String name) {
    Objects.requireNonNull(value, name);
    if (value.isNegative() || value.isZero()) {
      throw new IllegalArgumentException(name + " must be positive, was " + value);
    }
  }
}
