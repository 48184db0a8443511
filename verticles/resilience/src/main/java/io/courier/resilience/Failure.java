package io.courier.resilience;

import java.time.Duration;
import java.util.Objects;

/**
 * A classified failure.
 *
 * @param failureClass the class
 * @param retryable whether an idempotent call may be retried by default
 * @param retryAfter how long the callee asked to wait (429/503 {@code Retry-After}), or zero
 * @param detail a short description for logs and problem bodies
 */
public record Failure(
    FailureClass failureClass, boolean retryable, Duration retryAfter, String detail) {

  public Failure {
    Objects.requireNonNull(failureClass, "failureClass");
    retryAfter = retryAfter == null ? Duration.ZERO : retryAfter;
    detail = detail == null ? "" : detail;
  }

  static Failure of(FailureClass failureClass, boolean retryable, String detail) {
    return new Failure(failureClass, retryable, Duration.ZERO, detail);
  }
}
