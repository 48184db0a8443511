package io.courier.runtime.kafka.impl;

import static java.nio.charset.StandardCharsets.UTF_8;

import io.courier.runtime.kafka.DeadLetters;
import io.courier.runtime.kafka.DeliveryHeaders;
import java.util.LinkedHashMap;
import java.util.Map;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.header.Header;
import org.apache.kafka.common.header.Headers;
import org.apache.kafka.common.header.internals.RecordHeaders;

/**
 * How the {@link DeliveryHeaders} are written and read: the consumer writes them on a record it
 * parks in a retry or dead-letter topic and reads them when the record comes round again; {@link
 * DeadLetters} reads them to list a dead letter and strips them to replay it. Values are UTF-8
 * text; a missing or unreadable count reads as 0.
 */
public final class DeliveryHeaderFormat {

  /** Characters of the failure message a parked record keeps. */
  static final int MAX_ERROR_MESSAGE = 1_000;

  private DeliveryHeaderFormat() {}

  /**
   * The record to write to the retry topic of {@code record}'s topic: one more retry, not handled
   * before {@code retryAtMillis}.
   *
   * @param attempts handler attempts in all, this delivery's included
   */
  static ProducerRecord<String, byte[]> toRetryTopic(
      ConsumerRecord<String, byte[]> record, Throwable cause, int attempts, long retryAtMillis) {
    RecordHeaders headers = parkedHeaders(record, cause, attempts);
    put(headers, DeliveryHeaders.RETRIES, Integer.toString(retries(record) + 1));
    put(headers, DeliveryHeaders.RETRY_AT, Long.toString(retryAtMillis));
    return parked(record, DeliveryHeaders.RETRY_SUFFIX, headers);
  }

  /**
   * The record to write to the dead-letter topic of {@code record}'s topic.
   *
   * @param attempts handler attempts in all, this delivery's included
   */
  static ProducerRecord<String, byte[]> toDeadLetterTopic(
      ConsumerRecord<String, byte[]> record, Throwable cause, int attempts) {
    RecordHeaders headers = parkedHeaders(record, cause, attempts);
    put(headers, DeliveryHeaders.RETRIES, Integer.toString(retries(record)));
    return parked(record, DeliveryHeaders.DLT_SUFFIX, headers);
  }

  /** How many times {@code record} went through the retry topic before. */
  static int retries(ConsumerRecord<String, byte[]> record) {
    return intHeader(record, DeliveryHeaders.RETRIES);
  }

  /** Handler attempts {@code record} had in earlier deliveries. */
  static int attempts(ConsumerRecord<String, byte[]> record) {
    return intHeader(record, DeliveryHeaders.ATTEMPTS);
  }

  /**
   * The epoch milliseconds before which {@code record} is not handled, 0 when it may be handled
   * now.
   */
  static long retryAt(ConsumerRecord<String, byte[]> record) {
    Header header = record.headers().lastHeader(DeliveryHeaders.RETRY_AT);
    if (header == null) {
      return 0;
    }
    try {
      return Long.parseLong(new String(header.value(), UTF_8));
    } catch (NumberFormatException e) {
      return 0;
    }
  }

  /**
   * A parked record as it was before Courier parked it: on the topic it was first consumed from
   * (the last {@link DeliveryHeaders#ORIGINAL_TOPIC} with a value, else the topic its parking topic
   * belongs to), without delivery headers.
   */
  public static ProducerRecord<String, byte[]> backToOrigin(ConsumerRecord<String, byte[]> parked) {
    // Only ever the topic this dead-letter topic belongs to: a courier_original_topic header is
    // anyone's to write, and must not decide where a replay writes.
    String origin = DeliveryHeaders.baseTopic(parked.topic());
    RecordHeaders headers = new RecordHeaders();
    for (Header header : parked.headers()) {
      if (!DeliveryHeaders.isDeliveryHeader(header.key())) {
        headers.add(header);
      }
    }
    return new ProducerRecord<>(origin, null, parked.key(), parked.value(), headers);
  }

