package io.courier.resilience;

/**
 * A call refused by Courier's own protection before it reached the callee: a bulkhead and its queue
 * are full, or a queued inbound call ended before a place freed. Classified as {@link
 * FailureClass#OVERLOAD}, never retried, and answered 429 ({@link CallProblem}). A caller's
 * deadline that is already spent is not such a refusal but a timeout ({@link ResilientCall}: 503
 * {@code timeout}); a spent retry budget fails with the last attempt's own failure.
 */
public class CallRejectedException extends RuntimeException {

  private static final long serialVersionUID = 1L;

  public CallRejectedException(String message) {
    super(message, null, false, false);
  }
}
