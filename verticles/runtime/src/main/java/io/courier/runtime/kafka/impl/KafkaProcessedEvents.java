package io.courier.runtime.kafka.impl;

import io.vertx.core.Context;
import io.vertx.core.Future;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.PartitionInfo;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.TopicExistsException;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The ids of events a consumer group has handled, kept in a compacted Kafka topic ({@code
 * courier.processed.<group>}) so they survive a restart, and in a bounded in-memory set for the
 * per-record check. Loaded once, before the first record is handled.
 */
final class KafkaProcessedEvents {

  private static final Logger LOG = LoggerFactory.getLogger(KafkaProcessedEvents.class);
  private static final byte[] MARK = new byte[] {1};

  private final String bootstrapServers;
  private final String topic;
  private final int capacity;
  private final long retentionMs;
  private final Map<String, Boolean> ids;

  KafkaProcessedEvents(String bootstrapServers, String groupId, int capacity, long retentionMs) {
    this.bootstrapServers = bootstrapServers;
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
    Map<String, Object> props =
        Map.of(
            ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG,
            bootstrapServers,
            ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG,
            false,
            ConsumerConfig.CLIENT_ID_CONFIG,
            topic + "-loader");
    try (KafkaConsumer<String, byte[]> reader =
        new KafkaConsumer<>(props, new StringDeserializer(), new ByteArrayDeserializer())) {
      List<TopicPartition> partitions = new ArrayList<>();
      for (PartitionInfo info : reader.partitionsFor(topic, Duration.ofSeconds(30))) {
        partitions.add(new TopicPartition(topic, info.partition()));
      }
      reader.assign(partitions);
      reader.seekToBeginning(partitions);
      Map<TopicPartition, Long> end = reader.endOffsets(partitions, Duration.ofSeconds(30));
      long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(120);
      while (!reachedEnd(reader, end)) {
        if (System.nanoTime() > deadline) {
          throw new IllegalStateException("could not read " + topic + " to its end within 120 s");
        }
        for (ConsumerRecord<String, byte[]> record : reader.poll(Duration.ofMillis(200))) {
          if (record.key() != null && record.value() != null) {
            ids.put(record.key(), Boolean.TRUE);
          }
        }
      }
    }
    LOG.info("loaded {} processed event id(s) from {}", ids.size(), topic);
    return ids.size();
  }

  /** Whether the event was handled before. Call on the consumer's context. */
  boolean contains(String eventId) {
    return ids.containsKey(eventId);
  }

  /** Remembers a handled event, in memory at once and durably once Kafka acknowledges. */
  Future<Void> remember(String eventId, RawSender sender, Context context) {
    if (capacity == 0) {
      return Future.succeededFuture();
    }
    ids.put(eventId, Boolean.TRUE);
    return sender.send(new ProducerRecord<>(topic, eventId, MARK), context).mapEmpty();
  }

  private static boolean reachedEnd(
      KafkaConsumer<String, byte[]> reader, Map<TopicPartition, Long> end) {
    for (Map.Entry<TopicPartition, Long> partition : end.entrySet()) {
      if (reader.position(partition.getKey()) < partition.getValue()) {
        return false;
      }
    }
    return true;
  }

  private void createTopic() {
    try (Admin admin =
        Admin.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers))) {
      NewTopic newTopic =
          new NewTopic(topic, java.util.Optional.empty(), java.util.Optional.empty())
              .configs(
                  Map.of(
                      "cleanup.policy",
                      "compact,delete",
                      "retention.ms",
                      Long.toString(retentionMs)));
      try {
        admin.createTopics(Set.of(newTopic)).all().get(30, TimeUnit.SECONDS);
      } catch (ExecutionException e) {
        if (!(e.getCause() instanceof TopicExistsException)) {
          throw new IllegalStateException("cannot create " + topic, e.getCause());
        }
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new IllegalStateException("interrupted creating " + topic, e);
      } catch (java.util.concurrent.TimeoutException e) {
        throw new IllegalStateException("timed out creating " + topic, e);
      }
    }
  }
}
