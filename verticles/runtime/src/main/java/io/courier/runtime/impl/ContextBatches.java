package io.courier.runtime.impl;

import io.vertx.core.Context;
import io.vertx.core.internal.ContextInternal;
import java.util.Map;
import java.util.Queue;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicBoolean;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Runs tasks handed over from a foreign thread (a Kafka client's I/O thread, say) on the Vert.x
 * contexts they belong to, coalesced: tasks for contexts sharing one event loop or worker queue go
 * to it as one task per burst rather than one each, so a burst of a thousand acknowledgements wakes
 * the event loop once instead of a thousand times. Each task still runs on its own (possibly
 * duplicated) context, in the order it was handed over.
 */
public final class ContextBatches {

  private static final Logger LOG = LoggerFactory.getLogger(ContextBatches.class);

  private final Map<ContextInternal, Batch> batches = new ConcurrentHashMap<>();

  /** Runs {@code task} on {@code context}, soon; callable from any thread. */
  public void run(Context context, Runnable task) {
    ContextInternal target = (ContextInternal) context;
    ContextInternal base = target.unwrap();
    batches.computeIfAbsent(base, Batch::new).add(target, task);
  }

  private record Pending(ContextInternal context, Runnable task) {}

  private static final class Batch {
    private final ContextInternal base;
    private final Queue<Pending> queue = new ConcurrentLinkedQueue<>();
    private final AtomicBoolean scheduled = new AtomicBoolean();

    Batch(ContextInternal base) {
      this.base = base;
    }

    void add(ContextInternal context, Runnable task) {
      queue.add(new Pending(context, task));
      if (scheduled.compareAndSet(false, true)) {
        base.execute((Runnable) this::drain);
      }
    }

    private void drain() {
      // Cleared before polling: a task added after the last poll schedules a drain of its own.
      scheduled.set(false);
      Pending next;
      while ((next = queue.poll()) != null) {
        Pending pending = next;
        try {
          pending.context().dispatch(pending.task());
        } catch (RuntimeException e) {
          LOG.error("a task handed to its context failed", e);
        }
      }
    }
  }
}
