package io.courier.runtime.kafka.impl;

import java.time.Duration;
import java.util.Collection;
import java.util.Comparator;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.BooleanSupplier;
import org.apache.kafka.clients.consumer.Consumer;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.common.TopicPartition;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The offsets of the partitions the consumer owns and their commits. Each partition commits only up
 * to its lowest record still in flight ({@link PartitionOffsets}); what completed is committed at
 * every commit interval, on revocation (once the handlers running there finished, within a bound)
 * and once more when the consumer stops. Commits run on the poll thread (an asynchronous commit's
 * callback runs inside a later poll); the context completes records through their partition's
 * {@link PartitionOffsets}.
 */
final class PartitionCommits {

  /** Logs as the consumer it belongs to. */
  private static final Logger LOG = LoggerFactory.getLogger(KafkaEventConsumer.class);

  private static final Comparator<TopicPartition> BY_NAME =
      Comparator.comparing(TopicPartition::topic).thenComparingInt(TopicPartition::partition);

  private final Map<TopicPartition, PartitionOffsets> offsets = new ConcurrentHashMap<>();

  /**
   * The last offset this consumer committed per partition it still owns (or owned when it stopped:
   * a close's revocation keeps them), logged when it leaves the group.
   */
  private final Map<TopicPartition, Long> lastCommitted = new ConcurrentHashMap<>();

  private final ConsumerCounters counters;
  private final BooleanSupplier running;

  /**
   * @param running whether the consumer is still running: once it stops, the offsets committed on
   *     the way out are kept for the log
   */
  PartitionCommits(ConsumerCounters counters, BooleanSupplier running) {
    this.counters = counters;
    this.running = running;
  }

  /** The offsets of {@code partition}, tracked from now on if they were not yet. */
  PartitionOffsets tracker(TopicPartition partition) {
    return offsets.computeIfAbsent(partition, p -> new PartitionOffsets());
  }

  /** Commits what completed in the assigned partitions; {@code sync} on the way out. */
  void commit(Consumer<String, byte[]> consumer, boolean sync) {
    Map<TopicPartition, OffsetAndMetadata> toCommit = new HashMap<>();
    for (TopicPartition partition : consumer.assignment()) {
      PartitionOffsets tracker = offsets.get(partition);
      long offset = tracker == null ? -1 : committable(consumer, partition, tracker);
      if (offset >= 0) {
        toCommit.put(partition, new OffsetAndMetadata(offset));
      }
    }
    if (toCommit.isEmpty()) {
      return;
    }
    if (sync) {
      try {
        consumer.commitSync(toCommit, Duration.ofSeconds(10));
        markCommitted(toCommit);
      } catch (RuntimeException e) {
        LOG.warn(
            "final commit failed; records after the last commit will be redelivered: {}",
            e.toString());
      }
    } else {
      consumer.commitAsync(
          toCommit,
          (committed, error) -> {
            if (error == null) {
              markCommitted(committed);
            } else {
              LOG.debug("commit failed, retried at the next interval: {}", error.toString());
            }
          });
    }
  }

  /** What {@code tracker} may commit, past transaction markers when the position is known. */
  private static long committable(
      Consumer<String, byte[]> consumer, TopicPartition partition, PartitionOffsets tracker) {
    long position;
    try {
      position = consumer.position(partition, Duration.ZERO);
    } catch (RuntimeException unknown) {
      // No position yet (nothing fetched since the assignment): the records seen are all there is.
      return tracker.toCommit();
    }
    return tracker.toCommit(position);
  }

  private void markCommitted(Map<TopicPartition, OffsetAndMetadata> committed) {
    committed.forEach(
        (partition, offset) -> {
          if (!running.getAsBoolean() || offsets.containsKey(partition)) {
            lastCommitted.merge(partition, offset.offset(), Math::max);
          }
          PartitionOffsets tracker = offsets.get(partition);
          if (tracker != null) {
            tracker.markCommitted(offset.offset());
          }
        });
    counters.committed.increment();
  }

