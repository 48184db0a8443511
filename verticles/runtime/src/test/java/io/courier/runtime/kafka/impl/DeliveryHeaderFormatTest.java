package io.courier.runtime.kafka.impl;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;

import io.courier.runtime.kafka.DeliveryHeaders;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.header.Header;
import org.apache.kafka.common.header.Headers;
import org.apache.kafka.common.header.internals.RecordHeaders;
import org.apache.kafka.common.record.TimestampType;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

@DisplayName("The delivery-header format")
class DeliveryHeaderFormatTest {

  private static final byte[] VALUE = {8, 1, 2};

  @Test
  @DisplayName("parks a first delivery in the retry topic with where it came from and why")
  void shouldWriteTheRetryHeadersOfAFirstDelivery() {
    ConsumerRecord<String, byte[]> consumed = consumed("orders", 2, 41, appHeaders());

    ProducerRecord<String, byte[]> parked =
        DeliveryHeaderFormat.toRetryTopic(consumed, new IllegalStateException("boom"), 3, 1_234L);

    assertThat(parked.topic()).isEqualTo("orders.retry");
    assertThat(parked.partition()).isNull();
    assertThat(parked.key()).isEqualTo("o-1");
    assertThat(parked.value()).isEqualTo(VALUE);
    assertThat(keys(parked.headers()))
        .containsExactly(
            "ce_type",
            "traceparent",
            DeliveryHeaders.ORIGINAL_TOPIC,
            DeliveryHeaders.ORIGINAL_PARTITION,
            DeliveryHeaders.ORIGINAL_OFFSET,
            DeliveryHeaders.ERROR_CLASS,
            DeliveryHeaders.ERROR_MESSAGE,
            DeliveryHeaders.ATTEMPTS,
            DeliveryHeaders.RETRIES,
            DeliveryHeaders.RETRY_AT);
    assertThat(DeliveryHeaderFormat.asText(parked.headers()))
        .containsEntry("ce_type", "courier.v1.OrderPlaced")
        .containsEntry(DeliveryHeaders.ORIGINAL_TOPIC, "orders")
        .containsEntry(DeliveryHeaders.ORIGINAL_PARTITION, "2")
        .containsEntry(DeliveryHeaders.ORIGINAL_OFFSET, "41")
        .containsEntry(DeliveryHeaders.ERROR_CLASS, IllegalStateException.class.getName())
        .containsEntry(DeliveryHeaders.ERROR_MESSAGE, "boom")
        .containsEntry(DeliveryHeaders.ATTEMPTS, "3")
        .containsEntry(DeliveryHeaders.RETRIES, "1")
        .containsEntry(DeliveryHeaders.RETRY_AT, "1234");
  }

  @Test
  @DisplayName("reads back what it wrote when the record comes round from the retry topic")
  void shouldReadBackTheRetryHeaders() {
    ProducerRecord<String, byte[]> parked =
        DeliveryHeaderFormat.toRetryTopic(
            consumed("orders", 2, 41, appHeaders()), new IllegalStateException("boom"), 3, 1_234L);

    ConsumerRecord<String, byte[]> again = consumedFrom(parked, 0, 7);

    assertThat(DeliveryHeaderFormat.retries(again)).isEqualTo(1);
    assertThat(DeliveryHeaderFormat.attempts(again)).isEqualTo(3);
    assertThat(DeliveryHeaderFormat.retryAt(again)).isEqualTo(1_234L);
  }

  @Test
  @DisplayName("keeps the first origin and counts on when a retried record is parked again")
  void shouldKeepTheOriginAcrossRetries() {
    ConsumerRecord<String, byte[]> retried =
        consumedFrom(
            DeliveryHeaderFormat.toRetryTopic(
                consumed("orders", 2, 41, appHeaders()), new IllegalStateException("a"), 3, 5L),
            0,
            7);

    ProducerRecord<String, byte[]> dead =
        DeliveryHeaderFormat.toDeadLetterTopic(
            retried, new IllegalArgumentException("b"), DeliveryHeaderFormat.attempts(retried) + 2);

    assertThat(dead.topic()).isEqualTo("orders.dlt");
    Map<String, String> text = DeliveryHeaderFormat.asText(dead.headers());
    assertThat(text)
        .containsEntry(DeliveryHeaders.ORIGINAL_TOPIC, "orders")
        .containsEntry(DeliveryHeaders.ORIGINAL_PARTITION, "2")
        .containsEntry(DeliveryHeaders.ORIGINAL_OFFSET, "41")
        .containsEntry(DeliveryHeaders.ATTEMPTS, "5")
        .containsEntry(DeliveryHeaders.RETRIES, "1")
        .doesNotContainKey(DeliveryHeaders.RETRY_AT);
    assertThat(DeliveryHeaderFormat.error(text))
        .isEqualTo(IllegalArgumentException.class.getName() + ": b");
    for (String name : List.of(DeliveryHeaders.ORIGINAL_TOPIC, DeliveryHeaders.RETRIES)) {
      assertThat(keys(dead.headers())).as("written once: %s", name).containsOnlyOnce(name);
    }
  }

