package io.courier.runtime.kafka.impl;

import io.courier.codec.Event;
import io.courier.codec.kafka.EventSerializer;
import io.courier.runtime.config.KafkaConfig.OwnershipConfig;
import io.courier.runtime.kafka.KafkaConnection;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.UUID;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.CooperativeStickyAssignor;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The Kafka clients of {@link PartitionOwnership}: the group member and the transactional writer.
 */
final class OwnershipClients {

  private static final Logger LOG = LoggerFactory.getLogger(OwnershipClients.class);

  private OwnershipClients() {}

  /**
   * A member of the ownership group: cooperative assignment (a rebalance moves only the partitions
   * that change owner), committed records only, the configured session timeout.
   */
  static KafkaConsumer<String, byte[]> consumer(
      KafkaConnection kafka, String groupId, OwnershipConfig settings) {
    Map<String, Object> props = new HashMap<>(kafka.properties());
    props.put(ConsumerConfig.GROUP_ID_CONFIG, groupId);
    props.put(ConsumerConfig.CLIENT_ID_CONFIG, "courier-owner-" + groupId);
    props.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false);
    props.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
    props.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
    props.put(ConsumerConfig.MAX_POLL_RECORDS_CONFIG, 5_000);
    props.put(ConsumerConfig.SESSION_TIMEOUT_MS_CONFIG, (int) settings.sessionTimeoutMs());
    props.put(
        ConsumerConfig.HEARTBEAT_INTERVAL_MS_CONFIG,
        (int) Math.max(500, settings.sessionTimeoutMs() / 4));
    props.put(
        ConsumerConfig.PARTITION_ASSIGNMENT_STRATEGY_CONFIG,
        CooperativeStickyAssignor.class.getName());
    return new KafkaConsumer<>(props, new StringDeserializer(), new ByteArrayDeserializer());
  }

  /** A transactional producer whose transactions are ready to begin. */
  static KafkaProducer<String, Event<?>> producer(
      KafkaConnection kafka, String groupId, OwnershipConfig settings) {
    Map<String, Object> props = new HashMap<>(kafka.properties());
    props.put(ProducerConfig.CLIENT_ID_CONFIG, "courier-owner-" + groupId);
    // Fencing comes from the group's metadata on each commit (KIP-447), so the id only has to be
    // unique to this producer.
    props.put(ProducerConfig.TRANSACTIONAL_ID_CONFIG, groupId + "-" + UUID.randomUUID());
    props.put(ProducerConfig.ACKS_CONFIG, "all");
    props.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, true);
    props.put(ProducerConfig.LINGER_MS_CONFIG, 0);
    // Right after a commit, the coordinator answers the next transaction's first request with
    // CONCURRENT_TRANSACTIONS until the commit markers are written (milliseconds); the default
    // back-off of 100 ms before asking again would be most of every write's latency.
    props.put(ProducerConfig.RETRY_BACKOFF_MS_CONFIG, 5);
    props.put(ProducerConfig.RETRY_BACKOFF_MAX_MS_CONFIG, 100);
    // A transaction left open by a killed owner holds every read_committed reader of its
    // partition back until the coordinator aborts it: no longer than the owner's session.
    props.put(ProducerConfig.TRANSACTION_TIMEOUT_CONFIG, (int) settings.sessionTimeoutMs());
    KafkaProducer<String, Event<?>> created =
        new KafkaProducer<>(props, new StringSerializer(), new EventSerializer());
    created.initTransactions();
    return created;
  }

  /** Closes the clients, logging what does not close cleanly. */
  static void closeQuietly(
      KafkaConsumer<String, byte[]> consumer, KafkaProducer<String, Event<?>> producer) {
    try {
      if (producer != null) {
        producer.close(Duration.ofSeconds(5));
      }
    } catch (RuntimeException e) {
      LOG.debug("ownership producer did not close cleanly: {}", e.toString());
    }
    try {
      if (consumer != null) {
        consumer.close(Duration.ofSeconds(10));
      }
    } catch (RuntimeException e) {
      LOG.debug("ownership consumer did not close cleanly: {}", e.toString());
    }
  }

  /** Waits a little on the ownership thread, between commits while releasing. */
  static void pause(long millis) {
    try {
      Thread.sleep(millis);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}
