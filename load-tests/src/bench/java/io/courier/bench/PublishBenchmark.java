package io.courier.bench;

import io.courier.codec.Event;
import io.courier.contract.v1.LineItem;
import io.courier.contract.v1.Money;
import io.courier.contract.v1.Order;
import io.courier.contract.v1.OrderPlaced;
import io.courier.kafka.embedded.EmbeddedKafkaBroker;
import io.courier.runtime.config.KafkaConfig;
import io.courier.runtime.config.KafkaConfig.ProducerConfig;
import io.courier.runtime.kafka.EventConsumer;
import io.courier.runtime.kafka.EventPublisher;
import io.courier.runtime.kafka.KafkaConnection;
import io.courier.runtime.kafka.KafkaObservability;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.tools.ProducerPerformance;

/**
 * Courier's publish path against Kafka's own load tool on one broker, in one run: raw {@code
 * ProducerPerformance} (kafka-clients, byte[] records of the given size) and Courier's {@code
 * KafkaEventPublisher} (protobuf events of about the same payload size, CloudEvents headers,
 * futures completed on a Vert.x context), both {@code acks=all}, idempotent, linger 5 ms. Rounds
 * alternate raw and Courier to spread the machine's noise over both.
 *
 * <p>The broker is an embedded KRaft broker in this JVM, or a deployment's cluster with {@code
 * -Dkafka.bootstrap=host:port[,host:port]} (a PLAINTEXT listener: Courier's publisher takes no
 * client security settings). Against a deployment every topic and consumer group of the run carries
 * the run id ({@code bench-<run>-...}) and is deleted at the end unless {@code
 * -Dkafka.keepTopics=true}; topics get {@code -Dkafka.partitions} (3) partitions and {@code
 * -Dkafka.replicationFactor} replicas (the broker's default when not given).
 */
public final class PublishBenchmark {

  /** Courier's default kafka.producer.batchSizeBytes. */
  static final int BATCH = 131_072;

  private static final Pattern RATE = Pattern.compile("([0-9.]+) records/sec");

  /** A deployment's bootstrap servers; empty for the embedded broker. */
  static final String EXTERNAL_BOOTSTRAP = System.getProperty("kafka.bootstrap", "").trim();

  /** Partitions of every topic the benchmark creates. */
  static final int PARTITIONS = Integer.getInteger("kafka.partitions", 3);

  /** Replicas of every topic the benchmark creates; empty for the broker's default. */
  static final Optional<Short> REPLICATION =
      Optional.ofNullable(System.getProperty("kafka.replicationFactor")).map(Short::valueOf);

  /** Keeps the run's topics and consumer groups on a deployment's broker. */
  static final boolean KEEP_TOPICS = Boolean.getBoolean("kafka.keepTopics");

  /** In every topic and consumer group name of this run, so a shared broker can be cleaned. */
  static final String RUN = "bench-" + UUID.randomUUID().toString().substring(0, 8);

  private PublishBenchmark() {}

  public static void main(String[] args) throws Exception {
    int records = args.length > 0 ? Integer.parseInt(args[0]) : 500_000;
    int recordSize = args.length > 1 ? Integer.parseInt(args[1]) : 200;
    int rounds = args.length > 2 ? Integer.parseInt(args[2]) : 2;
    List<String> lines = new ArrayList<>();
    List<String> consumerLines = new ArrayList<>();
    int courierRecordBytes = recordBytes(payload(recordSize));
    String target;
    if (EXTERNAL_BOOTSTRAP.isEmpty()) {
      try (EmbeddedKafkaBroker broker = EmbeddedKafkaBroker.builder().build().start()) {
        rounds(broker.bootstrapServers(), records, recordSize, rounds, lines, consumerLines);
      }
      target = "one embedded KRaft broker";
    } else {
      try {
        rounds(EXTERNAL_BOOTSTRAP, records, recordSize, rounds, lines, consumerLines);
      } finally {
        if (!KEEP_TOPICS) {
          deleteRun(EXTERNAL_BOOTSTRAP);
        }
      }
      target = EXTERNAL_BOOTSTRAP + " (run " + RUN + ")";
    }
    System.out.printf(
        "%nPublish benchmark: %,d records of ~%d bytes, acks=all, on %s%n",
        records, recordSize, target);
    System.out.printf(
        "Courier's record: %d bytes (payload, CloudEvents headers and key)%n", courierRecordBytes);
    System.out.println(
        "| round | PP 200 B, batch 16 KiB | PP 200 B, batch 128 KiB | PP %d B, batch 128 KiB |"
                .formatted(courierRecordBytes)
            + " kafka-clients, Courier's records | Courier publisher | Courier / PP 16 KiB |"
            + " Courier / PP 128 KiB | Courier / PP same bytes | Courier / same records |");
    System.out.println("|---|---|---|---|---|---|---|---|---|---|");
    lines.forEach(System.out::println);
    consumerLines.forEach(System.out::println);
  }

