package io.courier.resilience.impl;

import java.time.Duration;
import java.util.Arrays;
import java.util.function.LongSupplier;

/**
 * A few counters over a rolling window of ten buckets, on an injected clock: the retry budget
 * counts calls and retries, a breaker calls, failures and slow calls.
 */
public final class RollingCounts {

  private static final int BUCKETS = 10;

  private final long bucketNanos;
  private final LongSupplier clock;
  private final long[][] counts;
  private long currentBucket;

  /**
   * @param kinds how many counters
   * @param window the rolling window
   * @param nanoClock monotonic nanoseconds
   */
  public RollingCounts(int kinds, Duration window, LongSupplier nanoClock) {
    this.bucketNanos = Math.max(1, window.toNanos() / BUCKETS);
    this.clock = nanoClock;
    this.counts = new long[kinds][BUCKETS];
    this.currentBucket = nanoClock.getAsLong() / bucketNanos;
  }

  /** Adds one to counter {@code kind} in the current bucket. */
  public synchronized void increment(int kind) {
    advance();
    counts[kind][(int) (currentBucket % BUCKETS)]++;
  }

  /** Counter {@code kind} summed over the window. */
  public synchronized long sum(int kind) {
    advance();
    long sum = 0;
    for (long count : counts[kind]) {
      sum += count;
    }
    return sum;
  }

  public synchronized void reset() {
    for (long[] kind : counts) {
      Arrays.fill(kind, 0);
    }
  }

  private void advance() {
    long bucket = clock.getAsLong() / bucketNanos;
    long steps = Math.min(BUCKETS, bucket - currentBucket);
    for (long i = 1; i <= steps; i++) {
      int index = (int) ((currentBucket + i) % BUCKETS);
      for (long[] kind : counts) {
        kind[index] = 0;
      }
    }
    currentBucket = Math.max(currentBucket, bucket);
  }
}
