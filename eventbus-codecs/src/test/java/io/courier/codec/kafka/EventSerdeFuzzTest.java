package io.courier.codec.kafka;

import static org.assertj.core.api.Assertions.assertThat;

import com.code_intelligence.jazzer.junit.FuzzTest;
import com.google.protobuf.InvalidProtocolBufferException;
import com.google.protobuf.Message;
import io.courier.codec.ContractTypes;
import io.courier.codec.Event;
import io.courier.codec.FuzzBytes;
import java.time.Instant;
import java.util.List;
import org.apache.kafka.common.header.Headers;
import org.apache.kafka.common.header.internals.RecordHeaders;

/**
 * Kafka records in Courier's CloudEvents binary mode, two properties in one target (Jazzer fuzzes
 * one target per JVM, and these share their coverage):
 *
 * <ul>
 *   <li>any headers and value read as an event (or {@code null} for a tombstone) or fail with an
 *       {@link EventDecodingException}, never another exception; an event read this way writes and
 *       reads back unchanged;
 *   <li>any event built from the fuzzer's values (every contract type, any instant, any text) reads
 *       back equal to what {@link EventSerializer} wrote.
 * </ul>
 *
 * <p>Input: byte 0 picks the property (even: a raw record, odd: an event), the rest is read with
 * {@link FuzzBytes}. Seeds in {@code EventSerdeFuzzTestInputs/serde} are the records of an event of
 * every contract type as {@code KafkaEventSerdeIT} sends them, the malformed records it sends, and
 * the same events as built events.
 */
class EventSerdeFuzzTest {

  /** The header names a record reads, first (a name byte below 0x80 picks one). */
  static final List<String> HEADER_NAMES =
      List.of(
          CloudEventHeaders.SPEC_VERSION,
          CloudEventHeaders.ID,
          CloudEventHeaders.TYPE,
          CloudEventHeaders.SOURCE,
          CloudEventHeaders.TIME,
          CloudEventHeaders.SUBJECT,
          CloudEventHeaders.SCHEMA_VERSION,
          CloudEventHeaders.TRACEPARENT,
          CloudEventHeaders.TRACESTATE,
          CloudEventHeaders.DATA_SCHEMA,
          CloudEventHeaders.CONTENT_TYPE);

  static final List<Message> TYPES = List.copyOf(ContractTypes.defaultInstances());

  private static final long MIN_SECOND = Instant.MIN.getEpochSecond();
  private static final long SECONDS = Instant.MAX.getEpochSecond() - MIN_SECOND + 1;

  private final EventSerializer serializer = new EventSerializer();
  private final EventDeserializer deserializer = new EventDeserializer();

  @FuzzTest(maxDuration = "60s")
  void serde(byte[] input) {
    FuzzBytes in = new FuzzBytes(input);
    if (in.u8() % 2 == 0) {
      readRecord(in);
    } else {
      roundTrip(in);
    }
  }

  private void readRecord(FuzzBytes in) {
    Headers headers = new RecordHeaders();
    int count = in.u8() % 16;
    for (int i = 0; i < count; i++) {
      int name = in.u8();
      String key = name < 0x80 ? HEADER_NAMES.get(name % HEADER_NAMES.size()) : in.text();
      headers.add(key, in.u8() == 0xff ? null : in.bytes());
    }
    byte[] value = in.u8() == 0xff ? null : in.rest();

    Event<?> event;
    try {
      event = deserializer.deserialize("orders", headers, value);
    } catch (EventDecodingException e) {
      assertThat(e.reason()).isNotNull();
      assertThat(e.getMessage()).isNotBlank();
      return;
    }
    if (value == null) {
      assertThat(event).isNull();
      return;
    }
    assertThat(writtenAndRead(event)).isEqualTo(event);
  }

  private void roundTrip(FuzzBytes in) {
    Message prototype = TYPES.get(in.u8() % TYPES.size());
    Message payload;
    try {
      payload = prototype.getParserForType().parseFrom(in.bytes());
    } catch (InvalidProtocolBufferException e) {
      return;
    }
    Instant time =
        Instant.ofEpochSecond(
            MIN_SECOND + Math.floorMod(in.i64(), SECONDS), Math.floorMod(in.i64(), 1_000_000_000));
    int known = ContractTypes.schemaVersion(prototype.getDescriptorForType());
    Event<Message> event;
    try {
      event =
          new Event<>(
              in.text(),
              prototype.getDescriptorForType().getFullName(),
              in.text(),
              time,
              in.text(),
              1 + in.u8() % known,
              in.text(),
              in.text(),
              payload);
    } catch (IllegalArgumentException e) {
      // Blank id, source or subject: not an event, so nothing to round-trip.
      return;
    }
    assertThat(writtenAndRead(event)).isEqualTo(event);
  }

  private Event<?> writtenAndRead(Event<?> event) {
    Headers headers = new RecordHeaders();
    byte[] value = serializer.serialize("orders", headers, event);
    return deserializer.deserialize("orders", headers, value);
  }
}
