package io.courier.runtime.kafka.impl;

import java.util.Collection;
import java.util.List;
import java.util.function.BooleanSupplier;
import java.util.function.LongSupplier;
import org.apache.kafka.clients.consumer.ConsumerRebalanceListener;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.TopicPartition;

/**
 * Keeps offsets of assigned partitions; before giving one up, waits (bounded) for the handlers
 * running on its records and commits what completed. A lost partition is given up at once. Called
 * by the {@code KafkaConsumer} on the poll thread, inside {@code poll} and {@code close}.
 */
final class RebalanceListener implements ConsumerRebalanceListener {

  private final KafkaConsumer<String, byte[]> consumer;
  private final PartitionCommits commits;
  private final ConsumerHealth health;
  private final BooleanSupplier crashed;
  private final LongSupplier releaseDeadline;
  private final BooleanSupplier holdNewPartitions;
  private final Runnable gained;

  /**
   * @param crashed whether the consumer stopped as a killed process would, committing nothing
   * @param releaseDeadline until when ({@link System#nanoTime()}) a revocation starting now waits
   *     for the handlers running on the partitions it gives up
   * @param holdNewPartitions whether partitions gained now are to be paused at once
   * @param gained runs when partitions were gained, before their first records are fetched
   */
  RebalanceListener(
      KafkaConsumer<String, byte[]> consumer,
      PartitionCommits commits,
      ConsumerHealth health,
      BooleanSupplier crashed,
      LongSupplier releaseDeadline,
      BooleanSupplier holdNewPartitions,
      Runnable gained) {
    this.consumer = consumer;
    this.commits = commits;
    this.health = health;
    this.crashed = crashed;
    this.releaseDeadline = releaseDeadline;
    this.holdNewPartitions = holdNewPartitions;
    this.gained = gained;
  }

  @Override
  public void onPartitionsRevoked(Collection<TopicPartition> partitions) {
    if (crashed.getAsBoolean()) {
      onPartitionsLost(partitions);
      return;
    }
    health.releasing(commits.handling(partitions));
    try {
      commits.revoked(consumer, partitions, releaseDeadline.getAsLong());
    } finally {
      health.releasing(List.of());
    }
  }

  @Override
  public void onPartitionsLost(Collection<TopicPartition> partitions) {
    commits.lost(partitions);
  }

  @Override
  public void onPartitionsAssigned(Collection<TopicPartition> partitions) {
    commits.assigned(partitions);
    health.joined(consumer.assignment().size());
    if (holdNewPartitions.getAsBoolean()) {
      consumer.pause(partitions);
    }
    if (!partitions.isEmpty()) {
      gained.run();
    }
  }
}
