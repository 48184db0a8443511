package io.courier.resilience.impl;

import java.time.Duration;
import java.util.function.LongSupplier;

/** Calls, failures and slow calls over a rolling window of ten buckets, on an injected clock. */
public final class RollingCounts {

  private static final int BUCKETS = 10;

  private final long bucketNanos;
  private final LongSupplier clock;
  private final long[] calls = new long[BUCKETS];
  private final long[] failures = new long[BUCKETS];
  private final long[] slow = new long[BUCKETS];
  private long currentBucket;

  public RollingCounts(Duration window, LongSupplier nanoClock) {
    this.bucketNanos = Math.max(1, window.toNanos() / BUCKETS);
    this.clock = nanoClock;
    this.currentBucket = nanoClock.getAsLong() / bucketNanos;
  }

  public synchronized void record(boolean failed, boolean wasSlow) {
    advance();
    int index = (int) (currentBucket % BUCKETS);
    calls[index]++;
    if (failed) {
      failures[index]++;
    }
    if (wasSlow) {
      slow[index]++;
    }
  }

  /** Totals over the window: {calls, failures, slow}. */
  public synchronized long[] totals() {
    advance();
    long[] totals = new long[3];
    for (int i = 0; i < BUCKETS; i++) {
      totals[0] += calls[i];
      totals[1] += failures[i];
      totals[2] += slow[i];
    }
    return totals;
  }

  public synchronized void reset() {
    java.util.Arrays.fill(calls, 0);
    java.util.Arrays.fill(failures, 0);
    java.util.Arrays.fill(slow, 0);
  }

  private void advance() {
    long bucket = clock.getAsLong() / bucketNanos;
    long steps = Math.min(BUCKETS, bucket - currentBucket);
    for (long i = 1; i <= steps; i++) {
      int index = (int) ((currentBucket + i) % BUCKETS);
      calls[index] = 0;
      failures[index] = 0;
      slow[index] = 0;
    }
    currentBucket = Math.max(currentBucket, bucket);
  }
}
