package io.courier.resilience;

import java.util.Arrays;

/**
 * How long a call waits before it hedges ({@link ResiliencePolicies.Hedge}): a fixed {@code
 * afterMs}, or the {@code afterPercentile} of the target's last {@value #WINDOW} successful
 * attempts, clamped to {@code minMs..maxMs}; until {@value #MIN_SAMPLES} attempts were seen, {@code
 * maxMs}. The percentile is recomputed every {@value #RECOMPUTE_EVERY} samples (a sort of {@value
 * #WINDOW} longs), not on every call. Thread-safe.
 */
public final class HedgeDelay {

  /** Successful attempts the percentile is taken over (a ring, the oldest overwritten). */
  static final int WINDOW = 256;

  /** Attempts seen before the percentile replaces {@code maxMs}. */
  static final int MIN_SAMPLES = 20;

  static final int RECOMPUTE_EVERY = 16;

  private final ResiliencePolicies.Hedge hedge;
  private final long[] samples = new long[WINDOW];
  private int count;
  private int next;
  private int sinceComputed;
  private volatile long delayMs;

  public HedgeDelay(ResiliencePolicies.Hedge hedge) {
    this.hedge = hedge;
    this.delayMs = hedge.adaptive() ? hedge.maxMs() : hedge.afterMs();
  }

  /** The hedge this delay follows. */
  public ResiliencePolicies.Hedge hedge() {
    return hedge;
  }

  /** The delay before a hedged attempt, in milliseconds. */
  public long millis() {
    return delayMs;
  }

  /** Records a successful attempt's latency (ignored by the fixed form). */
  public void record(long nanos) {
    if (!hedge.adaptive()) {
      return;
    }
    synchronized (samples) {
      samples[next] = nanos;
      next = (next + 1) % WINDOW;
      count = Math.min(count + 1, WINDOW);
      if (count >= MIN_SAMPLES && (++sinceComputed >= RECOMPUTE_EVERY || count == MIN_SAMPLES)) {
        sinceComputed = 0;
        long[] sorted = Arrays.copyOf(samples, count);
        Arrays.sort(sorted);
        int rank = (int) Math.ceil(hedge.afterPercentile() / 100.0 * count) - 1;
        long ms = Math.round(sorted[Math.max(0, rank)] / 1_000_000.0);
        delayMs = Math.max(hedge.min(), Math.min(hedge.maxMs(), ms));
      }
    }
  }

  /** Exactly one form, each with its own keys and ranges. */
  static void validate(ResiliencePolicies.Hedge hedge, PolicyProblems at) {
    if ((hedge.afterMs() == null) == (hedge.afterPercentile() == null)) {
      at.add(
          "must declare exactly one of afterMs (a fixed delay) or afterPercentile (with maxMs), "
              + (hedge.afterMs() == null ? "found neither" : "found both"));
      return;
    }
    if (hedge.afterMs() != null) {
      at.positive("afterMs", hedge.afterMs());
      at.onlyFor("minMs", hedge.minMs(), "afterPercentile");
      at.onlyFor("maxMs", hedge.maxMs(), "afterPercentile");
      return;
    }
    double percentile = hedge.afterPercentile();
    at.check(
        "afterPercentile", percentile > 0 && percentile < 100, percentile, "must be in (0, 100)");
    at.positive("minMs", hedge.min());
    if (hedge.maxMs() == null) {
      at.at("maxMs").add("is required with afterPercentile");
    } else {
      at.check("maxMs", hedge.maxMs() >= hedge.min(), hedge.maxMs(), "must be >= minMs");
    }
  }
}
