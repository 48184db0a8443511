package io.courier.runtime.kafka.impl;

import java.util.TreeSet;
import java.util.concurrent.TimeUnit;

/**
 * Offsets of one partition that were polled and not yet completed. The committable offset is the
 * lowest incomplete one (or one past the highest seen): records completed out of order never
 * advance the commit past a record still in flight. It also counts the records received and not yet
 * finished in any outcome, which a revocation waits for ({@link #awaitFinished}).
 */
final class PartitionOffsets {

  private final TreeSet<Long> pending = new TreeSet<>();
  private long nextAfterSeen = -1;
  private long committed = -1;

  /** Records received and not yet finished, whether they succeed, fail or are dropped. */
  private int unfinished;

  private volatile boolean revoked;

  /** The partition was taken away by a rebalance: its unstarted records are dropped. */
  void revoke() {
    revoked = true;
  }

  boolean revoked() {
    return revoked;
  }

  synchronized void received(long offset) {
    pending.add(offset);
    nextAfterSeen = Math.max(nextAfterSeen, offset + 1);
    unfinished++;
  }

  /** The record at {@code offset} succeeded: it may be committed. */
  synchronized void completed(long offset) {
    pending.remove(offset);
  }

  /**
   * A received record is done with, in whatever outcome: succeeded (after {@link #completed}),
   * failed, or dropped because its partition was revoked.
   */
  synchronized void finished() {
    if (unfinished > 0 && --unfinished == 0) {
      notifyAll();
    }
  }

  /** Records received and not yet finished. */
  synchronized int unfinished() {
    return unfinished;
  }

  /**
   * Blocks until every record received is finished, or until {@code deadlineNanos} ({@link
   * System#nanoTime()}); true when they all finished. For the poll thread, never the context that
   * finishes the records.
   */
  synchronized boolean awaitFinished(long deadlineNanos) {
    long left = deadlineNanos - System.nanoTime();
    while (unfinished > 0 && left > 0) {
      try {
        TimeUnit.NANOSECONDS.timedWait(this, left);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        break;
      }
      left = deadlineNanos - System.nanoTime();
    }
    return unfinished == 0;
  }

  /** The offset to commit now, or -1 when nothing new completed since the last commit. */
  synchronized long toCommit() {
    long candidate = pending.isEmpty() ? nextAfterSeen : pending.first();
    return candidate > committed ? candidate : -1;
  }

  /**
   * Like {@link #toCommit()}, knowing the consumer's {@code position}: with nothing in flight and
   * nothing to go back to, the position itself, which is past the transaction markers that follow a
   * transactional topic's records (no record ever completes there, so committing one past the last
   * record would leave the group a marker behind for good). A partition no record was seen in
   * commits nothing, as with {@link #toCommit()}.
   */
  synchronized long toCommit(long position) {
    if (nextAfterSeen < 0) {
      return -1;
    }
    long candidate =
        pending.isEmpty()
            ? (position >= nextAfterSeen ? position : nextAfterSeen)
            : pending.first();
    return candidate > committed ? candidate : -1;
  }

  synchronized void markCommitted(long offset) {
    committed = Math.max(committed, offset);
  }
}
