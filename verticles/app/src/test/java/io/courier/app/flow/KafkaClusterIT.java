package io.courier.app.flow;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;
import java.util.stream.Collectors;
import java.util.stream.IntStream;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.admin.TopicDescription;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.apache.kafka.common.Node;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.TopicPartitionInfo;
import org.apache.kafka.common.Uuid;
import org.apache.kafka.common.config.ConfigResource;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Three real Kafka brokers, each {@code courier broker} in a JVM of its own on 127.0.0.1, one KRaft
 * cluster: records written with acks=all survive a broker killed with kill -9, are written while it
 * is down (two replicas in sync are enough), and are read back exactly once after it returns;
 * transactions commit and abort across the cluster, also when their coordinator is killed.
 */
@DisplayName("A Kafka cluster of three brokers in child JVMs")
class KafkaClusterIT {

  private static final Logger LOG = LoggerFactory.getLogger(KafkaClusterIT.class);
  private static final Path JAR = Path.of(System.getProperty("courier.jar", "target/courier.jar"));
  private static final int RECORDS = 200;
  private static final Duration WAIT = Duration.ofSeconds(90);

  @TempDir static Path work;

  private static KafkaCluster cluster;
  private static Admin admin;

  @BeforeAll
  @Timeout(240)
  static void startCluster() throws Exception {
    long started = System.nanoTime();
    cluster = KafkaCluster.start(JAR, work.resolve("cluster"), 3);
    LOG.info(
        "three brokers serving in {} ms",
        TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - started));
    admin =
        Admin.create(
            Map.of(
                AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG,
                cluster.bootstrapServers(),
                AdminClientConfig.DEFAULT_API_TIMEOUT_MS_CONFIG,
                30_000));
  }

  @AfterAll
  static void stopCluster() {
    if (admin != null) {
      admin.close(Duration.ofSeconds(10));
    }
    if (cluster != null) {
      cluster.close();
    }
  }

  @Test
  @Timeout(300)
  @DisplayName(
      "keeps every acknowledged record exactly once when a broker is killed, written to while it"
          + " is down and restarted")
  void shouldKeepEveryRecordExactlyOnceAcrossKilledAndRestartedBroker() throws Exception {
    assertThat(cluster.size()).isEqualTo(3);
    String topic = "replicated-" + UUID.randomUUID();
    createTopic(topic);
    awaitIsr(topic, 3, isr -> true);

    List<String> sent = new ArrayList<>();
    try (KafkaProducer<String, String> producer = idempotentProducer()) {
      sent.addAll(produce(producer, topic, 0, RECORDS));

      int victim = leaderOfPartitionZero(topic);
      LOG.info("killing broker {}, leader of {}-0", victim, topic);
      cluster.kill(victim);
      assertThat(cluster.running(victim)).isFalse();

      sent.addAll(produce(producer, topic, RECORDS, 2 * RECORDS));
      // acks=all was satisfied by the two brokers left: the dead one is out of every ISR.
      awaitIsr(topic, 2, isr -> !isr.contains(victim));

      cluster.restart(victim);
      assertThat(cluster.running(victim)).isTrue();
      awaitIsr(topic, 3, isr -> isr.contains(victim));
    }

    String group = "reader-" + UUID.randomUUID();
    List<String> read = readCommitted(topic, group, 2 * RECORDS);
    assertThat(read).hasSize(2 * RECORDS).containsExactlyInAnyOrderElementsOf(sent);
    // Exactly once in the log too: retries during the failover wrote no duplicate.
    assertThat(recordsInLog(topic)).isEqualTo(2L * RECORDS);
    assertThat(describe("__consumer_offsets").partitions())
        .allSatisfy(p -> assertThat(p.replicas()).hasSize(3));
  }

  @Test
  @Timeout(300)
  @DisplayName(
      "commits and aborts transactions across the cluster on a transaction log of three replicas,"
          + " also when the transaction coordinator is killed")
  void shouldCommitTransactionsAcrossClusterAndSurviveKilledCoordinator() throws Exception {
    String topic = "transfers-" + UUID.randomUUID();
    createTopic(topic);
    awaitIsr(topic, 3, isr -> true);
    String transactionalId = "kafka-cluster-it-" + UUID.randomUUID();
    List<String> committed = new ArrayList<>();

    try (KafkaProducer<String, String> producer = transactionalProducer(transactionalId)) {
      producer.initTransactions();
      committed.addAll(transaction(producer, topic, "committed-", 0, 100, true));
      transaction(producer, topic, "aborted-", 0, 50, false);

      TopicDescription log = describe("__transaction_state");
      assertThat(log.partitions())
          .allSatisfy(
              p -> {
                assertThat(p.replicas()).hasSize(3);
                assertThat(p.isr()).hasSizeGreaterThanOrEqualTo(2);
              });
      ConfigResource resource =
          new ConfigResource(ConfigResource.Type.TOPIC, "__transaction_state");
      assertThat(
              admin
                  .describeConfigs(List.of(resource))
                  .all()
                  .get(30, TimeUnit.SECONDS)
                  .get(resource)
                  .get("min.insync.replicas")
                  .value())
          .isEqualTo("2");

      int coordinator =
          admin
              .describeTransactions(List.of(transactionalId))
              .description(transactionalId)
              .get(30, TimeUnit.SECONDS)
              .coordinatorId();
      LOG.info("killing broker {}, coordinator of {}", coordinator, transactionalId);
      cluster.kill(coordinator);
      committed.addAll(transaction(producer, topic, "after-failover-", 100, 150, true));
      cluster.restart(coordinator);
      awaitIsr(topic, 3, isr -> isr.contains(coordinator));
    }

    List<String> read = readCommitted(topic, "tx-reader-" + UUID.randomUUID(), committed.size());
    assertThat(read)
        .hasSize(150)
        .containsExactlyInAnyOrderElementsOf(committed)
        .noneMatch(value -> value.startsWith("aborted-"));
  }

  @Test
  @Timeout(120)
  @DisplayName("says which node failed to start and shows the end of its log")
  void shouldNameNodeThatFailedToStart() throws Exception {
    Path dir = work.resolve("broken");
    // Node 2's directory belongs to another cluster: its `courier broker` refuses it and exits.
    Path node2 = Files.createDirectories(dir.resolve("node-2"));
    Files.writeString(
        node2.resolve("meta.properties"),
        "version=1\nnode.id=2\ncluster.id=" + Uuid.randomUuid() + "\n");

    long started = System.nanoTime();
    assertThatThrownBy(() -> KafkaCluster.start(JAR, dir, 2).close())
        .isInstanceOf(IllegalStateException.class)
        .hasMessageContaining("Kafka node 2 exited with 1 before it served")
        .hasMessageContaining("last lines of " + dir.resolve("node-2.log").toAbsolutePath())
        .hasMessageContaining("belongs to cluster");
    // Node 1, left waiting for a quorum, ended at SIGTERM instead of waiting out its start.
    assertThat(Duration.ofNanos(System.nanoTime() - started)).isLessThan(Duration.ofSeconds(40));
  }

  private static void createTopic(String topic) throws Exception {
    admin
        .createTopics(
            List.of(new NewTopic(topic, 3, (short) 3).configs(Map.of("min.insync.replicas", "2"))))
        .all()
        .get(30, TimeUnit.SECONDS);
  }

  private static TopicDescription describe(String topic) throws Exception {
    return admin
        .describeTopics(List.of(topic))
        .allTopicNames()
        .get(30, TimeUnit.SECONDS)
        .get(topic);
  }

  private static int leaderOfPartitionZero(String topic) throws Exception {
    return describe(topic).partitions().get(0).leader().id();
  }

  /**
   * Until every partition has a leader and {@code size} replicas in sync that satisfy {@code
   * check}.
   */
  private static void awaitIsr(String topic, int size, Predicate<List<Integer>> check) {
    FlowClient.awaitUntil(
        topic + ": " + size + " replicas in sync on every partition",
        WAIT,
        () -> {
          try {
            for (TopicPartitionInfo p : describe(topic).partitions()) {
              List<Integer> isr = p.isr().stream().map(Node::id).toList();
              if (p.leader() == null || isr.size() != size || !check.test(isr)) {
                return false;
              }
            }
            return true;
          } catch (Exception e) {
            LOG.debug("cannot describe {} yet: {}", topic, e.toString());
            return false;
          }
        });
  }

  private static KafkaProducer<String, String> idempotentProducer() {
    return new KafkaProducer<>(producerConfig(), new StringSerializer(), new StringSerializer());
  }

  private static KafkaProducer<String, String> transactionalProducer(String transactionalId) {
    Map<String, Object> config = producerConfig();
    config.put(ProducerConfig.TRANSACTIONAL_ID_CONFIG, transactionalId);
    config.put(ProducerConfig.TRANSACTION_TIMEOUT_CONFIG, 60_000);
    return new KafkaProducer<>(config, new StringSerializer(), new StringSerializer());
  }

  private static Map<String, Object> producerConfig() {
    Map<String, Object> config = new HashMap<>();
    config.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, cluster.bootstrapServers());
    config.put(ProducerConfig.ACKS_CONFIG, "all");
    config.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, true);
    config.put(ProducerConfig.REQUEST_TIMEOUT_MS_CONFIG, 10_000);
    config.put(ProducerConfig.DELIVERY_TIMEOUT_MS_CONFIG, 90_000);
    config.put(ProducerConfig.MAX_BLOCK_MS_CONFIG, 90_000);
    return config;
  }

  /** Sends values {@code r-from..r-(to-1)}; returns once the cluster acknowledged every one. */
  private static List<String> produce(
      KafkaProducer<String, String> producer, String topic, int from, int to) throws Exception {
    List<String> values = new ArrayList<>();
    List<java.util.concurrent.Future<RecordMetadata>> acks = new ArrayList<>();
    for (int i = from; i < to; i++) {
      values.add("r-" + i);
      acks.add(producer.send(new ProducerRecord<>(topic, "k-" + i, "r-" + i)));
    }
    producer.flush();
    for (java.util.concurrent.Future<RecordMetadata> ack : acks) {
      assertThat(ack.get(120, TimeUnit.SECONDS).hasOffset()).isTrue();
    }
    return values;
  }

  private static List<String> transaction(
      KafkaProducer<String, String> producer,
      String topic,
      String prefix,
      int from,
      int to,
      boolean commit) {
    List<String> values =
        IntStream.range(from, to).mapToObj(i -> prefix + i).collect(Collectors.toList());
    producer.beginTransaction();
    for (String value : values) {
      producer.send(new ProducerRecord<>(topic, value, value));
    }
    if (commit) {
      producer.commitTransaction();
    } else {
      producer.abortTransaction();
    }
    return values;
  }

  /** Every committed record of the topic, read in a consumer group until {@code expected} came. */
  private static List<String> readCommitted(String topic, String group, int expected) {
    Map<String, Object> config = new HashMap<>();
    config.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, cluster.bootstrapServers());
    config.put(ConsumerConfig.GROUP_ID_CONFIG, group);
    config.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
    config.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
    config.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false);
    List<String> values = new ArrayList<>();
    try (KafkaConsumer<String, String> consumer =
        new KafkaConsumer<>(config, new StringDeserializer(), new StringDeserializer())) {
      consumer.subscribe(List.of(topic));
      long deadline = System.nanoTime() + WAIT.toNanos();
      while (values.size() < expected && System.nanoTime() < deadline) {
        for (ConsumerRecord<String, String> record : consumer.poll(Duration.ofMillis(500))) {
          values.add(record.value());
        }
      }
      // Whatever else is there (a duplicate) shows up now; nothing may.
      for (ConsumerRecord<String, String> record : consumer.poll(Duration.ofSeconds(1))) {
        values.add(record.value());
      }
      consumer.commitSync(Duration.ofSeconds(30));
    }
    return values;
  }

  /** Records the topic's partitions hold, from their end offsets (no transactions here). */
  private static long recordsInLog(String topic) throws Exception {
    Collection<TopicPartition> partitions =
        describe(topic).partitions().stream()
            .map(p -> new TopicPartition(topic, p.partition()))
            .toList();
    Map<String, Object> config = new HashMap<>();
    config.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, cluster.bootstrapServers());
    try (KafkaConsumer<String, String> consumer =
        new KafkaConsumer<>(config, new StringDeserializer(), new StringDeserializer())) {
      return consumer.endOffsets(partitions, Duration.ofSeconds(30)).values().stream()
          .mapToLong(Long::longValue)
          .sum();
    }
  }
}
