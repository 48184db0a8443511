package io.courier.resilience.impl;

import io.courier.resilience.AdaptiveLimitPolicy;
import io.courier.resilience.ConcurrencyLimit;

/**
 * A simplified Gradient2 (Netflix concurrency-limits): every {@code windowSize} calls, the limit is
 * scaled by {@code tolerance x longRtt / shortRtt} (kept within [0.5, 1]) plus a queue allowance of
 * {@code sqrt(limit)}, and moves toward that by {@code smoothing}. {@code shortRtt} is the average
 * latency of the window, {@code longRtt} an exponential moving average of the windows' averages;
 * when latency falls well below the long average (half of it), the long average is pulled down
 * faster so the limit recovers. A timed-out call counts with the time it took.
 */
public final class GradientLimit implements ConcurrencyLimit {

  private final AdaptiveLimitPolicy policy;
  private final double alpha;
  private double limit;
  private double longRtt;
  private long windowSum;
  private int windowCount;
  private int windowMaxInflight;

  public GradientLimit(AdaptiveLimitPolicy policy) {
    if (policy.algorithm() != AdaptiveLimitPolicy.Algorithm.GRADIENT) {
      throw new IllegalArgumentException("not a gradient policy: " + policy.algorithm());
    }
    this.policy = policy;
    this.alpha = 2.0 / (policy.longWindow() + 1);
    this.limit = policy.initialLimit();
  }

  @Override
  public synchronized int limit() {
    return (int) limit;
  }

  @Override
  public synchronized void onSample(long startNanos, long rttNanos, int inflight, boolean dropped) {
    windowSum += Math.max(1, rttNanos);
    windowCount++;
    windowMaxInflight = Math.max(windowMaxInflight, inflight);
    if (windowCount < policy.windowSize()) {
      return;
    }
    double shortRtt = (double) windowSum / windowCount;
    int maxInflight = windowMaxInflight;
    windowSum = 0;
    windowCount = 0;
    windowMaxInflight = 0;
    if (longRtt == 0) {
      longRtt = shortRtt;
      return;
    }
    longRtt = longRtt * (1 - alpha) + shortRtt * alpha;
    if (longRtt / shortRtt > 2) {
      longRtt *= 0.95;
    }
    if (maxInflight * 2 < (int) limit) {
      return;
    }
    double gradient = Math.max(0.5, Math.min(1.0, policy.tolerance() * longRtt / shortRtt));
    double target = limit * gradient + Math.sqrt(limit);
    double next = limit * (1 - policy.smoothing()) + target * policy.smoothing();
    limit = Math.max(policy.minLimit(), Math.min(policy.maxLimit(), next));
  }
}
