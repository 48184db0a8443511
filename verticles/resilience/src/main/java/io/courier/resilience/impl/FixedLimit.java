package io.courier.resilience.impl;

import io.courier.resilience.ConcurrencyLimit;

/** A limit that never changes: the bulkhead's {@code maxConcurrent}. */
public final class FixedLimit implements ConcurrencyLimit {

  private final int limit;

  public FixedLimit(int limit) {
    if (limit < 1) {
      throw new IllegalArgumentException("maxConcurrent must be >= 1, was " + limit);
    }
    this.limit = limit;
  }

  @Override
  public int limit() {
    return limit;
  }

  @Override
  public void onSample(long startNanos, long rttNanos, int inflight, boolean dropped) {}
}
