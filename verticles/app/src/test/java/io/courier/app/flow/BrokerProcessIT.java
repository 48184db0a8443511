package io.courier.app.flow;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code courier broker} alone, as ChaosIT runs it: a single-node KRaft broker in a JVM of its own
 * that keeps its records across a SIGTERM and a start on the same data directory and ports; and one
 * node of a cluster whose peers never come, which still ends at SIGTERM.
 */
@DisplayName("A lone courier broker process")
class BrokerProcessIT {

  private static final Path JAR = Path.of(System.getProperty("courier.jar", "target/courier.jar"));

  @TempDir Path work;

  private final List<CourierProcess> processes = new ArrayList<>();

  @AfterEach
  void stopAll() throws InterruptedException {
    for (CourierProcess process : processes) {
      process.stop();
    }
  }

  @Test
  @Timeout(180)
  @DisplayName("keeps its records across SIGTERM and a start on the same data and ports")
  void shouldKeepRecordsAcrossSigtermAndRestart() throws Exception {
    int port = CourierProcess.freePort();
    int controllerPort = CourierProcess.freePort();
    Path data = work.resolve("kafka");
    String bootstrap = "127.0.0.1:" + port;

    CourierProcess first = start(port, controllerPort, data);
    assertThat(first.awaitReady(90))
        .startsWith("Kafka broker ready on " + bootstrap + " (node 1 of cluster ");
    produce(bootstrap, "before");
    first.terminate();
    assertThat(first.awaitExit(60)).as("stopped within 60 s of SIGTERM").isTrue();
    // 143: the JVM ran its shutdown hooks (the broker's close) and ended as SIGTERM asked.
    assertThat(first.process.exitValue()).isIn(0, 143);

    CourierProcess second = start(port, controllerPort, data);
    assertThat(second.awaitReady(90)).startsWith("Kafka broker ready on " + bootstrap);
    produce(bootstrap, "after");
    assertThat(consume(bootstrap, 2)).containsExactly("before", "after");
  }

  @Test
  @Timeout(120)
  @DisplayName("ends at SIGTERM while, one node of three, it still waits for its quorum")
  void shouldEndAtSigtermWhileWaitingForQuorum() throws Exception {
    int controllerPort = CourierProcess.freePort();
    String voters =
        "1@127.0.0.1:"
            + controllerPort
            + ",2@127.0.0.1:"
            + CourierProcess.freePort()
            + ",3@127.0.0.1:"
            + CourierProcess.freePort();
    Path log = work.resolve("lonely.log");
    Process lonely =
        new ProcessBuilder(
                Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-Xmx256m",
                "-XX:+UseSerialGC",
                "-jar",
                JAR.toAbsolutePath().toString(),
                "broker",
                "--node-id",
                "1",
                "--port",
                Integer.toString(CourierProcess.freePort()),
                "--voters",
                voters,
                "--data-dir",
                work.resolve("lonely").toString())
            .directory(work.toFile())
            .redirectErrorStream(true)
            .redirectOutput(log.toFile())
            .start();
    try {
      // Its controller listens once the node is inside its start, waiting for peers that never
      // come (its start timeout is 60 s).
      FlowClient.awaitUntil(
          "the controller of node 1 listens",
          Duration.ofSeconds(60),
          () -> lonely.isAlive() && listens(controllerPort));
      long terminated = System.nanoTime();
      lonely.destroy();
      assertThat(lonely.waitFor(30, TimeUnit.SECONDS))
          .as("ended within 30 s of SIGTERM; output: %s", Files.readString(log))
          .isTrue();
      assertThat(Duration.ofNanos(System.nanoTime() - terminated))
          .isLessThan(Duration.ofSeconds(30));
    } finally {
      lonely.destroyForcibly().waitFor(30, TimeUnit.SECONDS);
    }
  }

  private static boolean listens(int port) {
    try (Socket socket = new Socket()) {
      socket.connect(new InetSocketAddress("127.0.0.1", port), 500);
      return true;
    } catch (IOException e) {
      return false;
    }
  }

  private CourierProcess start(int port, int controllerPort, Path data) throws Exception {
    CourierProcess process =
        CourierProcess.startBroker("kafka", JAR, work, port, controllerPort, data);
    processes.add(process);
    return process;
  }

  private static void produce(String bootstrap, String value) throws Exception {
    Map<String, Object> config =
        Map.of(
            ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap, ProducerConfig.ACKS_CONFIG, "all");
    try (KafkaProducer<String, String> producer =
        new KafkaProducer<>(config, new StringSerializer(), new StringSerializer())) {
      producer.send(new ProducerRecord<>("lone", "k", value)).get(30, TimeUnit.SECONDS);
    }
  }

  private static List<String> consume(String bootstrap, int expected) {
    Map<String, Object> config =
        Map.of(
            ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG,
            bootstrap,
            ConsumerConfig.GROUP_ID_CONFIG,
            "lone-reader",
            ConsumerConfig.AUTO_OFFSET_RESET_CONFIG,
            "earliest");
    List<String> values = new ArrayList<>();
    try (KafkaConsumer<String, String> consumer =
        new KafkaConsumer<>(config, new StringDeserializer(), new StringDeserializer())) {
      consumer.subscribe(List.of("lone"));
      long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
      while (values.size() < expected && System.nanoTime() < deadline) {
        for (ConsumerRecord<String, String> record : consumer.poll(Duration.ofMillis(200))) {
          values.add(record.value());
        }
      }
    }
    return values;
  }
}
