package io.courier.kafka.embedded;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import java.util.stream.IntStream;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.Config;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.Node;
import org.apache.kafka.common.Uuid;
import org.apache.kafka.common.config.ConfigResource;
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

  @Test
  @Timeout(60)
  @DisplayName("refuses a data directory formatted for another node or another cluster")
  void shouldRefuseDataDirectoryOfAnotherNodeOrCluster(@TempDir Path dir) {
    Path data = dir.resolve("kafka");
    String clusterId;
    try (EmbeddedKafkaBroker broker = EmbeddedKafkaBroker.builder().dataDir(data).build()) {
      clusterId = broker.start().clusterId();
    }
    assertThatThrownBy(() -> EmbeddedKafkaBroker.builder().dataDir(data).nodeId(2).build().start())
        .isInstanceOf(IllegalStateException.class)
        .hasMessageContaining("belongs to node 1, not node 2");
    String other = Uuid.randomUuid().toString();
    assertThatThrownBy(
            () -> EmbeddedKafkaBroker.builder().dataDir(data).clusterId(other).build().start())
        .isInstanceOf(IllegalStateException.class)
        .hasMessageContaining("belongs to cluster " + clusterId + ", not cluster " + other);
    try (EmbeddedKafkaBroker broker =
        EmbeddedKafkaBroker.builder().dataDir(data).clusterId(clusterId).build()) {
      assertThat(broker.start().clusterId()).isEqualTo(clusterId);
    }
  }

  @Test
  @Timeout(60)
  @DisplayName("gives up after its start timeout when no majority of its voters runs")
  void shouldGiveUpWithoutMajorityOfVoters(@TempDir Path dir) {
    String voters =
        "1@127.0.0.1:"
            + LoopbackPorts.free()
            + ",2@127.0.0.1:"
            + LoopbackPorts.free()
            + ",3@127.0.0.1:"
            + LoopbackPorts.free();
    EmbeddedKafkaBroker lonely =
        EmbeddedKafkaBroker.builder()
            .dataDir(dir.resolve("kafka-1"))
            .nodeId(1)
            .voters(voters)
            .startTimeout(Duration.ofSeconds(5))
            .build();
    long started = System.nanoTime();
    assertThatThrownBy(lonely::start)
        .isInstanceOf(IllegalStateException.class)
        .hasMessageContaining("Kafka node 1 did not start within PT5S")
        .hasMessageContaining("needs a majority");
    assertThat(Duration.ofNanos(System.nanoTime() - started)).isLessThan(Duration.ofSeconds(40));
    assertThat(lonely.isRunning()).isFalse();
  }

  @Test
  @Timeout(180)
  @DisplayName(
      "forms a cluster of three when its nodes start together, replicates internal topics 3 times"
          + " and stops one node after the other")
  void shouldFormClusterOfThreeStartedTogether(@TempDir Path dir) throws Exception {
    int[] controllers = {LoopbackPorts.free(), LoopbackPorts.free(), LoopbackPorts.free()};
    String voters =
        IntStream.range(0, 3)
            .mapToObj(i -> (i + 1) + "@127.0.0.1:" + controllers[i])
            .collect(Collectors.joining(","));
    String clusterId = Uuid.randomUuid().toString();
    List<EmbeddedKafkaBroker> nodes = new ArrayList<>();
    for (int id = 1; id <= 3; id++) {
      nodes.add(
          EmbeddedKafkaBroker.builder()
              .dataDir(dir.resolve("kafka-" + id))
              .nodeId(id)
              .voters(voters)
              .clusterId(clusterId)
              .build());
    }
    ExecutorService starter = Executors.newFixedThreadPool(3);
    try {
      List<Future<EmbeddedKafkaBroker>> started = new ArrayList<>();
      for (EmbeddedKafkaBroker node : nodes) {
        started.add(starter.submit(node::start));
      }
      for (Future<EmbeddedKafkaBroker> each : started) {
        each.get(150, TimeUnit.SECONDS);
      }
      String bootstrap =
          nodes.stream()
              .map(EmbeddedKafkaBroker::bootstrapServers)
              .collect(Collectors.joining(","));
      try (Admin admin =
          Admin.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap))) {
        assertThat(admin.describeCluster().nodes().get(30, TimeUnit.SECONDS))
            .extracting(Node::id)
            .containsExactlyInAnyOrder(1, 2, 3);
        assertThat(admin.describeCluster().clusterId().get(30, TimeUnit.SECONDS))
            .isEqualTo(clusterId);
        ConfigResource broker = new ConfigResource(ConfigResource.Type.BROKER, "2");
        Config config =
            admin.describeConfigs(List.of(broker)).all().get(30, TimeUnit.SECONDS).get(broker);
        assertThat(config.get("default.replication.factor").value()).isEqualTo("3");
        assertThat(config.get("min.insync.replicas").value()).isEqualTo("2");
        assertThat(config.get("transaction.state.log.replication.factor").value()).isEqualTo("3");
        assertThat(config.get("transaction.state.log.min.isr").value()).isEqualTo("2");
        assertThat(config.get("offsets.topic.replication.factor").value()).isEqualTo("3");
      }
      produce(bootstrap, "replicated", "on-three-nodes");
      assertThat(consumeAll(bootstrap, "replicated", 1)).containsExactly("on-three-nodes");

      // One after the other: the last node has no quorum left to grant its controlled shutdown.
      long stopping = System.nanoTime();
      for (EmbeddedKafkaBroker node : nodes) {
        node.close();
        assertThat(node.isRunning()).isFalse();
      }
      assertThat(Duration.ofNanos(System.nanoTime() - stopping)).isLessThan(Duration.ofSeconds(60));
    } finally {
      starter.shutdownNow();
      for (EmbeddedKafkaBroker node : nodes) {
        node.close();
      }
    }
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
