package io.courier.codec;

import com.google.protobuf.ByteString;
import com.google.protobuf.InvalidProtocolBufferException;
import com.google.protobuf.Message;
import com.google.protobuf.Timestamp;
import io.courier.contract.v1.EventEnvelope;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.Objects;
import java.util.UUID;

/**
 * A domain event: the protobuf payload plus the envelope attributes CloudEvents names (id, type,
 * source, time, subject) and Courier adds (schema version, W3C trace context).
 *
 * @param id unique per event; consumers deduplicate on it
 * @param type full protobuf name of the payload
 * @param source URI-reference of the producer
 * @param time when the event happened
 * @param subject the entity the event is about; the Kafka key
 * @param schemaVersion the payload type's schema version
 * @param traceparent W3C traceparent, empty when not traced
 * @param tracestate W3C tracestate, empty when none
 * @param data the payload
 * @param <T> the payload type
 */
public record Event<T extends Message>(
    String id,
    String type,
    String source,
    Instant time,
    String subject,
    int schemaVersion,
    String traceparent,
    String tracestate,
    T data) {

  /** The range protobuf's Timestamp allows: 0001-01-01T00:00:00Z to 9999-12-31T23:59:59Z. */
  private static final long MIN_TIMESTAMP_SECONDS = -62_135_596_800L;

  private static final long MAX_TIMESTAMP_SECONDS = 253_402_300_799L;

  public Event {
    requireText(id, "id");
    requireText(type, "type");
    requireText(source, "source");
    Objects.requireNonNull(time, "time");
    requireText(subject, "subject");
    Objects.requireNonNull(data, "data");
    if (!type.equals(data.getDescriptorForType().getFullName())) {
      throw new IllegalArgumentException(
          "type " + type + " does not match payload " + data.getDescriptorForType().getFullName());
    }
    if (schemaVersion < 1) {
      throw new IllegalArgumentException("schemaVersion must be >= 1, was " + schemaVersion);
    }
    traceparent = traceparent == null ? "" : traceparent;
    tracestate = tracestate == null ? "" : tracestate;
  }

  /** A new event with a random id, the current time and the payload type's schema version. */
  public static <T extends Message> Event<T> of(String source, String subject, T data) {
    return new Event<>(
        UUID.randomUUID().toString(),
        data.getDescriptorForType().getFullName(),
        source,
        Instant.now(),
        subject,
        ContractTypes.schemaVersion(data.getDescriptorForType()),
        "",
        "",
        data);
  }

  /**
   * A new event whose id is derived from {@code identity}: producing "the same" event again (after
   * a crash between the write and the commit of what caused it) gives the same id, so consumers
   * that deduplicate on ids apply it once.
   */
  public static <T extends Message> Event<T> derived(
      String identity, String source, String subject, T data) {
    String id =
        UUID.nameUUIDFromBytes(
                (data.getDescriptorForType().getFullName() + "|" + identity)
                    .getBytes(StandardCharsets.UTF_8))
            .toString();
    return new Event<>(
        id,
        data.getDescriptorForType().getFullName(),
        source,
        Instant.now(),
        subject,
        ContractTypes.schemaVersion(data.getDescriptorForType()),
        "",
        "",
        data);
  }

  /** The same event carrying the given W3C trace context. */
  public Event<T> withTrace(String traceparent, String tracestate) {
    return new Event<>(
        id, type, source, time, subject, schemaVersion, traceparent, tracestate, data);
  }

  /** The self-describing protobuf form of this event. */
  public EventEnvelope toEnvelope() {
    return EventEnvelope.newBuilder()
        .setId(id)
        .setType(type)
        .setSource(source)
        .setTime(Timestamp.newBuilder().setSeconds(time.getEpochSecond()).setNanos(time.getNano()))
        .setSubject(subject)
        .setSchemaVersion(schemaVersion)
        .setTraceparent(traceparent)
        .setTracestate(tracestate)
        .setData(data.toByteString())
        .build();
  }

  /**
   * Reads an envelope back, decoding its payload with the contract type named by {@code type}.
   *
   * @throws DecodingException when the type is unknown, the payload does not parse, or an attribute
   *     is missing or out of range (blank id, source or subject, no time or one that is no valid
   *     protobuf Timestamp, a schema version below 1)
   */
  public static Event<Message> fromEnvelope(EventEnvelope envelope) {
    String type = envelope.getType();
    Message payload = decodePayload(type, envelope.getData());
    if (!envelope.hasTime()) {
      throw new DecodingException(type, "envelope has no time", null);
    }
    Timestamp time = envelope.getTime();
    if (time.getSeconds() < MIN_TIMESTAMP_SECONDS
        || time.getSeconds() > MAX_TIMESTAMP_SECONDS
        || time.getNanos() < 0
        || time.getNanos() > 999_999_999) {
      throw new DecodingException(
          type,
          "envelope time "
              + time.getSeconds()
              + "s "
              + time.getNanos()
              + "ns is no valid Timestamp (0001-01-01 to 9999-12-31, nanos 0 to 999999999)",
          null);
    }
    try {
      return new Event<>(
          envelope.getId(),
          type,
          envelope.getSource(),
          Instant.ofEpochSecond(time.getSeconds(), time.getNanos()),
          envelope.getSubject(),
          envelope.getSchemaVersion(),
          envelope.getTraceparent(),
          envelope.getTracestate(),
          payload);
    } catch (IllegalArgumentException e) {
      throw new DecodingException(type, "envelope " + e.getMessage(), e);
    }
  }

  private static Message decodePayload(String type, ByteString data) {
    if (type.isBlank()) {
      throw new DecodingException(
          EventEnvelope.getDescriptor().getFullName(), "envelope has no type", null);
    }
    Message prototype =
        ContractTypes.byName(type)
            .orElseThrow(() -> new DecodingException(type, "unknown event type", null));
    try {
      return prototype.getParserForType().parseFrom(data);
    } catch (InvalidProtocolBufferException e) {
      throw new DecodingException(type, e.getMessage(), e);
    }
  }

  private static void requireText(String value, String name) {
    if (value == null || value.isBlank()) {
      throw new IllegalArgumentException(name + " must not be blank");
    }
  }
}
