package io.courier.bench;

import io.courier.codec.Event;
import io.courier.contract.v1.LineItem;
import io.courier.contract.v1.Money;
import io.courier.contract.v1.Order;
import io.courier.contract.v1.OrderPlaced;
import io.courier.kafka.embedded.EmbeddedKafkaBroker;
import io.courier.runtime.config.CourierConfig.ProducerConfig;
import io.courier.runtime.kafka.impl.KafkaEventPublisher;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.tools.ProducerPerformance;

/**
 * Courier's publish path against Kafka's own load tool on one embedded broker, in one run: raw
 * {@code ProducerPerformance} (kafka-clients, byte[] records of the given size) and Courier's
 * {@code KafkaEventPublisher} (protobuf events of about the same payload size, CloudEvents headers,
 * futures completed on a Vert.x context), both {@code acks=all}, idempotent, linger 5 ms. Rounds
 * alternate raw and Courier to spread the machine's noise over both.
 */
public final class PublishBenchmark {

  /** Courier's default kafka.producer.batchSizeBytes. */
  static final int BATCH = 131_072;

  private static final Pattern RATE = Pattern.compile("([0-9.]+) records/sec");

  private PublishBenchmark() {}

  public static void main(String[] args) throws Exception {
    int records = args.length > 0 ? Integer.parseInt(args[0]) : 500_000;
    int recordSize = args.length > 1 ? Integer.parseInt(args[1]) : 200;
    int rounds = args.length > 2 ? Integer.parseInt(args[2]) : 2;
    List<String> lines = new ArrayList<>();
    List<String> consumerLines = new ArrayList<>();
    int courierRecordBytes = recordBytes(payload(recordSize));
    try (EmbeddedKafkaBroker broker = EmbeddedKafkaBroker.builder().build().start()) {
      String bootstrap = broker.bootstrapServers();
      Vertx vertx = Vertx.vertx();
      try {
        for (int round = 1; round <= rounds; round++) {
          double raw = raw(bootstrap, "bench-raw-" + round, records, recordSize, 16_384);
          double rawBatched = raw(bootstrap, "bench-rawb-" + round, records, recordSize, BATCH);
          double rawSameBytes =
              raw(bootstrap, "bench-rawbytes-" + round, records, courierRecordBytes, BATCH);
          double sameRecords =
              rawSameRecords(bootstrap, "bench-same-" + round, records, recordSize);
          double courier = courier(vertx, bootstrap, "bench-courier-" + round, records, recordSize);
          double consumeDedupe =
              consume(vertx, bootstrap, "bench-courier-" + round, records, 200_000);
          double consumePlain = consume(vertx, bootstrap, "bench-courier-" + round, records, 0);
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
    System.out.printf(
        "%nPublish benchmark: %,d records of ~%d bytes, acks=all, on one embedded KRaft broker%n",
        records, recordSize);
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

  /** Reads the whole topic with a fresh group through KafkaEventConsumer; trivial handler. */
  private static double consume(
      Vertx vertx, String bootstrap, String topic, int records, int dedupeCapacity)
      throws Exception {
    AtomicLong handled = new AtomicLong();
    Promise<Long> done = Promise.promise();
    io.courier.runtime.kafka.impl.KafkaEventConsumer consumer =
        new io.courier.runtime.kafka.impl.KafkaEventConsumer(
            vertx,
            bootstrap,
            List.of(topic),
            new io.courier.runtime.config.CourierConfig.ConsumerConfig(
                "bench-" + java.util.UUID.randomUUID(),
                5_000,
                3,
                100,
                5_000,
                2,
                5_000,
                dedupeCapacity,
                1,
                1_000),
            event -> {
              if (handled.incrementAndGet() == records) {
                done.tryComplete(System.nanoTime());
              }
              return io.vertx.core.Future.succeededFuture();
            });
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
    KafkaEventPublisher publisher =
        KafkaEventPublisher.create(
                vertx, bootstrap, new ProducerConfig(5, 120_000, 1_048_576, 50_000, BATCH))
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
      admin.createTopics(Set.of(new NewTopic(topic, 3, (short) 1))).all().get(30, TimeUnit.SECONDS);
    }
    try (org.apache.kafka.clients.producer.KafkaProducer<byte[], byte[]> warmUp =
        new org.apache.kafka.clients.producer.KafkaProducer<>(
            java.util.Map.of("bootstrap.servers", bootstrap, "acks", "all"),
            new org.apache.kafka.common.serialization.ByteArraySerializer(),
            new org.apache.kafka.common.serialization.ByteArraySerializer())) {
      for (int partition = 0; partition < 3; partition++) {
        warmUp
            .send(
                new org.apache.kafka.clients.producer.ProducerRecord<>(
                    topic, partition, null, new byte[1]))
            .get(30, TimeUnit.SECONDS);
      }
    }
  }
}
