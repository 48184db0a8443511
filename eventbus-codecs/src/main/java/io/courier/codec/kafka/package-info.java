/**
 * Kafka {@code Serializer}/{@code Deserializer} for Courier events: the payload is the protobuf
 * message, the envelope travels as CloudEvents binary-mode headers ({@code ce_id}, {@code ce_type},
 * ...). Decoding failures are {@link org.apache.kafka.common.errors.SerializationException}s that
 * name the event type and the cause, so a consumer can skip and dead-letter the record.
 */
package io.courier.codec.kafka;
