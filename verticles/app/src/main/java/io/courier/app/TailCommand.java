package io.courier.app;

import com.google.protobuf.InvalidProtocolBufferException;
import com.google.protobuf.util.JsonFormat;
import io.courier.codec.Event;
import io.courier.codec.kafka.EventDecodingException;
import io.courier.codec.kafka.EventDeserializer;
import java.io.PrintWriter;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.PartitionInfo;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * {@code courier tail}: prints a topic's events, one line each: position, envelope and the payload
 * as JSON. Records that are not Courier events are shown as such, never skipped silently.
 */
@Command(
    name = "tail",
    mixinStandardHelpOptions = true,
    description = "Print a topic's events as they arrive (or from the beginning).")
final class TailCommand implements Callable<Integer> {

  @Mixin KafkaOptions kafka;

  @Option(names = "--topic", required = true, description = "Topic to read.")
  String topic;

  @Option(names = "--from-beginning", description = "Start at the oldest record, not the newest.")
  boolean fromBeginning;

  @Option(
      names = "--max",
      defaultValue = "0",
      description = "Stop after this many records (0: no limit).")
  long max;

  @Option(
      names = "--idle-exit",
      defaultValue = "0",
      paramLabel = "SECONDS",
      description = "Stop after this many seconds without a record (0: follow until Ctrl-C).")
  long idleExitSeconds;

  @CommandLine.Spec CommandLine.Model.CommandSpec spec;

  private final EventDeserializer decoder = new EventDeserializer();
  private final JsonFormat.Printer json = JsonFormat.printer().omittingInsignificantWhitespace();

  private Map<String, Object> consumerProperties() {
    Map<String, Object> props = new java.util.HashMap<>(kafka.connection().properties());
    props.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false);
    return props;
  }

  @Override
  public Integer call() {
    PrintWriter out = spec.commandLine().getOut();
    long printed = 0;
    long lastRecord = System.nanoTime();
    try (KafkaConsumer<String, byte[]> consumer =
        new KafkaConsumer<>(
            consumerProperties(), new StringDeserializer(), new ByteArrayDeserializer())) {
      List<TopicPartition> partitions = new ArrayList<>();
      for (PartitionInfo info : consumer.partitionsFor(topic, Duration.ofSeconds(30))) {
        partitions.add(new TopicPartition(topic, info.partition()));
      }
      consumer.assign(partitions);
      if (fromBeginning) {
        consumer.seekToBeginning(partitions);
      } else {
        consumer.seekToEnd(partitions);
      }
      while (max == 0 || printed < max) {
        boolean any = false;
        for (ConsumerRecord<String, byte[]> record : consumer.poll(Duration.ofMillis(200))) {
          out.println(describe(record));
          any = true;
          if (++printed == max) {
            break;
          }
        }
        out.flush();
        if (any) {
          lastRecord = System.nanoTime();
        } else if (idleExitSeconds > 0
            && System.nanoTime() - lastRecord > Duration.ofSeconds(idleExitSeconds).toNanos()) {
          break;
        }
      }
    }
    return 0;
  }

  private String describe(ConsumerRecord<String, byte[]> record) {
    String position = "p" + record.partition() + "@" + record.offset();
    if (record.value() == null) {
      return position + " key=" + record.key() + " (tombstone)";
    }
    try {
      Event<?> event = decoder.deserialize(record.topic(), record.headers(), record.value());
      return position
          + " "
          + event.type()
          + " key="
          + event.subject()
          + " id="
          + event.id()
          + " time="
          + event.time()
          + " "
          + json.print(event.data());
    } catch (EventDecodingException e) {
      return position + " key=" + record.key() + " NOT A COURIER EVENT: " + e.getMessage();
    } catch (InvalidProtocolBufferException e) {
      return position + " key=" + record.key() + " cannot print payload: " + e.getMessage();
    }
  }
}
