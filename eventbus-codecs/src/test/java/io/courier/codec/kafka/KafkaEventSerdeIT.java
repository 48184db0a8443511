package io.courier.codec.kafka;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;

import com.google.protobuf.Message;
import io.courier.codec.Event;
import io.courier.codec.SampleMessages;
import io.courier.codec.kafka.EventDecodingException.Reason;
import io.courier.contract.v1.Order;
import io.courier.contract.v1.OrderPlaced;
import io.courier.kafka.embedded.EmbeddedKafkaBroker;
import io.courier.kafka.embedded.SharedKafkaBroker;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.errors.RecordDeserializationException;
import org.apache.kafka.common.header.internals.RecordHeaders;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;

@ExtendWith(SharedKafkaBroker.class)
@DisplayName("Courier events through a real Kafka broker")
class KafkaEventSerdeIT {

  @Test
  @Timeout(90)
  @DisplayName("round-trip every contract type with its CloudEvents envelope in headers")
  void shouldRoundTripEveryTypeWithEnvelope(EmbeddedKafkaBroker kafka) throws Exception {
    String topic = "serde-all-" + UUID.randomUUID();
    List<Event<?>> sent = new ArrayList<>();
    try (KafkaProducer<String, Event<?>> producer = eventProducer(kafka)) {
      for (Message sample : SampleMessages.everyType()) {
        Event<?> event =
            Event.of("/courier/test", "subject-1", sample)
                .withTrace("00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01", "k=v");
        sent.add(event);
        producer.send(new ProducerRecord<>(topic, event.subject(), event)).get();
      }
    }

    List<ConsumerRecord<String, Event<?>>> received =
        consume(kafka, topic, sent.size(), new ArrayList<>());

    assertThat(received).extracting(ConsumerRecord::value).containsExactlyElementsOf(sent);
    ConsumerRecord<String, Event<?>> first = received.get(0);
    assertThat(first.key()).isEqualTo("subject-1");
    assertThat(header(first, "ce_specversion")).isEqualTo("1.0");
    assertThat(header(first, "ce_type")).isEqualTo(sent.get(0).type());
    assertThat(header(first, "ce_id")).isEqualTo(sent.get(0).id());
    assertThat(header(first, "content-type")).isEqualTo("application/protobuf");
    assertThat(header(first, "ce_traceparent")).startsWith("00-4bf92f35");
  }

  @Test
  @Timeout(90)
  @DisplayName("skip each bad record with a named failure and keep consuming the good ones")
  void shouldSkipBadRecordsAndKeepConsumingGoodOnes(EmbeddedKafkaBroker kafka) throws Exception {
    String topic = "serde-poison-" + UUID.randomUUID();
    Event<OrderPlaced> good1 = placed("o-1");
    Event<OrderPlaced> good2 = placed("o-2");
    Event<OrderPlaced> good3 = placed("o-3");
    try (KafkaProducer<String, Event<?>> events = eventProducer(kafka);
        KafkaProducer<String, byte[]> raw = rawProducer(kafka)) {
      events.send(new ProducerRecord<>(topic, 0, "o", good1)).get();
      raw.send(record(topic, "courier.v1.OrderPlaced", "1", new byte[] {(byte) 0xff, 1, 2})).get();
      raw.send(record(topic, "courier.v1.NoSuchEvent", "1", new byte[] {8, 1})).get();
      events.send(new ProducerRecord<>(topic, 0, "o", good2)).get();
      raw.send(record(topic, "courier.v1.OrderPlaced", "99", new byte[0])).get();
      raw.send(new ProducerRecord<>(topic, 0, "o", new byte[] {1})).get();
      events.send(new ProducerRecord<>(topic, 0, "o", good3)).get();
    }

    List<RecordDeserializationException> failures = new ArrayList<>();
    List<ConsumerRecord<String, Event<?>>> received = consume(kafka, topic, 3, failures);

    assertThat(received).extracting(ConsumerRecord::value).containsExactly(good1, good2, good3);
    assertThat(failures)
        .extracting(RecordDeserializationException::offset)
        .containsExactly(1L, 2L, 4L, 5L);
    assertThat(failures)
        .extracting(f -> ((EventDecodingException) f.getCause()).reason())
        .containsExactly(
            Reason.CORRUPT_PAYLOAD,
            Reason.UNKNOWN_TYPE,
            Reason.NEWER_SCHEMA,
            Reason.MISSING_HEADER);
    assertThat(failures.get(0).getCause().getMessage())
        .startsWith("cannot decode courier.v1.OrderPlaced payload of 3 bytes: ");
    assertThat(failures.get(1).getCause().getMessage())
        .isEqualTo("unknown event type 'courier.v1.NoSuchEvent'");
    assertThat(failures.get(2).getCause().getMessage())
        .isEqualTo(
            "event courier.v1.OrderPlaced has schema version 99, this consumer knows up to 1");
    assertThat(failures.get(3).getCause().getMessage()).isEqualTo("record has no ce_type header");
  }

