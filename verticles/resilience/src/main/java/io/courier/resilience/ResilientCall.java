package io.courier.resilience;

import io.courier.resilience.impl.Calls;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import java.time.Duration;
import java.util.concurrent.TimeoutException;
import java.util.function.Function;
import java.util.function.LongSupplier;
import java.util.function.Supplier;
import java.util.random.RandomGenerator;

/**
 * Runs calls to one target under a {@link RetryPolicy} and a {@link RetryBudget}: each attempt gets
 * the smaller of the attempt timeout and what remains of the call's deadline (and is told so, to
 * pass it on); a failed attempt is retried only when its class is retryable, the call is idempotent
 * (or carries an idempotency key), attempts remain, the deadline leaves room for the back-off, and
 * the budget grants it. Timers are Vert.x timers; time is read from the injected clock.
 */
public final class ResilientCall {

  private final Vertx vertx;
  private final RetryPolicy policy;
  private final RetryBudget budget;
  private final LongSupplier clock;
  private final RandomGenerator random;

  public ResilientCall(
      Vertx vertx,
      RetryPolicy policy,
      RetryBudget budget,
      LongSupplier nanoClock,
      RandomGenerator random) {
    this.vertx = vertx;
    this.policy = policy;
    this.budget = budget;
    this.clock = nanoClock;
    this.random = random;
  }

  /**
   * One attempt of a call.
   *
   * @param number 1 for the first attempt
   * @param deadline what this attempt may use; pass it on ({@link Deadline#toHeader()})
   */
  public record Attempt(int number, Deadline deadline) {}

  /**
   * Runs the call.
   *
   * @param deadline the whole call's deadline ({@link Deadline#none()} for none)
   * @param idempotent whether repeating the call is safe (or it carries an idempotency key)
   * @param attempt makes one attempt
   * @return the first successful result, or a {@link CallFailedException}
   */
  public <T> Future<T> call(
      Deadline deadline, boolean idempotent, Function<Attempt, Future<T>> attempt) {
    budget.recordCall();
    return attempt(1, deadline, idempotent, attempt);
  }

  private <T> Future<T> attempt(
      int number, Deadline deadline, boolean idempotent, Function<Attempt, Future<T>> call) {
    if (deadline.expired()) {
      return Future.failedFuture(
          new CallFailedException(
              Failure.of(FailureClass.TIMEOUT, false, "deadline passed"),
              number - 1,
              "no time left for attempt " + number,
              null));
    }
    Duration timeout = min(policy.attemptTimeout(), deadline.remaining());
    Deadline attemptDeadline = Deadline.after(timeout, clock).earliest(deadline);
    return withTimeout(number, timeout, () -> call.apply(new Attempt(number, attemptDeadline)))
        .recover(
            error -> {
              Failure failure = FailureClassifier.classify(error);
              String stop = stopReason(failure, number, idempotent);
              if (stop != null) {
                return Future.failedFuture(new CallFailedException(failure, number, stop, error));
              }
              Duration delay = policy.backoff(number, random);
              if (failure.retryAfter().compareTo(delay) > 0) {
                delay = failure.retryAfter();
              }
              if (deadline.remaining().compareTo(delay) <= 0) {
                return Future.failedFuture(
                    new CallFailedException(
                        failure, number, "deadline leaves no room to retry", error));
              }
              if (!budget.tryAcquireRetry()) {
                return Future.failedFuture(
                    new CallFailedException(failure, number, "retry budget spent", error));
              }
              return timer(delay).compose(v -> attempt(number + 1, deadline, idempotent, call));
            });
  }

  private String stopReason(Failure failure, int number, boolean idempotent) {
    if (!failure.retryable()) {
      return "not retryable";
    }
    if (!idempotent) {
      return "not idempotent";
    }
    if (number >= policy.maxAttempts()) {
      return "attempts exhausted";
    }
    return null;
  }

  private <T> Future<T> withTimeout(int number, Duration timeout, Supplier<Future<T>> call) {
    Future<T> started = Calls.start(call);
    if (started.isComplete()) {
      // Answered at once (a cache, a refusal, a local callee): no timer to arm and cancel.
      return started;
    }
    Promise<T> result = Promise.promise();
    long timer =
        vertx.setTimer(
            Math.max(1, timeout.toMillis()),
            id ->
                result.tryFail(
                    new TimeoutException(
                        "attempt " + number + " timed out after " + timeout.toMillis() + " ms")));
    started.onComplete(
        ar -> {
          vertx.cancelTimer(timer);
          if (ar.succeeded()) {
            result.tryComplete(ar.result());
          } else {
            result.tryFail(ar.cause());
          }
        });
    return result.future();
  }

  private Future<Void> timer(Duration delay) {
    if (delay.isZero()) {
      return Future.succeededFuture();
    }
    Promise<Void> promise = Promise.promise();
    vertx.setTimer(Math.max(1, delay.toMillis()), id -> promise.complete());
    return promise.future();
  }

  private static Duration min(Duration a, Duration b) {
    return a.compareTo(b) <= 0 ? a : b;
  }
}
