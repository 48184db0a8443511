package io.courier.runtime.kafka.impl;

/**
 * A record's handler said "a dependency is down, try later" for longer than {@code
 * kafka.consumer.retryLaterMaxMs}: the record goes to the dead-letter topic (with this class as
 * {@code courier_error_class}) so its key and its partition's commits can move on; replay it once
 * the dependency is back.
 */
public final class RetryLaterExhaustedException extends RuntimeException {

  private static final long serialVersionUID = 1L;

  RetryLaterExhaustedException(String message, Throwable cause) {
    super(message, cause, false, false);
  }
}
