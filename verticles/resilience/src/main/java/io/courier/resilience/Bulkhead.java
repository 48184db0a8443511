package io.courier.resilience;

import io.courier.resilience.impl.Calls;
import io.vertx.circuitbreaker.OpenCircuitException;
import io.vertx.core.AsyncResult;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import java.util.ArrayDeque;
import java.util.function.IntConsumer;
import java.util.function.LongSupplier;
import java.util.function.Supplier;

/**
 * At most {@link #limit()} calls to a target at once and a bounded queue behind them; a call that
 * finds both full fails at once with {@link CallRejectedException} (overload, not retried) instead
 * of piling up. The limit is {@code maxConcurrent}, or a {@link ConcurrencyLimit} that adapts to
 * the latency of the calls: each call that ends is a sample (how long it ran on the injected clock,
 * how many ran beside it, whether it timed out or was refused for load). When the limit drops,
 * calls already running finish; no new call starts until fewer than the limit run.
 */
public final class Bulkhead {

  private final String target;
  private final ConcurrencyLimit limit;
  private final int maxQueued;
  private final LongSupplier clock;
  private final ArrayDeque<IntConsumer> queue = new ArrayDeque<>();
  private int running;

  /** A fixed limit of {@code maxConcurrent}. */
  public Bulkhead(String target, int maxConcurrent, int maxQueued) {
    this(target, ConcurrencyLimit.fixed(maxConcurrent), maxQueued, System::nanoTime);
  }

  /**
   * @param limit how many calls may run at once
   * @param maxQueued how many may wait
   * @param nanoClock monotonic nanoseconds, to time calls for an adaptive limit
   */
  public Bulkhead(String target, ConcurrencyLimit limit, int maxQueued, LongSupplier nanoClock) {
    if (maxQueued < 0) {
      throw new IllegalArgumentException("maxQueued must be >= 0, was " + maxQueued);
    }
    this.target = target;
    this.limit = limit;
    this.maxQueued = maxQueued;
    this.clock = nanoClock;
  }

  public <T> Future<T> execute(Supplier<Future<T>> call) {
    Promise<T> result = Promise.promise();
    IntConsumer start =
        inflight -> {
          long begin = clock.getAsLong();
          Calls.start(call)
              .onComplete(
                  ar -> {
                    sample(begin, inflight, ar);
                    finished();
                    result.handle(ar);
                  });
        };
    int inflight;
    synchronized (this) {
      if (running < limit.limit()) {
        inflight = ++running;
      } else if (queue.size() < maxQueued) {
        queue.add(start);
        inflight = 0;
      } else {
        return Future.failedFuture(
            new CallRejectedException(
                "bulkhead of "
                    + target
                    + " is full: "
                    + running
                    + " running, "
                    + queue.size()
                    + " queued"));
      }
    }
    if (inflight > 0) {
      start.accept(inflight);
    }
    return result.future();
  }

  /** Calls running now. */
  public synchronized int running() {
    return running;
  }

  /** Calls waiting now. */
  public synchronized int queued() {
    return queue.size();
  }

  /** Calls allowed to run at once now. */
  public int limit() {
    return limit.limit();
  }

  private void sample(long begin, int inflight, AsyncResult<?> ar) {
    if (ar.failed() && ownProtection(ar.cause())) {
      return;
    }
    boolean dropped = false;
    if (ar.failed()) {
      FailureClass failureClass = FailureClassifier.classify(ar.cause()).failureClass();
      dropped = failureClass == FailureClass.TIMEOUT || failureClass == FailureClass.OVERLOAD;
    }
    limit.onSample(begin, clock.getAsLong() - begin, inflight, dropped);
  }

  /** A refusal by our own breaker says nothing about the target's latency. */
  private static boolean ownProtection(Throwable failure) {
    return failure instanceof OpenCircuitException || failure instanceof CallRejectedException;
  }

  /** One call ended: queued calls start while fewer than the limit run. */
  private void finished() {
    boolean released = false;
    while (true) {
      IntConsumer next;
      int inflight;
      synchronized (this) {
        if (!released) {
          running--;
          released = true;
        }
        if (queue.isEmpty() || running >= limit.limit()) {
          return;
        }
        next = queue.poll();
        inflight = ++running;
      }
      next.accept(inflight);
    }
  }
}