  /** Starts tracking newly assigned partitions afresh. */
  void assigned(Collection<TopicPartition> partitions) {
    partitions.forEach(partition -> offsets.put(partition, new PartitionOffsets()));
  }

  /** Those of {@code partitions} whose records are still being handled, sorted. */
  List<TopicPartition> handling(Collection<TopicPartition> partitions) {
    return partitions.stream()
        .filter(
            partition -> {
              PartitionOffsets tracker = offsets.get(partition);
              return tracker != null && tracker.unfinished() > 0;
            })
        .sorted(BY_NAME)
        .toList();
  }

  /**
   * Gives up partitions in a rebalance or on the way out: their unstarted records are dropped, the
   * handlers already running on their records are waited for until {@code deadlineNanos} ({@link
   * System#nanoTime()}), and what completed is committed before another member takes over. Blocks
   * the poll thread, inside {@code poll} or {@code close}, while it waits: the group's rebalance
   * waits with it.
   */
  void revoked(
      Consumer<String, byte[]> consumer,
      Collection<TopicPartition> partitions,
      long deadlineNanos) {
    Map<TopicPartition, PartitionOffsets> released = new LinkedHashMap<>();
    for (TopicPartition partition : partitions) {
      PartitionOffsets tracker = offsets.remove(partition);
      if (tracker != null) {
        tracker.revoke();
        released.put(partition, tracker);
      }
    }
    awaitHandlers(released, deadlineNanos);
    Map<TopicPartition, OffsetAndMetadata> toCommit = new HashMap<>();
    released.forEach(
        (partition, tracker) -> {
          long offset = tracker.toCommit();
          if (offset >= 0) {
            toCommit.put(partition, new OffsetAndMetadata(offset));
          }
        });
    if (!toCommit.isEmpty()) {
      try {
        consumer.commitSync(toCommit, Duration.ofSeconds(10));
        toCommit.forEach(
            (partition, offset) -> lastCommitted.merge(partition, offset.offset(), Math::max));
      } catch (RuntimeException e) {
        LOG.warn("commit on revocation failed: {}", e.toString());
      }
    }
    if (running.getAsBoolean()) {
      // Another member owns them now and commits past these.
      partitions.forEach(lastCommitted::remove);
    }
  }

  /**
   * Waits until the records of {@code released} are finished or {@code deadlineNanos} passes; past
   * it, names the partitions whose handlers still run and counts them.
   */
  private void awaitHandlers(Map<TopicPartition, PartitionOffsets> released, long deadlineNanos) {
    Map<TopicPartition, Integer> stillRunning = new TreeMap<>(BY_NAME);
    released.forEach(
        (partition, tracker) -> {
          if (!tracker.awaitFinished(deadlineNanos)) {
            stillRunning.put(partition, tracker.unfinished());
          }
        });
    if (!stillRunning.isEmpty()) {
      counters.releaseTimeouts.add(stillRunning.size());
      LOG.warn(
          "partitions given up while records were still being handled (records per partition:"
              + " {}); the member taking them over may handle those records again",
          stillRunning);
    }
  }

  /**
   * Gives up partitions without committing and without waiting for their handlers: another member
   * already owns them, or we crashed.
   */
  void lost(Collection<TopicPartition> partitions) {
    partitions.forEach(
        partition -> {
          lastCommitted.remove(partition);
          PartitionOffsets tracker = offsets.remove(partition);
          if (tracker != null) {
            tracker.revoke();
          }
        });
  }

  /** The last offset committed per partition ({@code topic-partition}), for the log on leaving. */
  Map<String, Long> lastCommitted() {
    Map<String, Long> committed = new TreeMap<>();
    lastCommitted.forEach((partition, offset) -> committed.put(partition.toString(), offset));
    return committed;
  }
}
