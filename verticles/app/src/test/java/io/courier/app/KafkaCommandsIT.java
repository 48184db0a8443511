package io.courier.app;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;

import io.courier.app.Cli.Result;
import io.courier.app.flow.TopicKeys;
import io.courier.kafka.embedded.EmbeddedKafkaBroker;
import io.courier.kafka.embedded.SharedKafkaBroker;
import io.courier.runtime.kafka.DeliveryHeaders;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.header.internals.RecordHeaders;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

@ExtendWith(SharedKafkaBroker.class)
@DisplayName("The send, tail and dlt commands")
class KafkaCommandsIT {

  @TempDir Path dir;

  private static Result tail(EmbeddedKafkaBroker kafka, String topic, int max) {
    return courier(
        "tail",
        "-b",
        kafka.bootstrapServers(),
        "--topic",
        topic,
        "--from-beginning",
        "--max",
        Integer.toString(max));
  }

  /** Sends OrderPlaced lines keyed by their order id. */
  private static Result sendOrders(EmbeddedKafkaBroker kafka, String topic, Path file) {
    return courier(
        "send",
        "-b",
        kafka.bootstrapServers(),
        "--topic",
        topic,
        "--type",
        "courier.v1.OrderPlaced",
        "--key-field",
        "order.id",
        "--file",
        file.toString());
  }

  private static Result courier(String... args) {
    return Cli.courier(args);
  }

  @Test
  @Timeout(120)
  @DisplayName("send 10k lines from a file, and tail shows every one of them")
  void shouldSendTenThousandLinesAndTailThem(EmbeddedKafkaBroker kafka) throws IOException {
    String topic = "cli-" + UUID.randomUUID();
    List<String> lines = new ArrayList<>();
    for (int i = 0; i < 10_000; i++) {
      lines.add("{\"order\": {\"id\": \"o-" + i + "\", \"userId\": \"u-" + (i % 100) + "\"}}");
    }
    Path file = Files.write(dir.resolve("orders.ndjson"), lines, UTF_8);

    Result sent = sendOrders(kafka, topic, file);

    assertThat(sent.exit()).as(sent.err()).isZero();
    assertThat(sent.out()).startsWith("sent 10000, failed 0, 10000 line(s) in ");

    Result tailed = tail(kafka, topic, 10000);

    assertThat(tailed.exit()).isZero();
    List<String> shown = tailed.out().lines().toList();
    assertThat(shown)
        .hasSize(10_000)
        .allMatch(
            line ->
                line.matches(
                    "p\\d+@\\d+ courier\\.v1\\.OrderPlaced key=o-\\d+ id=\\S+ time=\\S+ \\{\"order\":\\{\"id\":\"o-\\d+\",\"userId\":\"u-\\d+\"}}"));
    assertThat(shown).anyMatch(line -> line.contains("key=o-9999 "));
  }

  @Test
  @Timeout(60)
  @DisplayName("report bad lines by number, send the good ones, and exit 1")
  void shouldReportBadLinesByNumber(EmbeddedKafkaBroker kafka) throws IOException {
    String topic = "cli-bad-" + UUID.randomUUID();
    Path file =
        Files.write(
            dir.resolve("mixed.ndjson"),
            List.of(
                "{\"order\": {\"id\": \"o-1\"}}",
                "{not json",
                "{\"order\": {\"id\": \"o-3\"}}",
                "{\"order\": {\"nope\": 1}}",
                "{\"order\": {\"userId\": \"u-1\"}}",
                "",
                "{\"order\": {\"id\": \"o-7\"}}"),
            UTF_8);

    Result sent = sendOrders(kafka, topic, file);

    assertThat(sent.exit()).isEqualTo(1);
    assertThat(sent.err().lines())
        .anyMatch(line -> line.startsWith("line 2: not a valid courier.v1.OrderPlaced: "))
        .anyMatch(
            line ->
                line.startsWith("line 4: not a valid courier.v1.OrderPlaced: ")
                    && line.contains("nope"))
        .anyMatch(line -> line.equals("line 5: no value at key field 'order.id'"));
    assertThat(sent.out()).startsWith("sent 3, failed 3, 7 line(s) in ");
  }

