package io.courier.runtime.kafka;

/**
 * A handler's way to say "not now": a dependency it needs is unavailable or refusing work (a
 * breaker open, a bulkhead full, a service down), and the event itself is fine. The consumer
 * retries it in place with growing back-off (up to {@code kafka.consumer.backoffMaxMs}) for as long
 * as it runs, without spending the record's attempts, so an outage delays events instead of
 * dead-lettering them. Records behind it with the same key wait; other keys go on, and
 * back-pressure pauses the partitions when too many wait.
 */
public class RetryLaterException extends RuntimeException {

  private static final long serialVersionUID = 1L;

  public RetryLaterException(String message, Throwable cause) {
    super(message, cause);
  }
}
