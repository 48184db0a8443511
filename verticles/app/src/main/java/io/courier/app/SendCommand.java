package io.courier.app;

import com.google.protobuf.InvalidProtocolBufferException;
import com.google.protobuf.Message;
import com.google.protobuf.util.JsonFormat;
import io.courier.codec.ContractTypes;
import io.courier.codec.Event;
import io.courier.codec.kafka.EventSerializer;
import io.vertx.core.json.DecodeException;
import io.vertx.core.json.JsonObject;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.atomic.AtomicLong;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.header.internals.RecordHeaders;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringSerializer;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * {@code courier send}: publishes one event per line of newline-delimited JSON, each line the
 * protobuf JSON form of {@code --type} (or, with {@code --raw}, each line's bytes as they are). Bad
 * lines are reported with their line numbers and skipped; the exit code is 1 when any line failed.
 */
@Command(
    name = "send",
    mixinStandardHelpOptions = true,
    description = "Publish events from newline-delimited JSON (a file, or standard input).")
final class SendCommand implements Callable<Integer> {

  @Mixin KafkaOptions kafka;

  @Option(names = "--topic", required = true, description = "Topic to publish to.")
  String topic;

  @Option(
      names = "--type",
      description =
          "Event type: the full protobuf name, e.g. courier.v1.OrderPlaced. Required unless --raw.")
  String type;

  @Option(
      names = "--raw",
      description = "Send each line's bytes as the record value, with no envelope (needs --key).")
  boolean raw;

  @Option(names = "--key", description = "Key (event subject) of every event.")
  String key;

  @Option(
      names = "--key-field",
      description = "Dotted path of a JSON field whose value is each event's key, e.g. order.id.")
  String keyField;

  @Option(
      names = "--file",
      paramLabel = "FILE",
      description = "NDJSON file; '-' or absent reads standard input.")
  Path file;

  @Option(
      names = "--source",
      defaultValue = "/courier/cli",
      description = "ce_source of the events.")
  String source;

  @CommandLine.Spec CommandLine.Model.CommandSpec spec;

  private final EventSerializer serializer = new EventSerializer();

  @Override
  public Integer call() throws IOException, InterruptedException {
    PrintWriter out = spec.commandLine().getOut();
    PrintWriter err = spec.commandLine().getErr();
    Message prototype = raw || type == null ? null : ContractTypes.byName(type).orElse(null);
    if (!raw && prototype == null) {
      err.println(
          type == null
              ? "courier: give --type (or --raw)"
              : "courier: unknown event type '" + type + "'");
      err.flush();
      return RunCommand.EXIT_CONFIG;
    }
    if (raw && key == null) {
      err.println("courier: --raw needs --key");
      err.flush();
      return RunCommand.EXIT_CONFIG;
    }
    if (key == null && keyField == null) {
      err.println("courier: give --key or --key-field: every event needs a key");
      err.flush();
      return RunCommand.EXIT_CONFIG;
    }
    AtomicLong sent = new AtomicLong();
    AtomicLong failed = new AtomicLong();
    long lines = 0;
    long begin = System.nanoTime();
    long nextProgress = begin;
    boolean interactive = System.console() != null;
    try (BufferedReader reader = reader();
        KafkaProducer<String, byte[]> producer = producer()) {
      String line;
      while ((line = reader.readLine()) != null) {
        lines++;
        if (line.isBlank()) {
          continue;
        }
        ProducerRecord<String, byte[]> record;
        try {
          record = raw ? rawRecord(line) : eventRecord(parse(prototype, line));
        } catch (IllegalArgumentException e) {
          failed.incrementAndGet();
          err.println("line " + lines + ": " + e.getMessage());
          continue;
        }
        long lineNumber = lines;
        producer.send(
            record,
            (metadata, error) -> {
              if (error == null) {
                sent.incrementAndGet();
              } else {
                failed.incrementAndGet();
                synchronized (err) {
                  err.println("line " + lineNumber + ": not published: " + error.getMessage());
                }
              }
            });
        if (interactive && System.nanoTime() >= nextProgress) {
          err.print("\rsent " + sent.get() + ", failed " + failed.get() + ", read " + lines);
          err.flush();
          nextProgress = System.nanoTime() + 250_000_000L;
        }
      }
      producer.flush();
    }
    double seconds = Math.max(1e-3, (System.nanoTime() - begin) / 1e9);
    if (interactive) {
      err.println();
    }
    out.printf(
        "sent %d, failed %d, %d line(s) in %.1f s (%.0f events/s)%n",
        sent.get(), failed.get(), lines, seconds, sent.get() / seconds);
    out.flush();
    err.flush();
    return failed.get() == 0 ? 0 : RunCommand.EXIT_FAILED;
  }

  private ProducerRecord<String, byte[]> eventRecord(Event<?> event) {
    RecordHeaders headers = new RecordHeaders();
    byte[] value = serializer.serialize(topic, headers, event);
    return new ProducerRecord<>(topic, null, event.subject(), value, headers);
  }

  private ProducerRecord<String, byte[]> rawRecord(String line) {
    return new ProducerRecord<>(topic, key, line.getBytes(StandardCharsets.UTF_8));
  }

  private Event<?> parse(Message prototype, String line) {
    Message.Builder builder = prototype.newBuilderForType();
    try {
      JsonFormat.parser().merge(line, builder);
    } catch (InvalidProtocolBufferException e) {
      throw new IllegalArgumentException("not a valid " + type + ": " + e.getMessage(), e);
    }
    String subject = key != null ? key : keyOf(line);
    return Event.of(source, subject, builder.build());
  }

  private String keyOf(String line) {
    Object value;
    try {
      value = new JsonObject(line);
      for (String part : keyField.split("\\.")) {
        value = value instanceof JsonObject object ? object.getValue(part) : null;
      }
    } catch (DecodeException e) {
      throw new IllegalArgumentException("not JSON: " + e.getMessage(), e);
    }
    if (value == null || value.toString().isBlank()) {
      throw new IllegalArgumentException("no value at key field '" + keyField + "'");
    }
    return value.toString();
  }

  private BufferedReader reader() throws IOException {
    if (file == null || file.toString().equals("-")) {
      return new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8));
    }
    return Files.newBufferedReader(file, StandardCharsets.UTF_8);
  }

  private KafkaProducer<String, byte[]> producer() {
    Map<String, Object> props = new java.util.HashMap<>(kafka.connection().properties());
    props.put(ProducerConfig.ACKS_CONFIG, "all");
    props.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, true);
    props.put(ProducerConfig.LINGER_MS_CONFIG, 10);
    props.put(ProducerConfig.MAX_BLOCK_MS_CONFIG, (int) Duration.ofSeconds(30).toMillis());
    return new KafkaProducer<>(props, new StringSerializer(), new ByteArraySerializer());
  }
}
