package io.courier.runtime.kafka;

import com.google.protobuf.InvalidProtocolBufferException;
import com.google.protobuf.util.JsonFormat;
import io.courier.codec.Event;
import io.courier.codec.kafka.EventDecodingException;
import io.courier.codec.kafka.EventDeserializer;
import io.courier.runtime.kafka.impl.DeliveryHeaderFormat;
import io.courier.runtime.kafka.impl.TopicEnd;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.Consumer;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.admin.TopicDescription;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.PartitionInfo;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.config.TopicConfig;
import org.apache.kafka.common.errors.TopicExistsException;
import org.apache.kafka.common.header.Header;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Lists and replays a topic's dead-letter topic ({@code <topic>.dlt}). Replay moves the selected
 * records not yet replayed back to {@code <topic>} (never to another topic, whatever a record's
 * headers claim; a record claiming another origin is passed over), without Courier's delivery
 * headers, and records each one's id in {@code <topic>.dlt.replayed} in the same transaction.
 */
public final class DeadLetters {

  private static final Logger LOG = LoggerFactory.getLogger(DeadLetters.class);

  /**
   * The consumer group whose committed offsets said how far replays had got before the ledger
   * ({@link #REPLAYED_SUFFIX}); still read, never committed to any more.
   */
  public static final String REPLAY_GROUP = "courier-dlt-replay";

