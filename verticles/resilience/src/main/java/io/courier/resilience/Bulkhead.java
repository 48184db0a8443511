package io.courier.resilience;

import io.courier.resilience.impl.Calls;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import java.util.ArrayDeque;
import java.util.function.Supplier;

/**
 * At most {@code maxConcurrent} calls to a target at once and a bounded queue behind them; a call
 * that finds both full fails at once with {@link CallRejectedException} (overload, not retried)
 * instead of piling up.
 */
public final class Bulkhead {

  private final String target;
  private final int maxConcurrent;
  private final int maxQueued;
  private final ArrayDeque<Runnable> queue = new ArrayDeque<>();
  private int running;

  public Bulkhead(String target, int maxConcurrent, int maxQueued) {
    if (maxConcurrent < 1) {
      throw new IllegalArgumentException("maxConcurrent must be >= 1, was " + maxConcurrent);
    }
    if (maxQueued < 0) {
      throw new IllegalArgumentException("maxQueued must be >= 0, was " + maxQueued);
    }
    this.target = target;
    this.maxConcurrent = maxConcurrent;
    this.maxQueued = maxQueued;
  }

  public <T> Future<T> execute(Supplier<Future<T>> call) {
    Promise<T> result = Promise.promise();
    Runnable start =
        () -> {
          Calls.start(call)
              .onComplete(
                  ar -> {
                    finished();
                    result.handle(ar);
                  });
        };
    boolean runNow;
    synchronized (this) {
      if (running < maxConcurrent) {
        running++;
        runNow = true;
      } else if (queue.size() < maxQueued) {
        queue.add(start);
        runNow = false;
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
    if (runNow) {
      start.run();
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

  private void finished() {
    Runnable next;
    synchronized (this) {
      next = queue.poll();
      if (next == null) {
        running--;
      }
    }
    if (next != null) {
      next.run();
    }
  }
}
