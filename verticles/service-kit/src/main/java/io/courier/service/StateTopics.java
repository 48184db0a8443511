package io.courier.service;

import io.courier.codec.Event;
import io.courier.codec.flow.Topics;
import io.courier.codec.kafka.EventDecodingException;
import io.courier.codec.kafka.EventDeserializer;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ExecutionException;
import java.util.function.Consumer;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.PartitionInfo;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.TopicExistsException;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Services keep their state in Kafka: a compacted topic whose latest record per key is the state of
 * that key (an order, a reservation), rebuilt by reading the topic from the start when the service
 * starts. Every method blocks; call them from a worker ({@code executeBlocking}).
 */
public final class StateTopics {

  private static final Logger LOG = LoggerFactory.getLogger(StateTopics.class);
  private static final int PARTITIONS = 6;

  // Replication factor: the broker's default.replication.factor (Optional.empty()), so a production
  // cluster set to 3 gets 3 copies of every state topic and the embedded broker gets its 1.

  private StateTopics() {}

  /** A compacted topic: compaction keeps each key's latest record, never before an hour. */
  public static NewTopic compacted(String name) {
    return new NewTopic(name, Optional.of(PARTITIONS), Optional.empty())
        .configs(
            Map.of(
                "cleanup.policy",
                "compact",
                "min.compaction.lag.ms",
                String.valueOf(Duration.ofHours(1).toMillis())));
  }

  /** A topic of events kept for a week. */
  public static NewTopic events(String name) {
    return new NewTopic(name, Optional.of(PARTITIONS), Optional.empty())
        .configs(Map.of("retention.ms", String.valueOf(Duration.ofDays(7).toMillis())));
  }

  /**
   * The topic named {@code name} as the flow's contract says it is kept: compacted when its latest
   * record per key is state ({@link Topics#COMPACTED}), else events kept for a week.
   */
  public static NewTopic of(String name) {
    return Topics.COMPACTED.contains(name) ? compacted(name) : events(name);
  }

  /** {@link #ensure(String, List)} of {@code names}, as {@link #of} makes them, on a worker. */
  public static Future<Void> ensure(Vertx vertx, String bootstrapServers, List<String> names) {
    return vertx.executeBlocking(
        () -> {
          ensure(bootstrapServers, names.stream().map(StateTopics::of).toList());
          return null;
        },
        false);
  }

  /** Creates the topics that do not exist yet. */
  public static void ensure(String bootstrapServers, List<NewTopic> topics) {
    try (Admin admin =
        Admin.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers))) {
      for (NewTopic topic : topics) {
        try {
          admin.createTopics(List.of(topic)).all().get();
          LOG.info("created topic {} ({} partitions)", topic.name(), topic.numPartitions());
        } catch (ExecutionException e) {
          if (!(e.getCause() instanceof TopicExistsException)) {
            throw new IllegalStateException(
                "cannot create topic " + topic.name() + ": " + e.getCause().getMessage(), e);
          }
        }
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted creating topics", e);
    }
  }

  /**
   * Reads every partition of {@code topic} from its start to its end as of now, handing each
   * decoded event to {@code apply} in partition order. Records that cannot be decoded are logged
   * and skipped (they were never acknowledged as state).
   *
   * @return the number of events read
   */
  public static long replay(String bootstrapServers, String topic, Consumer<Event<?>> apply) {
    Map<String, Object> props = new HashMap<>();
    props.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers);
    props.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false);
    props.put(ConsumerConfig.MAX_POLL_RECORDS_CONFIG, 5_000);
    props.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
    EventDeserializer decoder = new EventDeserializer();
    long count = 0;
    try (KafkaConsumer<String, byte[]> consumer =
        new KafkaConsumer<>(props, new StringDeserializer(), new ByteArrayDeserializer())) {
      List<TopicPartition> partitions = new ArrayList<>();
      for (PartitionInfo info : consumer.partitionsFor(topic, Duration.ofSeconds(30))) {
        partitions.add(new TopicPartition(topic, info.partition()));
      }
      consumer.assign(partitions);
      consumer.seekToBeginning(partitions);
      Map<TopicPartition, Long> end = consumer.endOffsets(partitions, Duration.ofSeconds(30));
      while (!reached(consumer, end)) {
        for (ConsumerRecord<String, byte[]> record : consumer.poll(Duration.ofMillis(200))) {
          if (record.value() == null) {
            continue;
          }
          try {
            apply.accept(decoder.deserialize(record.topic(), record.headers(), record.value()));
            count++;
          } catch (EventDecodingException e) {
            LOG.warn(
                "skipping undecodable record {}-{}@{}: {}",
                record.topic(),
                record.partition(),
                record.offset(),
                e.getMessage());
          }
        }
      }
    }
    return count;
  }

  private static boolean reached(
      KafkaConsumer<String, byte[]> consumer, Map<TopicPartition, Long> end) {
    for (Map.Entry<TopicPartition, Long> entry : end.entrySet()) {
      if (consumer.position(entry.getKey()) < entry.getValue()) {
        return false;
      }
    }
    return true;
  }
}
