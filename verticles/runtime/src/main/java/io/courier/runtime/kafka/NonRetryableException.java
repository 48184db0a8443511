package io.courier.runtime.kafka;

/**
 * A handler failure that no retry can fix (a business rule refused the event, the payload is
 * invalid): the record goes straight to the dead-letter topic.
 */
public class NonRetryableException extends RuntimeException {

  private static final long serialVersionUID = 1L;

  public NonRetryableException(String message) {
    super(message);
  }

  public NonRetryableException(String message, Throwable cause) {
    super(message, cause);
  }
}
