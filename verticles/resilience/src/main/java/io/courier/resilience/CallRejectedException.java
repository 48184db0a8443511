package io.courier.resilience;

/**
 * A call refused by Courier's own protection before it reached the callee: the retry budget is
 * spent, the deadline has passed, a bulkhead is full. Classified as {@link FailureClass#OVERLOAD},
 * never retried.
 */
public class CallRejectedException extends RuntimeException {

  private static final long serialVersionUID = 1L;

  public CallRejectedException(String message) {
    super(message, null, false, false);
  }
}
