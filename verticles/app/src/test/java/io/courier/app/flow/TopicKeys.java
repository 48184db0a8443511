package io.courier.app.flow;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.StringDeserializer;

/** The keys a topic holds now. */
public final class TopicKeys {

  private TopicKeys() {}

  /**
   * The keys of every committed record in {@code topic}, read from its beginning to the end it had
   * when the read began (none when the topic does not exist).
   */
  public static List<String> of(String servers, String topic) {
    List<String> keys = new ArrayList<>();
    try (KafkaConsumer<String, byte[]> reader =
        new KafkaConsumer<>(
            Map.of(
                ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG,
                servers,
                ConsumerConfig.ISOLATION_LEVEL_CONFIG,
                "read_committed"),
            new StringDeserializer(),
            new ByteArrayDeserializer())) {
      if (!reader.listTopics(Duration.ofSeconds(10)).containsKey(topic)) {
        return keys;
      }
      List<TopicPartition> partitions =
          reader.partitionsFor(topic, Duration.ofSeconds(10)).stream()
              .map(info -> new TopicPartition(topic, info.partition()))
              .toList();
      reader.assign(partitions);
      reader.seekToBeginning(partitions);
      Map<TopicPartition, Long> end = reader.endOffsets(partitions, Duration.ofSeconds(10));
      long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
      while (partitions.stream().anyMatch(p -> reader.position(p) < end.get(p))) {
        assertThat(System.nanoTime()).as("read " + topic + " in time").isLessThan(deadline);
        reader.poll(Duration.ofMillis(200)).forEach(record -> keys.add(record.key()));
      }
    }
    return keys;
  }
}
