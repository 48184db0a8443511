package io.courier.codec.kafka;

import static java.nio.charset.StandardCharsets.UTF_8;

import io.courier.codec.Event;
import io.courier.codec.ProtobufMessageCodec;
import java.time.format.DateTimeFormatter;
import org.apache.kafka.common.header.Headers;
import org.apache.kafka.common.serialization.Serializer;

/**
 * Writes an {@link Event} as a CloudEvents binary-mode Kafka record: the protobuf payload is the
 * value, the envelope is in {@code ce_*} headers. Pair it with a {@code StringSerializer} key
 * carrying {@link Event#subject()}.
 */
public final class EventSerializer implements Serializer<Event<?>> {

  @Override
  public byte[] serialize(String topic, Event<?> event) {
    throw new IllegalStateException(
        "EventSerializer writes the envelope as record headers; this producer called the"
            + " header-less serialize(topic, data)");
  }

  @Override
  public byte[] serialize(String topic, Headers headers, Event<?> event) {
    if (event == null) {
      return null;
    }
    headers.remove(CloudEventHeaders.SPEC_VERSION);
    put(headers, CloudEventHeaders.SPEC_VERSION, CloudEventHeaders.SPEC_VERSION_VALUE);
    put(headers, CloudEventHeaders.ID, event.id());
    put(headers, CloudEventHeaders.TYPE, event.type());
    put(headers, CloudEventHeaders.SOURCE, event.source());
    put(headers, CloudEventHeaders.TIME, DateTimeFormatter.ISO_INSTANT.format(event.time()));
    put(headers, CloudEventHeaders.SUBJECT, event.subject());
    put(headers, CloudEventHeaders.DATA_SCHEMA, ProtobufMessageCodec.wireName(event.type()));
    put(headers, CloudEventHeaders.SCHEMA_VERSION, Integer.toString(event.schemaVersion()));
    put(headers, CloudEventHeaders.CONTENT_TYPE, CloudEventHeaders.PROTOBUF_CONTENT_TYPE);
    if (!event.traceparent().isEmpty()) {
      put(headers, CloudEventHeaders.TRACEPARENT, event.traceparent());
    }
    if (!event.tracestate().isEmpty()) {
      put(headers, CloudEventHeaders.TRACESTATE, event.tracestate());
    }
    return event.data().toByteArray();
  }

  private static void put(Headers headers, String name, String value) {
    headers.remove(name);
    headers.add(name, value.getBytes(UTF_8));
  }
}
