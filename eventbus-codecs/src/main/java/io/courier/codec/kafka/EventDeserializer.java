package io.courier.codec.kafka;

import static java.nio.charset.StandardCharsets.UTF_8;

import com.google.protobuf.InvalidProtocolBufferException;
import com.google.protobuf.Message;
import io.courier.codec.ContractTypes;
import io.courier.codec.Event;
import io.courier.codec.kafka.EventDecodingException.Reason;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import org.apache.kafka.common.header.Header;
import org.apache.kafka.common.header.Headers;
import org.apache.kafka.common.serialization.Deserializer;

/**
 * Reads a CloudEvents binary-mode Kafka record back into an {@link Event}. Every defect fails with
 * an {@link EventDecodingException} naming the event type and the cause; a tombstone (null value)
 * reads as {@code null}.
 */
public final class EventDeserializer implements Deserializer<Event<?>> {

  @Override
  public Event<?> deserialize(String topic, byte[] data) {
    throw new EventDecodingException(
        Reason.MISSING_HEADER,
        "",
        "Courier events carry their envelope in record headers; this consumer called the"
            + " header-less deserialize(topic, data)",
        null);
  }

  @Override
  public Event<?> deserialize(String topic, Headers headers, byte[] data) {
    if (data == null) {
      return null;
    }
    String type = required(headers, CloudEventHeaders.TYPE, "");
    String specVersion = required(headers, CloudEventHeaders.SPEC_VERSION, type);
    if (!CloudEventHeaders.SPEC_VERSION_VALUE.equals(specVersion)) {
      throw new EventDecodingException(
          Reason.MALFORMED_HEADER,
          type,
          "event " + type + " has unsupported ce_specversion '" + specVersion + "'",
          null);
    }
    Message prototype =
        ContractTypes.byName(type)
            .orElseThrow(
                () ->
                    new EventDecodingException(
                        Reason.UNKNOWN_TYPE, type, "unknown event type '" + type + "'", null));
    int schemaVersion = schemaVersion(headers, type);
    int known = ContractTypes.schemaVersion(prototype.getDescriptorForType());
    if (schemaVersion > known) {
      throw new EventDecodingException(
          Reason.NEWER_SCHEMA,
          type,
          "event "
              + type
              + " has schema version "
              + schemaVersion
              + ", this consumer knows up to "
              + known,
          null);
    }
    Message payload;
    try {
      payload = prototype.getParserForType().parseFrom(data);
    } catch (InvalidProtocolBufferException e) {
      throw new EventDecodingException(
          Reason.CORRUPT_PAYLOAD,
          type,
          "cannot decode " + type + " payload of " + data.length + " bytes: " + e.getMessage(),
          e);
    }
    try {
      return new Event<>(
          required(headers, CloudEventHeaders.ID, type),
          type,
          required(headers, CloudEventHeaders.SOURCE, type),
          time(headers, type),
          required(headers, CloudEventHeaders.SUBJECT, type),
          schemaVersion,
          optional(headers, CloudEventHeaders.TRACEPARENT),
          optional(headers, CloudEventHeaders.TRACESTATE),
          payload);
    } catch (IllegalArgumentException e) {
      throw new EventDecodingException(
          Reason.MALFORMED_HEADER, type, "event " + type + ": " + e.getMessage(), e);
    }
  }

  private static Instant time(Headers headers, String type) {
    String value = required(headers, CloudEventHeaders.TIME, type);
    try {
      return EventTime.parse(value);
    } catch (DateTimeParseException e) {
      throw new EventDecodingException(
          Reason.MALFORMED_HEADER,
          type,
          "event " + type + " has a ce_time that is not RFC 3339: '" + value + "'",
          e);
    }
  }

  private static int schemaVersion(Headers headers, String type) {
    String value = optional(headers, CloudEventHeaders.SCHEMA_VERSION);
    if (value.isEmpty()) {
      return 1;
    }
    try {
      return Integer.parseInt(value);
    } catch (NumberFormatException e) {
      throw new EventDecodingException(
          Reason.MALFORMED_HEADER,
          type,
          "event " + type + " has a non-numeric ce_schemaversion '" + value + "'",
          e);
    }
  }

  private static String required(Headers headers, String name, String type) {
    String value = optional(headers, name);
    if (value.isEmpty()) {
      String what = type.isEmpty() ? "record" : "event " + type;
      throw new EventDecodingException(
          Reason.MISSING_HEADER, type, what + " has no " + name + " header", null);
    }
    return value;
  }

  private static String optional(Headers headers, String name) {
    Header header = headers == null ? null : headers.lastHeader(name);
    return header == null || header.value() == null ? "" : new String(header.value(), UTF_8);
  }
}
