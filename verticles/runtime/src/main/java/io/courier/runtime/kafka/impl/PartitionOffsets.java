package io.courier.runtime.kafka.impl;

import java.util.TreeSet;

/**
 * Offsets of one partition that were polled and not yet completed. The committable offset is the
 * lowest incomplete one (or one past the highest seen): records completed out of order never
 * advance the commit past a record still in flight.
 */
final class PartitionOffsets {

  private final TreeSet<Long> pending = new TreeSet<>();
  private long nextAfterSeen = -1;
  private long committed = -1;
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
  }

  synchronized void completed(long offset) {
    pending.remove(offset);
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
