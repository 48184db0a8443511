package io.courier.runtime.kafka.impl;

import io.courier.codec.Event;
import io.courier.runtime.kafka.OwnedPartitions.NotOwnerException;
import io.courier.runtime.kafka.impl.PartitionOwnership.PendingWrite;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Queue;
import java.util.Set;
import java.util.function.IntFunction;
import java.util.function.Supplier;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.KafkaException;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.AuthorizationException;
import org.apache.kafka.common.errors.OutOfOrderSequenceException;
import org.apache.kafka.common.errors.ProducerFencedException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The writing half of {@link PartitionOwnership}, on its thread: commits the queued writes a batch
 * at a time, each batch one transaction that also commits the group's positions with the consumer's
 * group metadata (KIP-447), so the coordinator refuses the batch of an instance that is no longer a
 * member of the current generation and nothing of it becomes visible to readers.
 */
final class OwnershipWriter {

  private static final Logger LOG = LoggerFactory.getLogger(OwnershipWriter.class);
  private static final int MAX_BATCH = 1_000;

  private final String topic;
  private final String groupId;
  private final Queue<PendingWrite> writes;
  private final Set<Integer> writable;
  private final OwnershipMeters meters;
  private final IntFunction<NotOwnerException> notOwner;
  private final Supplier<KafkaProducer<String, Event<?>>> newProducer;
  private final KafkaConsumer<String, byte[]> consumer;
  private KafkaProducer<String, Event<?>> producer;

  OwnershipWriter(
      String topic,
      String groupId,
      Queue<PendingWrite> writes,
      Set<Integer> writable,
      OwnershipMeters meters,
      IntFunction<NotOwnerException> notOwner,
      Supplier<KafkaProducer<String, Event<?>>> newProducer,
      KafkaProducer<String, Event<?>> producer,
      KafkaConsumer<String, byte[]> consumer) {
    this.topic = topic;
    this.groupId = groupId;
    this.writes = writes;
    this.writable = writable;
    this.meters = meters;
    this.notOwner = notOwner;
    this.newProducer = newProducer;
    this.producer = producer;
    this.consumer = consumer;
  }

  /** The producer in use (a fatal error replaces it). */
  KafkaProducer<String, Event<?>> producer() {
    return producer;
  }

  void commit() {
    List<PendingWrite> batch = new ArrayList<>();
    for (PendingWrite write; batch.size() < MAX_BATCH && (write = writes.poll()) != null; ) {
      if (writable.contains(write.partition())) {
        batch.add(write);
      } else {
        PendingWrite refused = write;
        refused
            .context()
            .runOnContext(v -> refused.done().tryFail(notOwner.apply(refused.partition())));
      }
    }
    if (batch.isEmpty()) {
      return;
    }
    long begin = System.nanoTime();
    try {
      producer.beginTransaction();
      for (PendingWrite write : batch) {
        for (ProducerRecord<String, Event<?>> record : write.records()) {
          producer.send(record);
        }
      }
      producer.sendOffsetsToTransaction(positions(), consumer.groupMetadata());
      producer.commitTransaction();
      long took = System.nanoTime() - begin;
      meters.committed(batch.size(), took);
      if (LOG.isDebugEnabled()) {
        LOG.debug("{}: {} writes committed in {} µs", groupId, batch.size(), took / 1_000);
      }
      batch.forEach(write -> write.context().runOnContext(v -> write.done().tryComplete()));
    } catch (ProducerFencedException | OutOfOrderSequenceException | AuthorizationException fatal) {
      fail(batch, fatal);
      LOG.warn(
          "ownership producer of {} can go on no more ({}); making a new one",
          groupId,
          fatal.toString());
      OwnershipClients.closeQuietly(null, producer);
      producer = newProducer.get();
    } catch (KafkaException e) {
      // Most often the group moved on (a rebalance this instance has not joined yet): the
      // coordinator refused the commit, so nothing of the batch is visible to readers.
      try {
        producer.abortTransaction();
      } catch (KafkaException abortFailed) {
        LOG.debug("abort failed: {}", abortFailed.toString());
        OwnershipClients.closeQuietly(null, producer);
        producer = newProducer.get();
      }
      fail(batch, e);
    }
  }

  private void fail(List<PendingWrite> batch, Throwable cause) {
    meters.refused(batch.size());
    NotOwnerException refused =
        new NotOwnerException("the write to " + topic + " was refused: " + cause.getMessage());
    batch.forEach(write -> write.context().runOnContext(v -> write.done().tryFail(refused)));
  }

  /** The consumer's positions in the partitions it serves, committed with each transaction. */
  private Map<TopicPartition, OffsetAndMetadata> positions() {
    Map<TopicPartition, OffsetAndMetadata> offsets = new HashMap<>();
    for (TopicPartition partition : consumer.assignment()) {
      if (writable.contains(partition.partition())) {
        offsets.put(partition, new OffsetAndMetadata(consumer.position(partition)));
      }
    }
    return offsets;
  }
}
