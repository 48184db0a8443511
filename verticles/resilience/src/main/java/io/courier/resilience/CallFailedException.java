package io.courier.resilience;

/**
 * A call that failed after the policy was applied: carries the classified failure of the last
 * attempt, how many attempts were made, and why no further attempt was made.
 */
public class CallFailedException extends RuntimeException {

  private static final long serialVersionUID = 1L;

  private final transient Failure failure;
  private final int attempts;

  public CallFailedException(Failure failure, int attempts, String why, Throwable cause) {
    super(
        failure.failureClass()
            + " after "
            + attempts
            + " attempt(s) ("
            + why
            + "): "
            + failure.detail(),
        cause);
    this.failure = failure;
    this.attempts = attempts;
  }

  public Failure failure() {
    return failure;
  }

  public int attempts() {
    return attempts;
  }
}