  private static void rounds(
      String bootstrap,
      int records,
      int recordSize,
      int rounds,
      List<String> lines,
      List<String> consumerLines)
      throws Exception {
    int courierRecordBytes = recordBytes(payload(recordSize));
    Vertx vertx = Vertx.vertx();
    try {
      for (int round = 1; round <= rounds; round++) {
        double raw = raw(bootstrap, RUN + "-raw-" + round, records, recordSize, 16_384);
        double rawBatched = raw(bootstrap, RUN + "-rawb-" + round, records, recordSize, BATCH);
        double rawSameBytes =
            raw(bootstrap, RUN + "-rawbytes-" + round, records, courierRecordBytes, BATCH);
        double sameRecords = rawSameRecords(bootstrap, RUN + "-same-" + round, records, recordSize);
        double courier = courier(vertx, bootstrap, RUN + "-courier-" + round, records, recordSize);
        double consumeDedupe =
            consume(vertx, bootstrap, RUN + "-courier-" + round, records, 200_000);
        double consumePlain = consume(vertx, bootstrap, RUN + "-courier-" + round, records, 0);
        consumerLines.add(
            String.format(
                Locale.ROOT,
                "round %d: Courier consumer %,.0f rec/s with dedupe (processed-ids topic), %,.0f rec/s without",
                round,
                consumeDedupe,
                consumePlain));
        lines.add(
            String.format(
                Locale.ROOT,
                "| %d | %,.0f | %,.0f | %,.0f | %,.0f | %,.0f | %.0f %% | %.0f %% | %.0f %% | %.0f %% |",
                round,
                raw,
                rawBatched,
                rawSameBytes,
                sameRecords,
                courier,
                100 * courier / raw,
                100 * courier / rawBatched,
                100 * courier / rawSameBytes,
                100 * courier / sameRecords));
      }
    } finally {
      vertx.close().await(30, TimeUnit.SECONDS);
    }
  }

