package io.courier.runtime.kafka.impl;

import io.courier.codec.Event;
import io.courier.codec.kafka.EventDecodingException;
import io.courier.codec.kafka.EventDeserializer;
import org.apache.kafka.clients.consumer.ConsumerRecord;

/**
 * One polled record on its way through the handler.
 *
 * @param record the record as polled
 * @param event the decoded event; null when the value is null or did not decode
 * @param undecodable why the value did not decode; null when it did
 * @param tracker the offsets of the record's partition, to complete the record in
 */
record PolledRecord(
    ConsumerRecord<String, byte[]> record,
    Event<?> event,
    RuntimeException undecodable,
    PartitionOffsets tracker) {

  /** {@code record} with its value decoded, or with why it did not decode. */
  static PolledRecord decode(
      ConsumerRecord<String, byte[]> record, EventDeserializer decoder, PartitionOffsets tracker) {
    Event<?> event = null;
    RuntimeException undecodable = null;
    if (record.value() != null) {
      try {
        event = decoder.deserialize(record.topic(), record.headers(), record.value());
      } catch (EventDecodingException e) {
        undecodable = e;
      }
    }
    return new PolledRecord(record, event, undecodable, tracker);
  }
}
