package io.courier.resilience;

import io.courier.resilience.impl.AimdLimit;
import io.courier.resilience.impl.FixedLimit;
import io.courier.resilience.impl.GradientLimit;

/**
 * How many calls a {@link Bulkhead} lets run at once: a fixed number, or one that adapts to the
 * latency of the calls it sees ({@link AdaptiveLimitPolicy}). Implementations are thread-safe.
 */
public interface ConcurrencyLimit {

  /** Calls allowed to run at once now. */
  int limit();

  /**
   * A call ended.
   *
   * @param startNanos when it started running (not when it was queued), on the bulkhead's clock
   * @param rttNanos how long it ran
   * @param inflight calls running when it started, itself included
   * @param dropped it failed with a timeout or an overload from the callee
   */
  void onSample(long startNanos, long rttNanos, int inflight, boolean dropped);

  /** Always {@code limit}. */
  static ConcurrencyLimit fixed(int limit) {
    return new FixedLimit(limit);
  }

  /** A limit that adapts as the policy says. */
  static ConcurrencyLimit adaptive(AdaptiveLimitPolicy policy) {
    return switch (policy.algorithm()) {
      case AIMD -> new AimdLimit(policy);
      case GRADIENT -> new GradientLimit(policy);
    };
  }
}