  @Test
  @Timeout(60)
  @DisplayName("send raw lines as they are, which tail shows as not Courier events")
  void shouldSendRawLines(EmbeddedKafkaBroker kafka) throws IOException {
    String topic = "cli-raw-" + UUID.randomUUID();
    Path file = Files.write(dir.resolve("raw.txt"), List.of("hello", "world"), UTF_8);

    Result sent =
        courier(
            "send",
            "-b",
            kafka.bootstrapServers(),
            "--topic",
            topic,
            "--raw",
            "--key",
            "k",
            "--file",
            file.toString());

    assertThat(sent.exit()).as(sent.err()).isZero();
    assertThat(sent.out()).startsWith("sent 2, failed 0, 2 line(s)");
    Result tailed = tail(kafka, topic, 2);
    assertThat(tailed.out().lines())
        .hasSize(2)
        .allMatch(line -> line.contains("key=k NOT A COURIER EVENT: record has no ce_type header"));
  }

  @Test
  @Timeout(30)
  @DisplayName("refuse an unknown event type before reading anything")
  void shouldRefuseUnknownType(EmbeddedKafkaBroker kafka) {
    Result sent =
        courier(
            "send",
            "-b",
            kafka.bootstrapServers(),
            "--topic",
            "t",
            "--type",
            "courier.v1.Nope",
            "--key",
            "k");

    assertThat(sent.exit()).isEqualTo(2);
    assertThat(sent.err()).contains("courier: unknown event type 'courier.v1.Nope'");
  }

  @Test
  @Timeout(60)
  @DisplayName("list a dead letter with its error, replay it to its topic, and tail shows it there")
  void shouldListAndReplayDeadLetters(EmbeddedKafkaBroker kafka) throws Exception {
    String topic = "cli-dlt-" + UUID.randomUUID();
    // Park a record by hand, as the consumer does with one it cannot handle.
    try (KafkaProducer<String, byte[]> producer =
        new KafkaProducer<>(
            Map.of(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, kafka.bootstrapServers()),
            new StringSerializer(),
            new ByteArraySerializer())) {
      RecordHeaders headers = new RecordHeaders();
      headers.add("ce_type", "courier.v1.Nope".getBytes(UTF_8));
      headers.add(DeliveryHeaders.ORIGINAL_TOPIC, topic.getBytes(UTF_8));
      headers.add(DeliveryHeaders.ERROR_CLASS, "java.lang.IllegalStateException".getBytes(UTF_8));
      headers.add(DeliveryHeaders.ERROR_MESSAGE, "provider down".getBytes(UTF_8));
      headers.add(DeliveryHeaders.ATTEMPTS, "4".getBytes(UTF_8));
      producer
          .send(new ProducerRecord<>(topic + ".dlt", null, "o-1", new byte[] {8, 1}, headers))
          .get();
    }

    Result listed = courier("dlt", "list", "-b", kafka.bootstrapServers(), "--topic", topic);
    assertThat(listed.exit()).isZero();
    assertThat(listed.out())
        .contains(
            "key=o-1 type=courier.v1.Nope attempts=4 error=java.lang.IllegalStateException: provider down")
        .contains("1 record(s) in " + topic + ".dlt");

    Result replayed = courier("dlt", "replay", "-b", kafka.bootstrapServers(), "--topic", topic);
    assertThat(replayed.out()).contains("replayed 1 record(s) from " + topic + ".dlt");
    assertThat(courier("dlt", "replay", "-b", kafka.bootstrapServers(), "--topic", topic).out())
        .contains("replayed 0 record(s)");

    Result back = tail(kafka, topic, 1);
    assertThat(back.out())
        .contains(
            "key=o-1 NOT A COURIER EVENT: event courier.v1.Nope has no ce_specversion header");
  }