  /**
   * Whether a parked record claims to come from another topic than the one its dead-letter topic
   * belongs to ({@code courier_original_topic}): not a record Courier parked there, so not one to
   * replay.
   */
  public static boolean claimsAnotherOrigin(ConsumerRecord<String, byte[]> parked) {
    String own = DeliveryHeaders.baseTopic(parked.topic());
    Header claimed = parked.headers().lastHeader(DeliveryHeaders.ORIGINAL_TOPIC);
    return claimed != null
        && claimed.value() != null
        && !own.equals(new String(claimed.value(), UTF_8));
  }

  /** Every header as text, in record order (a header without a value as ""). */
  public static Map<String, String> asText(Headers headers) {
    Map<String, String> text = new LinkedHashMap<>();
    for (Header header : headers) {
      text.put(header.key(), header.value() == null ? "" : new String(header.value(), UTF_8));
    }
    return text;
  }

  /**
   * The failure that parked a record, from its headers as text: e.g. {@code
   * java.lang.IllegalStateException: boom}.
   */
  public static String error(Map<String, String> headers) {
    return headers.getOrDefault(DeliveryHeaders.ERROR_CLASS, "?")
        + ": "
        + headers.getOrDefault(DeliveryHeaders.ERROR_MESSAGE, "");
  }

  /**
   * {@code record}'s own headers and the delivery headers every parked record has: where it was
   * first consumed (kept from an earlier parking), the failure, the attempts in all.
   */
  private static RecordHeaders parkedHeaders(
      ConsumerRecord<String, byte[]> record, Throwable cause, int attempts) {
    RecordHeaders headers = new RecordHeaders();
    for (Header header : record.headers()) {
      if (!DeliveryHeaders.isDeliveryHeader(header.key())) {
        headers.add(header);
      }
    }
    put(
        headers,
        DeliveryHeaders.ORIGINAL_TOPIC,
        stringHeader(
            record, DeliveryHeaders.ORIGINAL_TOPIC, DeliveryHeaders.baseTopic(record.topic())));
    put(
        headers,
        DeliveryHeaders.ORIGINAL_PARTITION,
        stringHeader(
            record, DeliveryHeaders.ORIGINAL_PARTITION, Integer.toString(record.partition())));
    put(
        headers,
        DeliveryHeaders.ORIGINAL_OFFSET,
        stringHeader(record, DeliveryHeaders.ORIGINAL_OFFSET, Long.toString(record.offset())));
    put(headers, DeliveryHeaders.ERROR_CLASS, cause.getClass().getName());
    String message = String.valueOf(cause.getMessage());
    put(
        headers,
        DeliveryHeaders.ERROR_MESSAGE,
        message.length() > MAX_ERROR_MESSAGE ? message.substring(0, MAX_ERROR_MESSAGE) : message);
    put(headers, DeliveryHeaders.ATTEMPTS, Integer.toString(attempts));
    return headers;
  }

  private static ProducerRecord<String, byte[]> parked(
      ConsumerRecord<String, byte[]> record, String suffix, RecordHeaders headers) {
    String target = DeliveryHeaders.baseTopic(record.topic()) + suffix;
    return new ProducerRecord<>(target, null, record.key(), record.value(), headers);
  }

  private static int intHeader(ConsumerRecord<String, byte[]> record, String name) {
    try {
      return Integer.parseInt(stringHeader(record, name, "0"));
    } catch (NumberFormatException e) {
      return 0;
    }
  }

  private static String stringHeader(
      ConsumerRecord<String, byte[]> record, String name, String fallback) {
    Header header = record.headers().lastHeader(name);
    return header == null || header.value() == null ? fallback : new String(header.value(), UTF_8);
  }

  private static void put(RecordHeaders headers, String name, String value) {
    headers.remove(name);
    headers.add(name, value.getBytes(UTF_8));
  }
}
