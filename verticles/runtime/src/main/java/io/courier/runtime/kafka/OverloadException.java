package io.courier.runtime.kafka;

/** Refused at once because a bound was reached (events in flight); try again later. */
public class OverloadException extends RuntimeException {

  private static final long serialVersionUID = 1L;

  public OverloadException(String message) {
    super(message, null, false, false);
  }
}