  /**
   * Deletes this run's topics (its own, and the processed-ids and retry topics its consumers made)
   * and consumer groups from a deployment's broker.
   */
  private static void deleteRun(String bootstrap) throws Exception {
    try (Admin admin =
        Admin.create(java.util.Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap))) {
      Set<String> topics =
          admin.listTopics().names().get(30, TimeUnit.SECONDS).stream()
              .filter(name -> name.contains(RUN))
              .collect(java.util.stream.Collectors.toSet());
      List<String> groups =
          admin.listConsumerGroups().all().get(30, TimeUnit.SECONDS).stream()
              .map(org.apache.kafka.clients.admin.ConsumerGroupListing::groupId)
              .filter(id -> id.contains(RUN))
              .toList();
      admin.deleteConsumerGroups(groups).all().get(30, TimeUnit.SECONDS);
      admin.deleteTopics(topics).all().get(30, TimeUnit.SECONDS);
      System.out.printf(
          "deleted %d topics and %d consumer groups of run %s%n",
          topics.size(), groups.size(), RUN);
    }
  }

  /** Reads the whole topic with a fresh group through KafkaEventConsumer; trivial handler. */
  private static double consume(
      Vertx vertx, String bootstrap, String topic, int records, int dedupeCapacity)
      throws Exception {
    AtomicLong handled = new AtomicLong();
    Promise<Long> done = Promise.promise();
    EventConsumer consumer =
        EventConsumer.create(
            vertx,
            KafkaConnection.plaintext(bootstrap),
            new KafkaConfig.ConsumerConfig(
                RUN + "-" + UUID.randomUUID(),
                5_000,
                3,
                100,
                5_000,
                2,
                5_000,
                dedupeCapacity,
                1,
                1_000,
                3_600_000,
                5_000),
            KafkaConfig.TopicsConfig.DEFAULTS,
            List.of(topic),
            event -> {
              if (handled.incrementAndGet() == records) {
                done.tryComplete(System.nanoTime());
              }
              return Future.succeededFuture();
            },
            KafkaObservability.none(vertx));
    long begin = System.nanoTime();
    consumer.start().await(60, TimeUnit.SECONDS);
    long end = done.future().await(10, TimeUnit.MINUTES);
    consumer.stop(Duration.ofSeconds(10)).await(30, TimeUnit.SECONDS);
    return records / ((end - begin) / 1e9);
  }

  static double raw(String bootstrap, String topic, int records, int recordSize, int batchSize)
      throws Exception {
    createTopic(bootstrap, topic);
    PrintStream original = System.out;
    ByteArrayOutputStream captured = new ByteArrayOutputStream();
    System.setOut(new PrintStream(captured, true, StandardCharsets.UTF_8));
    try {
      ProducerPerformance.main(
          new String[] {
            "--topic",
            topic,
            "--num-records",
            Integer.toString(records),
            "--record-size",
            Integer.toString(recordSize),
            "--throughput",
            "-1",
            "--producer-props",
            "bootstrap.servers=" + bootstrap,
            "acks=all",
            "enable.idempotence=true",
            "linger.ms=5",
            "batch.size=" + batchSize
          });
    } finally {
      System.setOut(original);
    }
    String output = captured.toString(StandardCharsets.UTF_8);
    Matcher last = null;
    Matcher matcher = RATE.matcher(output);
    double rate = -1;
    while (matcher.find()) {
      rate = Double.parseDouble(matcher.group(1));
      last = matcher;
    }
    if (last == null) {
      throw new IllegalStateException("no rate in ProducerPerformance output:\n" + output);
    }
    return rate;
  }

  static double courier(Vertx vertx, String bootstrap, String topic, int records, int recordSize)
      throws Exception {
    createTopic(bootstrap, topic);
    EventPublisher.StandalonePublisher publisher =
        EventPublisher.create(
                vertx,
                KafkaConnection.plaintext(bootstrap),
                new ProducerConfig(5, 120_000, 1_048_576, 50_000, BATCH),
                KafkaObservability.none(vertx))
            .await(30, TimeUnit.SECONDS);
    OrderPlaced payload = payload(recordSize);
    int window = 20_000;
    AtomicLong sent = new AtomicLong();
    AtomicLong acked = new AtomicLong();
    AtomicLong failed = new AtomicLong();
    Promise<Long> done = Promise.promise();
    long begin = System.nanoTime();
    vertx.runOnContext(
        v ->
            new Object() {
              void pump() {
                while (sent.get() < records && sent.get() - acked.get() - failed.get() < window) {
                  long n = sent.incrementAndGet();
                  publisher
                      .publish(topic, Event.of("/bench", "key-" + (n % 10_000), payload))
                      .onComplete(
                          ar -> {
                            if (ar.succeeded()) {
                              acked.incrementAndGet();
                            } else {
                              failed.incrementAndGet();
                            }
                            if (acked.get() + failed.get() == records) {
                              done.tryComplete(System.nanoTime());
                            } else if (sent.get() < records) {
                              pump();
                            }
                          });
                }
              }
            }.pump());
    long end = done.future().await(10, TimeUnit.MINUTES);
    publisher.close(Duration.ofSeconds(10)).await(30, TimeUnit.SECONDS);
    if (failed.get() > 0) {
      throw new IllegalStateException(failed.get() + " publishes failed");
    }
    return records / ((end - begin) / 1e9);
  }

  /**
   * Plain kafka-clients sending exactly the records Courier sends (same keys, same protobuf value,
   * same CloudEvents headers), with the same window of unacknowledged records and no Vert.x: the
   * cost of the record format alone.
   */
  static double rawSameRecords(String bootstrap, String topic, int records, int recordSize)
      throws Exception {
    createTopic(bootstrap, topic);
    OrderPlaced payload = payload(recordSize);
    java.util.concurrent.Semaphore window = new java.util.concurrent.Semaphore(20_000);
    AtomicLong failed = new AtomicLong();
    long begin = System.nanoTime();
    try (org.apache.kafka.clients.producer.KafkaProducer<String, Event<?>> producer =
        new org.apache.kafka.clients.producer.KafkaProducer<>(
            java.util.Map.of(
                "bootstrap.servers",
                bootstrap,
                "acks",
                "all",
                "enable.idempotence",
                true,
                "linger.ms",
                5,
                "batch.size",
                BATCH),
            new org.apache.kafka.common.serialization.StringSerializer(),
            new io.courier.codec.kafka.EventSerializer())) {
      for (int n = 1; n <= records; n++) {
        window.acquire();
        Event<OrderPlaced> event = Event.of("/bench", "key-" + (n % 10_000), payload);
        producer.send(
            new org.apache.kafka.clients.producer.ProducerRecord<>(topic, event.subject(), event),
            (metadata, error) -> {
              if (error != null) {
                failed.incrementAndGet();
              }
              window.release();
            });
      }
      producer.flush();
    }
    if (failed.get() > 0) {
      throw new IllegalStateException(failed.get() + " sends failed");
    }
    return records / ((System.nanoTime() - begin) / 1e9);
  }

  /** Bytes of one Courier record on the wire: value, header names and values, key. */
  static int recordBytes(OrderPlaced payload) {
    org.apache.kafka.common.header.internals.RecordHeaders headers =
        new org.apache.kafka.common.header.internals.RecordHeaders();
    Event<OrderPlaced> event = Event.of("/bench", "key-1234", payload);
    byte[] value = new io.courier.codec.kafka.EventSerializer().serialize("t", headers, event);
    int bytes = value.length + event.subject().length();
    for (org.apache.kafka.common.header.Header header : headers) {
      bytes += header.key().length() + header.value().length;
    }
    return bytes;
  }

  /** An order whose protobuf encoding is about {@code size} bytes. */
  static OrderPlaced payload(int size) {
    Order.Builder order =
        Order.newBuilder()
            .setId("order-0000000001")
            .setUserId("user-00042")
            .setIdempotencyKey("idem-key-0001");
    while (order.build().getSerializedSize() < size - 40) {
      order.addItems(
          LineItem.newBuilder()
              .setSku("SKU-" + order.getItemsCount())
              .setQuantity(2)
              .setUnitPrice(Money.newBuilder().setCurrency("EUR").setAmountMinor(1999)));
    }
    return OrderPlaced.newBuilder().setOrder(order).build();
  }

  /**
   * Creates the topic and waits until each partition takes a write: sending the instant a topic is
   * created races the partition leaders' election (NotLeaderOrFollower, then out-of-order sequence
   * errors for an idempotent producer), which is not what is measured here.
   */
  private static void createTopic(String bootstrap, String topic) throws Exception {
    try (Admin admin =
        Admin.create(java.util.Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap))) {
      admin
          .createTopics(Set.of(new NewTopic(topic, Optional.of(PARTITIONS), REPLICATION)))
          .all()
          .get(30, TimeUnit.SECONDS);
    }
    try (org.apache.kafka.clients.producer.KafkaProducer<byte[], byte[]> warmUp =
        new org.apache.kafka.clients.producer.KafkaProducer<>(
            java.util.Map.of("bootstrap.servers", bootstrap, "acks", "all"),
            new org.apache.kafka.common.serialization.ByteArraySerializer(),
            new org.apache.kafka.common.serialization.ByteArraySerializer())) {
      for (int partition = 0; partition < PARTITIONS; partition++) {
        warmUp
            .send(
                new org.apache.kafka.clients.producer.ProducerRecord<>(
                    topic, partition, null, new byte[1]))
            .get(30, TimeUnit.SECONDS);
      }
    }
  }
}
