package io.courier.runtime.kafka;

import java.time.Duration;
import java.util.Map;
import java.util.Objects;

/**
 * A topic Courier creates, and what it must be when it already exists: compacted (its latest record
 * per key is state) or deleted after a retention, and how many partitions. Replication and {@code
 * min.insync.replicas} come from {@code kafka.topics} and are the same for every topic.
 *
 * @param name the topic
 * @param compacted whether compaction keeps each key's latest record ({@code cleanup.policy
 *     compact}); otherwise records are deleted after {@code retention}
 * @param partitions how many partitions; 0 takes {@code kafka.topics.partitions}
 * @param retention how long a record of a topic that is not compacted is kept
 */
public record TopicSpec(String name, boolean compacted, int partitions, Duration retention) {

  /** How long compaction leaves a state record alone: a reader may still be replaying it. */
  static final Duration COMPACTION_LAG = Duration.ofHours(1);

  /** How long events are kept by default. */
  public static final Duration EVENT_RETENTION = Duration.ofDays(7);

  public TopicSpec {
    Objects.requireNonNull(name, "name");
    Objects.requireNonNull(retention, "retention");
    if (partitions < 0) {
      throw new IllegalArgumentException("partitions must be >= 0, was " + partitions);
    }
  }

  /** A state topic: compacted, with the configured partitions. */
  public static TopicSpec state(String name) {
    return new TopicSpec(name, true, 0, EVENT_RETENTION);
  }

  /** An event topic kept for a week, with the configured partitions. */
  public static TopicSpec events(String name) {
    return new TopicSpec(name, false, 0, EVENT_RETENTION);
  }

  /** The same topic with {@code count} partitions whatever the configuration says. */
  public TopicSpec withPartitions(int count) {
    return new TopicSpec(name, compacted, count, retention);
  }

  /** The same topic keeping records for {@code kept}. */
  public TopicSpec withRetention(Duration kept) {
    return new TopicSpec(name, compacted, partitions, kept);
  }

  /** The topic-level settings it is created with (besides replication). */
  Map<String, String> configs(int minInSyncReplicas) {
    return compacted
        ? Map.of(
            "cleanup.policy",
            "compact",
            "min.compaction.lag.ms",
            Long.toString(COMPACTION_LAG.toMillis()),
            "min.insync.replicas",
            Integer.toString(minInSyncReplicas))
        : Map.of(
            "cleanup.policy",
            "delete",
            "retention.ms",
            Long.toString(retention.toMillis()),
            "min.insync.replicas",
            Integer.toString(minInSyncReplicas));
  }
}
