package io.courier.resilience.impl;

import io.courier.resilience.AdaptiveLimitPolicy;
import io.courier.resilience.ConcurrencyLimit;

/**
 * Additive increase, multiplicative decrease: the limit grows by one after {@code limit} fast calls
 * (about one per round trip), and a slow or dropped call multiplies it by the back-off ratio, at
 * most once per round trip (a call that was already running when the limit last backed off is old
 * news).
 */
public final class AimdLimit implements ConcurrencyLimit {

  private final AdaptiveLimitPolicy policy;
  private final long thresholdNanos;
  private int limit;
  private int fastCalls;
  private long lastBackoffNanos;
  private boolean backedOff;

  public AimdLimit(AdaptiveLimitPolicy policy) {
    if (policy.algorithm() != AdaptiveLimitPolicy.Algorithm.AIMD) {
      throw new IllegalArgumentException("not an AIMD policy: " + policy.algorithm());
    }
    this.policy = policy;
    this.thresholdNanos = policy.latencyThreshold().toNanos();
    this.limit = policy.initialLimit();
  }

  @Override
  public synchronized int limit() {
    return limit;
  }

  @Override
  public synchronized void onSample(long startNanos, long rttNanos, int inflight, boolean dropped) {
    if (dropped || rttNanos > thresholdNanos) {
      if (backedOff && startNanos - lastBackoffNanos < 0) {
        return;
      }
      limit = Math.max(policy.minLimit(), (int) (limit * policy.backoffRatio()));
      fastCalls = 0;
      lastBackoffNanos = startNanos + rttNanos;
      backedOff = true;
    } else if (inflight * 2 >= limit && limit < policy.maxLimit() && ++fastCalls >= limit) {
      limit++;
      fastCalls = 0;
    }
  }
}