  /** The suffix of a dead-letter topic's ledger of replayed ids: {@code <topic>.dlt.replayed}. */
  public static final String REPLAYED_SUFFIX = ".replayed";

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
   * @param parkedAt when it was parked (the record's timestamp)
   * @param payload the payload as JSON: a Courier event's data as protobuf's JSON mapping, or
   *     {@code {"undecoded": "<why>", "base64": "..."}} for anything else
   */
  public record DeadLetter(
      int partition,
      long offset,
      String key,
      Map<String, String> headers,
      int valueSize,
      Instant parkedAt,
      String payload) {

    /** Its id, {@code p<partition>@<offset>}, which {@link Selection} takes. */
    public String id() {
      return "p" + partition + "@" + offset;
    }

    /** The failure that parked it, e.g. {@code java.lang.IllegalStateException: boom}. */
    public String error() {
      return DeliveryHeaderFormat.error(headers);
    }
  }

  /** Every record in {@code <topic>.dlt}, oldest first (at most {@code max}). */
  public Future<List<DeadLetter>> list(String topic, int max) {
    return vertx.executeBlocking(() -> listBlocking(kafka, topic, max), false);
  }

  /**
   * The topics that have a dead-letter topic on the brokers (the names without {@link
   * DeliveryHeaders#DLT_SUFFIX}), sorted.
   */
  public Future<List<String>> topics() {
    return vertx.executeBlocking(() -> topicsBlocking(kafka), false);
  }

  /** Replays the selection (or, dry, says what it would replay), off the event loop. */
  public Future<Replay> replay(String topic, Selection selection, boolean dry) {
    return vertx.executeBlocking(() -> replayBlocking(kafka, topic, selection, dry), false);
  }

  /** {@link #topics} for a command line: blocks the calling thread. */
  public static List<String> topicsBlocking(KafkaConnection kafka) {
    try (KafkaConsumer<String, byte[]> reader = consumer(kafka, null)) {
      return reader.listTopics(TIMEOUT).keySet().stream()
          .filter(name -> name.endsWith(DeliveryHeaders.DLT_SUFFIX))
          .map(name -> name.substring(0, name.length() - DeliveryHeaders.DLT_SUFFIX.length()))
          .sorted()
          .toList();
    }
  }

  /** A parked payload as JSON text (see {@link DeadLetter#payload}). */
  static String payloadJson(ConsumerRecord<String, byte[]> record) {
    if (record.value() == null) {
      return "null";
    }
    String why;
    try {
      Event<?> event =
          new EventDeserializer().deserialize(record.topic(), record.headers(), record.value());
      return JsonFormat.printer().print(event.data());
    } catch (InvalidProtocolBufferException | RuntimeException e) {
      // Whatever a parked record holds, listing it must not fail: it is shown undecoded.
      why = e instanceof EventDecodingException ? e.getMessage() : e.toString();
    }
    return new JsonObject()
        .put("undecoded", why)
        .put("base64", Base64.getEncoder().encodeToString(record.value()))
        .encode();
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
                      record.value() == null ? 0 : record.value().length,
                      Instant.ofEpochMilli(record.timestamp()),
                      payloadJson(record)));
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
    return replayBlocking(kafka, topic, Selection.ALL, false).replayed().size();
  }

  /**
   * Which dead letters a replay takes: by id ({@code p<partition>@<offset>} in the dead-letter
   * topic, as {@code dlt list} shows it), by the class of the error that parked them (its full
   * name, or its simple name), and parked at or after {@code since}. An empty set or null takes
   * every one.
   */
  public record Selection(Set<String> ids, String errorClass, Instant since) {

    public static final Selection ALL = new Selection(Set.of(), null, null);

    public Selection {
      ids = Set.copyOf(ids);
    }

    boolean takes(ConsumerRecord<String, byte[]> parked) {
      Header header = parked.headers().lastHeader(DeliveryHeaders.ERROR_CLASS);
      String parkedBy = header == null ? "" : new String(header.value(), StandardCharsets.UTF_8);
      return takes(idOf(parked), parkedBy, parked.timestamp());
    }

    /** True when this selection takes {@code letter}, as a replay would. */
    public boolean takes(DeadLetter letter) {
      return takes(
          letter.id(),
          letter.headers().getOrDefault(DeliveryHeaders.ERROR_CLASS, ""),
          letter.parkedAt().toEpochMilli());
    }

    private boolean takes(String id, String parkedBy, long parkedAtMillis) {
      if (!ids.isEmpty() && !ids.contains(id)) {
        return false;
      }
      if (errorClass != null && !errorClass.isBlank()) {
        if (!parkedBy.equals(errorClass) && !parkedBy.endsWith("." + errorClass)) {
          return false;
        }
      }
      return since == null || parkedAtMillis >= since.toEpochMilli();
    }
  }

  /**
   * What a replay did (or, dry, would do): the ids it moved back, and those it passed over because
   * an earlier replay had moved them, because the selection left them out, or because they claim
   * another origin.
   */
  public record Replay(
      List<String> replayed, List<String> replayedBefore, int notSelected, List<String> foreign) {}

  /** A dead letter's id: {@code p<partition>@<offset>} in its dead-letter topic. */
  public static String idOf(ConsumerRecord<String, byte[]> parked) {
    return "p" + parked.partition() + "@" + parked.offset();
  }

  /**
   * Moves the selected dead letters of {@code topic} that no replay moved before back to {@code
   * topic}; with {@code dry}, only says which it would move. Each one moved is written in the same
   * Kafka transaction as its id in {@code <topic>.dlt.replayed} (compacted), so a replay that stops
   * half-way moved nothing, two replays at once fence each other ({@code transactional.id} {@code
   * courier-dlt-replay-<topic>}), and no dead letter is ever moved twice, whatever the selections.
   * Dead letters a replay before this ledger existed moved (before the offsets the group {@code
   * courier-dlt-replay} committed) count as moved.
   */
  public static Replay replayBlocking(
      KafkaConnection kafka, String topic, Selection selection, boolean dry)
      throws InterruptedException, ExecutionException, TimeoutException {
    String dlt = topic + DeliveryHeaders.DLT_SUFFIX;
    String ledger = dlt + REPLAYED_SUFFIX;
    List<ConsumerRecord<String, byte[]>> chosen = new ArrayList<>();
    List<String> replayedBefore = new ArrayList<>();
    List<String> foreign = new ArrayList<>();
    int[] notSelected = {0};
    try (KafkaConsumer<String, byte[]> reader = consumer(kafka, REPLAY_GROUP)) {
      List<TopicPartition> partitions = partitions(reader, dlt);
      ReplayLedger replayedSoFar = replayed(reader, dlt);
      if (!replayedSoFar.ledgerExists() && !dry) {
        createLedger(kafka, dlt, ledger);
      }
      reader.assign(partitions);
      reader.seekToBeginning(partitions);
      readUntil(
          reader,
          reader.endOffsets(partitions, TIMEOUT),
          record -> {
            String id = idOf(record);
            if (replayedSoFar.moved(id, record.partition(), record.offset())) {
              if (selection.takes(record)) {
                replayedBefore.add(id);
              }
            } else if (!selection.takes(record)) {
              notSelected[0]++;
            } else if (DeliveryHeaderFormat.claimsAnotherOrigin(record)) {
              LOG.warn(
                  "{}-{}@{} claims to come from another topic than {}: not replayed",
                  record.topic(),
                  record.partition(),
                  record.offset(),
                  topic);
              foreign.add(id);
            } else {
              chosen.add(record);
            }
          });
    }
    List<String> replayed = chosen.stream().map(DeadLetters::idOf).toList();
    if (!dry && !chosen.isEmpty()) {
      Map<String, Object> producerProps = new HashMap<>(kafka.properties());
      producerProps.put(ProducerConfig.ACKS_CONFIG, "all");
      producerProps.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, true);
      producerProps.put(ProducerConfig.TRANSACTIONAL_ID_CONFIG, "courier-dlt-replay-" + topic);
      try (KafkaProducer<String, byte[]> producer =
          new KafkaProducer<>(producerProps, new StringSerializer(), new ByteArraySerializer())) {
        producer.initTransactions();
        producer.beginTransaction();
        try {
          for (ConsumerRecord<String, byte[]> record : chosen) {
            producer.send(DeliveryHeaderFormat.backToOrigin(record));
            producer.send(
                new ProducerRecord<>(ledger, idOf(record), topic.getBytes(StandardCharsets.UTF_8)));
          }
          producer.commitTransaction();
        } catch (RuntimeException e) {
          producer.abortTransaction();
          throw e;
        }
      }
    }
    return new Replay(replayed, replayedBefore, notSelected[0], foreign);
  }

  /** {@link ReplayLedger} for {@code topic}'s dead letters, off the event loop. */
  public Future<ReplayLedger> replayed(String topic) {
    return vertx.executeBlocking(
        () -> {
          try (KafkaConsumer<String, byte[]> reader = consumer(kafka, REPLAY_GROUP)) {
            return replayed(reader, topic + DeliveryHeaders.DLT_SUFFIX);
          }
        },
        false);
  }

  /** Reads the ledger of {@code dlt} and the replay group's offsets on it with {@code reader}. */
  private static ReplayLedger replayed(KafkaConsumer<String, byte[]> reader, String dlt) {
    String ledger = dlt + REPLAYED_SUFFIX;
    List<TopicPartition> partitions = partitions(reader, dlt);
    Map<Integer, Long> committed = new HashMap<>();
    reader
        .committed(new HashSet<>(partitions), TIMEOUT)
        .forEach(
            (partition, offset) -> {
              if (offset != null) {
                committed.put(partition.partition(), offset.offset());
              }
            });
    Set<String> ids = new HashSet<>();
    boolean exists = reader.listTopics(TIMEOUT).containsKey(ledger);
    if (exists) {
      List<TopicPartition> ledgerPartitions = partitions(reader, ledger);
      reader.assign(ledgerPartitions);
      reader.seekToBeginning(ledgerPartitions);
      readUntil(
          reader, reader.endOffsets(ledgerPartitions, TIMEOUT), record -> ids.add(record.key()));
    }
    return new ReplayLedger(exists, Set.copyOf(ids), Map.copyOf(committed));
  }

  /** The compacted ledger of replayed ids, replicated like the dead-letter topic. */
  private static void createLedger(KafkaConnection kafka, String dlt, String ledger)
      throws InterruptedException, ExecutionException, TimeoutException {
    try (Admin admin = Admin.create(kafka.properties())) {
      TopicDescription described =
          admin
              .describeTopics(List.of(dlt))
              .allTopicNames()
              .get(TIMEOUT.toMillis(), TimeUnit.MILLISECONDS)
              .get(dlt);
      short replicas = (short) described.partitions().get(0).replicas().size();
      NewTopic topic =
          new NewTopic(ledger, 1, replicas)
              .configs(
                  Map.of(TopicConfig.CLEANUP_POLICY_CONFIG, TopicConfig.CLEANUP_POLICY_COMPACT));
      try {
        admin.createTopics(List.of(topic)).all().get(TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
      } catch (ExecutionException e) {
        if (!(e.getCause() instanceof TopicExistsException)) {
          throw e;
        }
      }
    }
  }

  private static KafkaConsumer<String, byte[]> consumer(KafkaConnection kafka, String groupId) {
    Map<String, Object> props = new HashMap<>(kafka.properties());
    props.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false);
    // A replay that aborted wrote nothing, its ledger entries included.
    props.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
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