  private static Event<OrderPlaced> placed(String orderId) {
    return Event.of(
        "/courier/test",
        orderId,
        OrderPlaced.newBuilder().setOrder(Order.newBuilder().setId(orderId)).build());
  }

  private static ProducerRecord<String, byte[]> record(
      String topic, String type, String schemaVersion, byte[] value) {
    RecordHeaders headers = new RecordHeaders();
    headers.add("ce_specversion", "1.0".getBytes(UTF_8));
    headers.add("ce_id", UUID.randomUUID().toString().getBytes(UTF_8));
    headers.add("ce_type", type.getBytes(UTF_8));
    headers.add("ce_source", "/courier/test".getBytes(UTF_8));
    headers.add("ce_time", "2026-11-22T10:00:00Z".getBytes(UTF_8));
    headers.add("ce_subject", "o".getBytes(UTF_8));
    headers.add("ce_schemaversion", schemaVersion.getBytes(UTF_8));
    return new ProducerRecord<>(topic, 0, "o", value, headers);
  }

  private static String header(ConsumerRecord<?, ?> record, String name) {
    return new String(record.headers().lastHeader(name).value(), UTF_8);
  }

  private static KafkaProducer<String, Event<?>> eventProducer(EmbeddedKafkaBroker kafka) {
    return new KafkaProducer<>(
        Map.of(
            ProducerConfig.BOOTSTRAP_SERVERS_CONFIG,
            kafka.bootstrapServers(),
            ProducerConfig.ACKS_CONFIG,
            "all"),
        new StringSerializer(),
        new EventSerializer());
  }

  private static KafkaProducer<String, byte[]> rawProducer(EmbeddedKafkaBroker kafka) {
    return new KafkaProducer<>(
        Map.of(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, kafka.bootstrapServers()),
        new StringSerializer(),
        new ByteArraySerializer());
  }

  private static List<ConsumerRecord<String, Event<?>>> consume(
      EmbeddedKafkaBroker kafka,
      String topic,
      int expected,
      List<RecordDeserializationException> failures) {
    List<ConsumerRecord<String, Event<?>>> received = new ArrayList<>();
    try (KafkaConsumer<String, Event<?>> consumer =
        new KafkaConsumer<>(
            Map.of(
                ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG,
                kafka.bootstrapServers(),
                ConsumerConfig.GROUP_ID_CONFIG,
                "serde-" + UUID.randomUUID(),
                ConsumerConfig.AUTO_OFFSET_RESET_CONFIG,
                "earliest"),
            new StringDeserializer(),
            new EventDeserializer())) {
      consumer.subscribe(List.of(topic));
      long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
      while (received.size() < expected && System.nanoTime() < deadline) {
        CorruptRecordSkipper.poll(consumer, Duration.ofMillis(200), failures::add)
            .forEach(received::add);
      }
    }
    return received;
  }
}
