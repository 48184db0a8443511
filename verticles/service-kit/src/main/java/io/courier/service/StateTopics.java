package io.courier.service;

import io.courier.codec.Event;
import io.courier.codec.flow.Topics;
import io.courier.codec.kafka.EventDecodingException;
import io.courier.codec.kafka.EventDeserializer;
import io.courier.runtime.config.KafkaConfig.TopicsConfig;
import io.courier.runtime.kafka.KafkaConnection;
import io.courier.runtime.kafka.KafkaTopics;
import io.courier.runtime.kafka.TopicSpec;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.PartitionInfo;
import org.apache.kafka.common.TopicPartition;
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

  private StateTopics() {}

  /**
   * The topic named {@code name} as the flow's contract says it is kept: compacted when its latest
   * record per key is state ({@link Topics#COMPACTED}), else events kept for a week.
   */
  public static TopicSpec of(String name) {
    return Topics.COMPACTED.contains(name) ? TopicSpec.state(name) : TopicSpec.events(name);
  }

  /**
   * Creates the topics named that do not exist yet, laid out and replicated as {@code settings}
   * say, and checks those that do ({@link KafkaTopics}), on a worker.
   */
  public static Future<Void> ensure(
      Vertx vertx, KafkaConnection kafka, TopicsConfig settings, List<String> names) {
    return KafkaTopics.ensure(vertx, kafka, settings, names.stream().map(StateTopics::of).toList());
  }

  /**
   * As {@link #ensure(Vertx, KafkaConnection, TopicsConfig, List)}, blocking the calling thread.
   */
  public static void ensure(KafkaConnection kafka, TopicsConfig settings, List<String> names) {
    KafkaTopics.ensure(kafka, settings, names.stream().map(StateTopics::of).toList());
  }

  /**
   * Reads every partition of {@code topic} from its start to its end as of now, handing each
   * decoded event to {@code apply} in partition order. Records that cannot be decoded are logged
   * and skipped (they were never acknowledged as state).
   *
   * @return the number of events read
   */
  public static long replay(KafkaConnection kafka, String topic, Consumer<Event<?>> apply) {
    Map<String, Object> props = new HashMap<>(kafka.properties());
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
