package io.courier.resilience;

import io.courier.resilience.impl.RollingCounts;
import java.time.Duration;
import java.util.function.LongSupplier;

/**
 * Limits retries to a share of calls over a rolling window plus a fixed allowance, so a dependency
 * that fails completely sees at most {@code calls x (1 + ratio) + minRetries} attempts per window
 * instead of {@code calls x maxAttempts}: no retry storm. This is Envoy's retry budget adapted to a
 * window: Envoy counts concurrent requests, which lets sequential callers retry every time.
 *
 * <p>Thread-safe; time comes from the given clock, so tests drive it.
 */
public final class RetryBudget {

  private static final int CALLS = 0;
  private static final int RETRIES = 1;

  private final double ratio;
  private final int minRetries;
  private final RollingCounts window;
  private final Listener listener;

  /** Told of every retry the budget grants or refuses, e.g. to count them. */
  @FunctionalInterface
  public interface Listener {
    /**
     * @param granted whether the retry was allowed
     */
    void decided(boolean granted);
  }

  /**
   * @param ratio retries allowed per call over the window, e.g. 0.2
   * @param minRetries retries always allowed per window, whatever the call count
   * @param window the rolling window
   * @param nanoClock monotonic nanoseconds
   */
  public RetryBudget(double ratio, int minRetries, Duration window, LongSupplier nanoClock) {
    this(ratio, minRetries, window, nanoClock, granted -> {});
  }

  /**
   * @param ratio retries allowed per call over the window, e.g. 0.2
   * @param minRetries retries always allowed per window, whatever the call count
   * @param window the rolling window
   * @param nanoClock monotonic nanoseconds
   * @param listener told of each decision of {@link #tryAcquireRetry()}
   */
  public RetryBudget(
      double ratio, int minRetries, Duration window, LongSupplier nanoClock, Listener listener) {
    if (ratio < 0 || ratio > 1) {
      throw new IllegalArgumentException("ratio must be 0..1, was " + ratio);
    }
    if (minRetries < 0) {
      throw new IllegalArgumentException("minRetries must be >= 0, was " + minRetries);
    }
    if (window.isNegative() || window.isZero()) {
      throw new IllegalArgumentException("window must be positive, was " + window);
    }
    this.ratio = ratio;
    this.minRetries = minRetries;
    this.window = new RollingCounts(2, window, nanoClock);
    this.listener = listener;
  }

  /** A budget that allows every retry. */
  public static RetryBudget unlimited() {
    return new RetryBudget(1, Integer.MAX_VALUE, Duration.ofSeconds(10), System::nanoTime);
  }

  /** Counts one call (its first attempt). */
  public void recordCall() {
    window.increment(CALLS);
  }

  /** Takes one retry from the budget; false when the window's share is spent. */
  public boolean tryAcquireRetry() {
    boolean granted;
    synchronized (this) {
      granted = window.sum(RETRIES) < allowed();
      if (granted) {
        window.increment(RETRIES);
      }
    }
    listener.decided(granted);
    return granted;
  }

  /**
   * The share of this window's retries already taken: 0 when none, 1 when spent. With {@code
   * minRetries} of 0 and no calls in the window nothing may be retried, which counts as spent.
   */
  public synchronized double used() {
    long allowed = allowed();
    return allowed == 0 ? 1 : Math.min(1, (double) window.sum(RETRIES) / allowed);
  }

  private long allowed() {
    return (long) Math.floor(ratio * window.sum(CALLS)) + minRetries;
  }
}
