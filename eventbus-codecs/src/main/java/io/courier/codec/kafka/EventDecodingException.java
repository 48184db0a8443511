package io.courier.codec.kafka;

import org.apache.kafka.common.errors.SerializationException;

/**
 * A Kafka record that is not a valid Courier event: missing or malformed CloudEvents headers, an
 * unknown event type, a newer schema than this consumer knows, or a payload that does not parse.
 * Kafka's consumer wraps it in a {@code RecordDeserializationException} carrying the partition and
 * offset, so the consumer can skip the record and dead-letter it.
 */
public class EventDecodingException extends SerializationException {

  private static final long serialVersionUID = 1L;

  /** Why a record was refused; also the value of the failure metric's {@code reason} tag. */
  public enum Reason {
    MISSING_HEADER,
    MALFORMED_HEADER,
    UNKNOWN_TYPE,
    NEWER_SCHEMA,
    CORRUPT_PAYLOAD
  }

  private final Reason reason;
  private final String eventType;

  public EventDecodingException(Reason reason, String eventType, String message, Throwable cause) {
    super(message, cause);
    this.reason = reason;
    this.eventType = eventType;
  }

  public Reason reason() {
    return reason;
  }

  /** The {@code ce_type} the record claimed, or empty when it had none. */
  public String eventType() {
    return eventType;
  }
}