  @Test
  @DisplayName("replays a dead letter to its original topic without the delivery headers")
  void shouldReplayADeadLetterBackToItsOrigin() {
    ProducerRecord<String, byte[]> dead =
        DeliveryHeaderFormat.toDeadLetterTopic(
            consumed("orders.retry", 0, 9, appHeaders()), new IllegalStateException("x"), 4);

    ProducerRecord<String, byte[]> back =
        DeliveryHeaderFormat.backToOrigin(consumedFrom(dead, 1, 3));

    assertThat(back.topic()).isEqualTo("orders");
    assertThat(back.partition()).isNull();
    assertThat(back.key()).isEqualTo("o-1");
    assertThat(back.value()).isEqualTo(VALUE);
    assertThat(keys(back.headers())).containsExactly("ce_type", "traceparent");
  }

  @Test
  @DisplayName("replays a dead letter without an origin header to the topic its DLT belongs to")
  void shouldReplayToTheDeadLetterTopicsBaseWithoutAnOrigin() {
    RecordHeaders headers = appHeaders();
    headers.add(DeliveryHeaders.ERROR_CLASS, "java.lang.IllegalStateException".getBytes(UTF_8));

    ProducerRecord<String, byte[]> back =
        DeliveryHeaderFormat.backToOrigin(consumed("payments.dlt", 0, 0, headers));

    assertThat(back.topic()).isEqualTo("payments");
    assertThat(keys(back.headers())).containsExactly("ce_type", "traceparent");
  }

  @Test
  @DisplayName(
      "never replays to the topic a planted origin header names, and marks such a record foreign")
  void shouldNeverReplayWhereAnOriginHeaderPoints() {
    RecordHeaders headers = appHeaders();
    headers.add(DeliveryHeaders.ORIGINAL_TOPIC, "courier.processed.order-service".getBytes(UTF_8));
    ConsumerRecord<String, byte[]> planted = consumed("payments.dlt", 0, 7, headers);

    assertThat(DeliveryHeaderFormat.backToOrigin(planted).topic()).isEqualTo("payments");
    assertThat(DeliveryHeaderFormat.claimsAnotherOrigin(planted)).isTrue();
    RecordHeaders own = appHeaders();
    own.add(DeliveryHeaders.ORIGINAL_TOPIC, "payments".getBytes(UTF_8));
    assertThat(DeliveryHeaderFormat.claimsAnotherOrigin(consumed("payments.dlt", 0, 8, own)))
        .isFalse();
  }

  @Test
  @DisplayName("cuts a long failure message to 1,000 characters")
  void shouldCutALongErrorMessage() {
    String message = "x".repeat(1_500);

    ProducerRecord<String, byte[]> dead =
        DeliveryHeaderFormat.toDeadLetterTopic(
            consumed("orders", 0, 0, new RecordHeaders()), new RuntimeException(message), 1);

    assertThat(DeliveryHeaderFormat.asText(dead.headers()).get(DeliveryHeaders.ERROR_MESSAGE))
        .isEqualTo(message.substring(0, 1_000));
  }

  @Test
  @DisplayName("reads missing or unreadable counts and times as 0")
  void shouldReadMissingOrBadValuesAsZero() {
    RecordHeaders headers = new RecordHeaders();
    headers.add(DeliveryHeaders.RETRIES, "many".getBytes(UTF_8));
    headers.add(DeliveryHeaders.RETRY_AT, "soon".getBytes(UTF_8));
    headers.add(DeliveryHeaders.ATTEMPTS, null);
    ConsumerRecord<String, byte[]> record = consumed("orders.retry", 0, 0, headers);

    assertThat(DeliveryHeaderFormat.retries(record)).isZero();
    assertThat(DeliveryHeaderFormat.attempts(record)).isZero();
    assertThat(DeliveryHeaderFormat.retryAt(record)).isZero();
    assertThat(DeliveryHeaderFormat.retryAt(consumed("orders", 0, 0, new RecordHeaders())))
        .isZero();
    assertThat(DeliveryHeaderFormat.asText(headers)).containsEntry(DeliveryHeaders.ATTEMPTS, "");
    assertThat(DeliveryHeaderFormat.error(Map.of())).isEqualTo("?: ");
  }

  private static RecordHeaders appHeaders() {
    RecordHeaders headers = new RecordHeaders();
    headers.add("ce_type", "courier.v1.OrderPlaced".getBytes(UTF_8));
    headers.add("traceparent", "00-abc-def-01".getBytes(UTF_8));
    return headers;
  }

  private static ConsumerRecord<String, byte[]> consumed(
      String topic, int partition, long offset, Headers headers) {
    return new ConsumerRecord<>(
        topic,
        partition,
        offset,
        0L,
        TimestampType.CREATE_TIME,
        -1,
        -1,
        "o-1",
        VALUE,
        headers,
        Optional.empty());
  }

  /** {@code written} as a consumer of its topic would read it. */
  private static ConsumerRecord<String, byte[]> consumedFrom(
      ProducerRecord<String, byte[]> written, int partition, long offset) {
    RecordHeaders headers = new RecordHeaders();
    for (Header header : written.headers()) {
      headers.add(header.key(), header.value());
    }
    return new ConsumerRecord<>(
        written.topic(),
        partition,
        offset,
        0L,
        TimestampType.CREATE_TIME,
        -1,
        -1,
        written.key(),
        written.value(),
        headers,
        Optional.empty());
  }

  private static List<String> keys(Headers headers) {
    List<String> keys = new ArrayList<>();
    headers.forEach(header -> keys.add(header.key()));
    return keys;
  }
}
