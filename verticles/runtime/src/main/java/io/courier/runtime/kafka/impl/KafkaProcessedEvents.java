package io.courier.runtime.kafka.impl;

import io.courier.runtime.config.KafkaConfig.TopicsConfig;
import io.courier.runtime.kafka.KafkaConnection;
import io.courier.runtime.kafka.KafkaTopics;
import io.courier.runtime.kafka.TopicSpec;
import io.vertx.core.Vertx;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.LongAdder;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.PartitionInfo;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The ids of events a consumer group has handled, kept in a Kafka topic ({@code
 * courier.processed.<group>}, deleted after the retention time) so they survive a restart, and in a
 * bounded in-memory set for the per-record check. Ids are written in batches (one record of up to
 * {@value #BATCH} newline-separated ids, at most {@value #LINGER_MS} ms after the first), so
 * remembering costs a fraction of a Kafka write per event. Loaded before the first record is
 * handled, and read on from there whenever the consumer is given partitions ({@link #catchUp}), so
 * ids another member wrote meanwhile are known before its partitions' records come. Past the
 * capacity the oldest ids are dropped, in memory and when loading (the topic has one partition, so
 * it is read in the order it was written).
 */
final class KafkaProcessedEvents {

  private static final Logger LOG = LoggerFactory.getLogger(KafkaProcessedEvents.class);
  private static final int BATCH = 500;
  private static final long LINGER_MS = 5;

  private final KafkaConnection kafka;
  private final String topic;
  private final int capacity;
  private final long retentionMs;
  private final TopicsConfig topicSettings;
  private final Map<String, Boolean> ids;
  private final StringBuilder pending = new StringBuilder();
  private int pendingCount;
  private final LongAdder writeFailures = new LongAdder();

  /** Where the last read of the topic ended, per partition (empty before the first). */
  private final Map<TopicPartition, Long> readTo = new HashMap<>();

  /**
   * @param topicSettings the replication of the ids' topic
   */
  KafkaProcessedEvents(
      String bootstrapServers,
      String groupId,
      int capacity,
      long retentionMs,
      TopicsConfig topicSettings) {
    this(
        KafkaConnection.plaintext(bootstrapServers), groupId, capacity, retentionMs, topicSettings);
  }

  KafkaProcessedEvents(
      KafkaConnection kafka,
      String groupId,
      int capacity,
      long retentionMs,
      TopicsConfig topicSettings) {
    this.kafka = kafka;
    this.topicSettings = topicSettings;
    this.topic = "courier.processed." + groupId;
    this.capacity = capacity;
    this.retentionMs = retentionMs;
    this.ids =
        new LinkedHashMap<>(Math.min(capacity, 1 << 16), 0.75f, false) {
          private static final long serialVersionUID = 1L;

          @Override
          protected boolean removeEldestEntry(Map.Entry<String, Boolean> eldest) {
            return size() > KafkaProcessedEvents.this.capacity;
          }
        };
  }

  String topic() {
    return topic;
  }

  /** Blocks: creates the topic if needed and reads it to its end. Call off the event loop. */
  int load() {
    if (capacity == 0) {
      return 0;
    }
    createTopic();
    read();
    int loaded;
    synchronized (this) {
      loaded = ids.size();
    }
    LOG.info("loaded {} processed event id(s) from {}", loaded, topic);
    return loaded;
  }

  /**
   * Blocks: reads what other members of the group wrote since the last read, so partitions this
   * consumer has just been given (another member left or died) skip the events that member handled
   * and did not commit. Called by the poll thread when partitions are assigned; returns the ids
   * read.
   */
  int catchUp() {
    synchronized (readTo) {
      if (capacity == 0 || readTo.isEmpty()) {
        return 0;
      }
    }
    int read = read();
    if (read > 0) {
      LOG.info("read {} processed event id(s) written since the last read of {}", read, topic);
    }
    return read;
  }

  /**
   * Reads the topic from where the last read ended (the beginning at first) to its end. Only the
   * ids found are added under this store's lock, so {@link #contains} never waits for Kafka.
   */
  private int read() {
    synchronized (readTo) {
      return readLocked();
    }
  }

  private int readLocked() {
    Map<String, Object> props = new HashMap<>(kafka.properties());
    props.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false);
    props.put(ConsumerConfig.CLIENT_ID_CONFIG, topic + "-loader");
    int read = 0;
    try (KafkaConsumer<String, byte[]> reader =
        new KafkaConsumer<>(props, new StringDeserializer(), new ByteArrayDeserializer())) {
      List<TopicPartition> partitions = new ArrayList<>();
      for (PartitionInfo info : reader.partitionsFor(topic, Duration.ofSeconds(30))) {
        partitions.add(new TopicPartition(topic, info.partition()));
      }
      reader.assign(partitions);
      for (TopicPartition partition : partitions) {
        Long from = readTo.get(partition);
        if (from == null) {
          reader.seekToBeginning(List.of(partition));
        } else {
          reader.seek(partition, from);
        }
      }
      Map<TopicPartition, Long> end = reader.endOffsets(partitions, Duration.ofSeconds(30));
      long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(120);
      while (!TopicEnd.reached(reader, end)) {
        if (System.nanoTime() > deadline) {
          throw new IllegalStateException("could not read " + topic + " to its end within 120 s");
        }
        for (ConsumerRecord<String, byte[]> record : reader.poll(Duration.ofMillis(200))) {
          if (record.value() != null) {
            String[] found = new String(record.value(), StandardCharsets.UTF_8).split("\n");
            synchronized (this) {
              for (String id : found) {
                ids.put(id, Boolean.TRUE);
              }
            }
            read += found.length;
          }
        }
      }
      readTo.putAll(end);
    }
    return read;
  }

  /** Batches Kafka refused. */
  long writeFailures() {
    return writeFailures.sum();
  }

  /** Whether the event was handled before. */
  synchronized boolean contains(String eventId) {
    return ids.containsKey(eventId);
  }

  /**
   * Remembers a handled event: in memory at once, durably with the next batch. Call on the
   * consumer's context; the batch timer runs there.
   */
  void remember(String eventId, RawSender sender, Vertx vertx) {
    if (capacity == 0) {
      return;
    }
    boolean first;
    boolean full;
    synchronized (this) {
      ids.put(eventId, Boolean.TRUE);
      first = pendingCount == 0;
      if (!first) {
        pending.append('\n');
      }
      pending.append(eventId);
      pendingCount++;
      full = pendingCount >= BATCH;
    }
    if (full) {
      flush(sender);
    } else if (first) {
      vertx.setTimer(LINGER_MS, id -> flush(sender));
    }
  }

  /** Hands the pending ids to Kafka as one record. */
  void flush(RawSender sender) {
    byte[] batch;
    synchronized (this) {
      if (pendingCount == 0) {
        return;
      }
      batch = pending.toString().getBytes(StandardCharsets.UTF_8);
      pending.setLength(0);
      pendingCount = 0;
    }
    sender
        .send(new ProducerRecord<>(topic, UUID.randomUUID().toString(), batch), null)
        .onFailure(
            e -> {
              writeFailures.increment();
              LOG.error("could not record a batch of processed event ids: {}", e.toString());
            });
  }

  private void createTopic() {
    // One partition: the loader reads ids in the order they were written, so what stays in
    // memory past the capacity is the newest ids, those a redelivery after a restart brings.
    KafkaTopics.ensure(
        kafka,
        topicSettings,
        List.of(
            TopicSpec.events(topic)
                .withPartitions(1)
                .withRetention(Duration.ofMillis(retentionMs))));
  }
}
