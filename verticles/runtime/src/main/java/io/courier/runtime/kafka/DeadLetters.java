package io.courier.runtime.kafka;

import io.courier.runtime.kafka.impl.DeliveryHeaderFormat;
import io.courier.runtime.kafka.impl.TopicEnd;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.Consumer;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.common.PartitionInfo;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Lists and replays a topic's dead-letter topic ({@code <topic>.dlt}). Replay moves every record
 * not yet replayed back to {@code <topic>} (never to another topic, whatever a record's headers
 * claim; a record claiming another origin is passed over), without Courier's delivery headers, and
 * remembers how far it got in the consumer group {@code courier-dlt-replay}.
 */
public final class DeadLetters {

  private static final Logger LOG = LoggerFactory.getLogger(DeadLetters.class);

  /** The consumer group that remembers which dead letters were replayed. */
  public static final String REPLAY_GROUP = "courier-dlt-replay";

  private static final Duration TIMEOUT = Duration.ofSeconds(30);

  private final Vertx vertx;
  private final KafkaConnection kafka;

  public DeadLetters(Vertx vertx, KafkaConnection kafka) {
    this.vertx = vertx;
    this.kafka = kafka;
  }

  /** Over PLAINTEXT to {@code bootstrapServers}. */
  public DeadLetters(Vertx vertx, String bootstrapServers) {
    this(vertx, KafkaConnection.plaintext(bootstrapServers));
  }

  /**
   * One parked record.
   *
   * @param partition partition in the dead-letter topic
   * @param offset offset in the dead-letter topic
   * @param key the record key
   * @param headers every header, as text
   * @param valueSize payload size in bytes
   */
  public record DeadLetter(
      int partition, long offset, String key, Map<String, String> headers, int valueSize) {

    /** The failure that parked it, e.g. {@code java.lang.IllegalStateException: boom}. */
    public String error() {
      return DeliveryHeaderFormat.error(headers);
    }
  }

  /** Every record in {@code <topic>.dlt}, oldest first (at most {@code max}). */
  public Future<List<DeadLetter>> list(String topic, int max) {
    return vertx.executeBlocking(() -> listBlocking(kafka, topic, max), false);
  }

  /** Moves the dead letters of {@code topic} not replayed before back; returns how many. */
  public Future<Integer> replay(String topic) {
    return vertx.executeBlocking(() -> replayBlocking(kafka, topic), false);
  }

  /** {@link #list} for a command line: blocks the calling thread. */
  public static List<DeadLetter> listBlocking(String bootstrapServers, String topic, int max) {
    return listBlocking(KafkaConnection.plaintext(bootstrapServers), topic, max);
  }

  /** {@link #list} for a command line: blocks the calling thread. */
  public static List<DeadLetter> listBlocking(KafkaConnection kafka, String topic, int max) {
    String dlt = topic + DeliveryHeaders.DLT_SUFFIX;
    List<DeadLetter> letters = new ArrayList<>();
    try (KafkaConsumer<String, byte[]> reader = consumer(kafka, null)) {
      List<TopicPartition> partitions = partitions(reader, dlt);
      reader.assign(partitions);
      reader.seekToBeginning(partitions);
      Map<TopicPartition, Long> end = reader.endOffsets(partitions, TIMEOUT);
      readUntil(
          reader,
          end,
          record -> {
            if (letters.size() < max) {
              letters.add(
                  new DeadLetter(
                      record.partition(),
                      record.offset(),
                      record.key(),
                      DeliveryHeaderFormat.asText(record.headers()),
                      record.value() == null ? 0 : record.value().length));
            }
          });
    }
    return letters;
  }

  /** {@link #replay} for a command line: blocks the calling thread. */
  public static int replayBlocking(String bootstrapServers, String topic)
      throws InterruptedException, ExecutionException, TimeoutException {
    return replayBlocking(KafkaConnection.plaintext(bootstrapServers), topic);
  }

  /** {@link #replay} for a command line: blocks the calling thread. */
  public static int replayBlocking(KafkaConnection kafka, String topic)
      throws InterruptedException, ExecutionException, TimeoutException {
    String dlt = topic + DeliveryHeaders.DLT_SUFFIX;
    Map<String, Object> producerProps = new HashMap<>(kafka.properties());
    producerProps.put(ProducerConfig.ACKS_CONFIG, "all");
    producerProps.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, true);
    List<java.util.concurrent.Future<?>> sends = new ArrayList<>();
    Map<TopicPartition, OffsetAndMetadata> done = new HashMap<>();
    try (KafkaConsumer<String, byte[]> reader = consumer(kafka, REPLAY_GROUP);
        KafkaProducer<String, byte[]> producer =
            new KafkaProducer<>(producerProps, new StringSerializer(), new ByteArraySerializer())) {
      List<TopicPartition> partitions = partitions(reader, dlt);
      reader.assign(partitions);
      Map<TopicPartition, OffsetAndMetadata> committed =
          reader.committed(new HashSet<>(partitions), TIMEOUT);
      for (TopicPartition partition : partitions) {
        OffsetAndMetadata from = committed.get(partition);
        if (from == null) {
          reader.seekToBeginning(List.of(partition));
        } else {
          reader.seek(partition, from.offset());
        }
      }
      Map<TopicPartition, Long> end = reader.endOffsets(partitions, TIMEOUT);
      readUntil(
          reader,
          end,
          record -> {
            if (DeliveryHeaderFormat.claimsAnotherOrigin(record)) {
              LOG.warn(
                  "{}-{}@{} claims to come from another topic than {}: not replayed",
                  record.topic(),
                  record.partition(),
                  record.offset(),
                  topic);
            } else {
              sends.add(producer.send(DeliveryHeaderFormat.backToOrigin(record)));
            }
            done.put(
                new TopicPartition(record.topic(), record.partition()),
                new OffsetAndMetadata(record.offset() + 1));
          });
      producer.flush();
      for (java.util.concurrent.Future<?> send : sends) {
        send.get(TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
      }
      if (!done.isEmpty()) {
        reader.commitSync(done, TIMEOUT);
      }
    }
    return sends.size();
  }

  private static KafkaConsumer<String, byte[]> consumer(KafkaConnection kafka, String groupId) {
    Map<String, Object> props = new HashMap<>(kafka.properties());
    props.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false);
    if (groupId != null) {
      props.put(ConsumerConfig.GROUP_ID_CONFIG, groupId);
    }
    return new KafkaConsumer<>(props, new StringDeserializer(), new ByteArrayDeserializer());
  }

  private static List<TopicPartition> partitions(
      KafkaConsumer<String, byte[]> reader, String topic) {
    List<TopicPartition> partitions = new ArrayList<>();
    for (PartitionInfo info : reader.partitionsFor(topic, TIMEOUT)) {
      partitions.add(new TopicPartition(topic, info.partition()));
    }
    return partitions;
  }

  private static void readUntil(
      KafkaConsumer<String, byte[]> reader,
      Map<TopicPartition, Long> end,
      Consumer<ConsumerRecord<String, byte[]>> sink) {
    long deadline = System.nanoTime() + TIMEOUT.toNanos();
    while (!TopicEnd.reached(reader, end)) {
      if (System.nanoTime() > deadline) {
        throw new IllegalStateException("could not read to the end within " + TIMEOUT);
      }
      for (ConsumerRecord<String, byte[]> record : reader.poll(Duration.ofMillis(200))) {
        if (record.offset() < end.get(new TopicPartition(record.topic(), record.partition()))) {
          sink.accept(record);
        }
      }
    }
  }
}
