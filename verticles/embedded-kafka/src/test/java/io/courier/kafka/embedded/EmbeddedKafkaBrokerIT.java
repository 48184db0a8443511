package io.courier.kafka.embedded;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

@DisplayName("An embedded Kafka broker")
class EmbeddedKafkaBrokerIT {

  @Test
  @Timeout(120)
  @DisplayName("keeps its records across a restart on the same data directory")
  void shouldKeepRecordsAcrossRestartOnSameDataDirectory(@TempDir Path dir) throws Exception {
    Path data = dir.resolve("kafka");
    try (EmbeddedKafkaBroker broker = EmbeddedKafkaBroker.builder().dataDir(data).build()) {
      broker.start();
      assertThat(broker.bootstrapServers()).startsWith("127.0.0.1:");
      produce(broker.bootstrapServers(), "survivor", "before-restart");
    }
    assertThat(Files.exists(data.resolve("meta.properties"))).isTrue();

    try (EmbeddedKafkaBroker broker = EmbeddedKafkaBroker.builder().dataDir(data).build()) {
      broker.start();
      produce(broker.bootstrapServers(), "survivor", "after-restart");
      assertThat(consumeAll(broker.bootstrapServers(), "survivor", 2))
          .containsExactly("before-restart", "after-restart");
    }
  }

  @Test
  @Timeout(30)
  @DisplayName("refuses a port outside 0..65535")
  void shouldRefuseInvalidPort() {
    assertThatThrownBy(() -> EmbeddedKafkaBroker.builder().port(70000))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("port must be 0..65535");
  }

  @Test
  @Timeout(30)
  @DisplayName("says it is not running before start")
  void shouldRefuseBootstrapServersBeforeStart() {
    EmbeddedKafkaBroker broker = EmbeddedKafkaBroker.builder().build();
    assertThat(broker.isRunning()).isFalse();
    assertThatThrownBy(broker::bootstrapServers).hasMessageContaining("not running");
    broker.close();
    assertThat(Files.exists(broker.dataDir())).isFalse();
  }

  private static void produce(String bootstrap, String topic, String value) throws Exception {
    Map<String, Object> config =
        Map.of(
            ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap, ProducerConfig.ACKS_CONFIG, "all");
    try (KafkaProducer<String, String> producer =
        new KafkaProducer<>(config, new StringSerializer(), new StringSerializer())) {
      producer.send(new ProducerRecord<>(topic, "k", value)).get();
    }
  }

  private static List<String> consumeAll(String bootstrap, String topic, int expected) {
    Map<String, Object> config =
        Map.of(
            ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG,
            bootstrap,
            ConsumerConfig.GROUP_ID_CONFIG,
            "reader-" + System.nanoTime(),
            ConsumerConfig.AUTO_OFFSET_RESET_CONFIG,
            "earliest");
    List<String> values = new ArrayList<>();
    try (KafkaConsumer<String, String> consumer =
        new KafkaConsumer<>(config, new StringDeserializer(), new StringDeserializer())) {
      consumer.subscribe(List.of(topic));
      long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
      while (values.size() < expected && System.nanoTime() < deadline) {
        for (ConsumerRecord<String, String> record : consumer.poll(Duration.ofMillis(200))) {
          values.add(record.value());
        }
      }
    }
    return values;
  }
}