  @Test
  @Timeout(120)
  @DisplayName(
      "replay picks dead letters by id, error class and time, a dry run moves nothing, and no"
          + " dead letter is ever replayed twice")
  void shouldReplaySelectedDeadLettersOnce(EmbeddedKafkaBroker kafka) throws Exception {
    String topic = "cli-dlt-pick-" + UUID.randomUUID();
    park(kafka, topic, "a", "java.lang.IllegalStateException");
    park(kafka, topic, "b", "java.io.UncheckedIOException");
    park(kafka, topic, "c", "java.lang.IllegalStateException");
    Map<String, String> ids = new java.util.HashMap<>();
    for (io.courier.runtime.kafka.DeadLetters.DeadLetter letter :
        io.courier.runtime.kafka.DeadLetters.listBlocking(kafka.bootstrapServers(), topic, 10)) {
      ids.put(letter.key(), letter.id());
    }
    assertThat(courier("dlt", "list", "-b", kafka.bootstrapServers(), "--topic", topic).out())
        .contains(ids.get("a") + " parked=20");

    Result dry = replay(kafka, topic, "--error-class", "UncheckedIOException", "--dry-run");
    assertThat(dry.exit()).isZero();
    assertThat(dry.out())
        .contains("would replay " + ids.get("b"))
        .contains(
            "would replay 1 record(s) from " + topic + ".dlt (0 replayed before, 2 not selected");
    assertThat(TopicKeys.of(kafka.bootstrapServers(), topic))
        .as("a dry run moves nothing")
        .isEmpty();

    assertThat(replay(kafka, topic, "--id", ids.get("a")).out())
        .contains("replayed " + ids.get("a"))
        .contains("replayed 1 record(s)");
    assertThat(TopicKeys.of(kafka.bootstrapServers(), topic)).containsExactly("a");

    assertThat(replay(kafka, topic, "--error-class", "java.lang.IllegalStateException").out())
        .contains("replayed " + ids.get("c"))
        .contains("skipped " + ids.get("a") + ": replayed before")
        .contains("replayed 1 record(s)");
    assertThat(replay(kafka, topic, "--since", "2999-01-01T00:00:00Z").out())
        .as("a and c were replayed before; b alone is left, and not selected")
        .contains("replayed 0 record(s)")
        .contains("(0 replayed before, 1 not selected");
    assertThat(replay(kafka, topic, "--since", "1d").out()).contains("replayed 1 record(s)");
    Result again = replay(kafka, topic);
    assertThat(again.out()).contains("replayed 0 record(s)").contains("(3 replayed before");
    assertThat(TopicKeys.of(kafka.bootstrapServers(), topic))
        .containsExactlyInAnyOrder("a", "b", "c");

    Result badSince = replay(kafka, topic, "--since", "yesterday");
    assertThat(badSince.exit()).isEqualTo(2);
    assertThat(badSince.err()).contains("--since 'yesterday' is neither an instant");
    Result badId = replay(kafka, topic, "--id", "a");
    assertThat(badId.exit()).isEqualTo(2);
    assertThat(badId.err()).contains("--id 'a' is not an id as dlt list shows it");
  }

  private static Result replay(EmbeddedKafkaBroker kafka, String topic, String... more) {
    List<String> args =
        new ArrayList<>(List.of("dlt", "replay", "-b", kafka.bootstrapServers(), "--topic", topic));
    args.addAll(List.of(more));
    return courier(args.toArray(String[]::new));
  }

  /**
   * Parks a record by hand in {@code topic}'s DLT, as the consumer would, failed by {@code error}.
   */
  private static void park(EmbeddedKafkaBroker kafka, String topic, String key, String error)
      throws Exception {
    try (KafkaProducer<String, byte[]> producer =
        new KafkaProducer<>(
            Map.of(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, kafka.bootstrapServers()),
            new StringSerializer(),
            new ByteArraySerializer())) {
      RecordHeaders headers = new RecordHeaders();
      headers.add(DeliveryHeaders.ORIGINAL_TOPIC, topic.getBytes(UTF_8));
      headers.add(DeliveryHeaders.ERROR_CLASS, error.getBytes(UTF_8));
      producer.send(new ProducerRecord<>(topic + ".dlt", null, key, new byte[] {1}, headers)).get();
    }
  }
}
