package io.courier.resilience;

import io.vertx.core.eventbus.ReplyException;
import io.vertx.core.eventbus.ReplyFailure;
import io.vertx.core.json.JsonObject;

/**
 * What a caller is told about a failed call that the callee did not answer itself: a status, a
 * problem type and a detail, decided once for every hop. The gateway turns it into problem+json,
 * the resilience proxy sends it back as its reply's failure (code = status, message = this JSON),
 * which the service kit reads as the same problem.
 *
 * @param status an HTTP status: 429 when Courier's own protection refused the call, else 5xx
 */
public record CallProblem(int status, String type, String detail) {

  /**
   * The problem for {@code error}: a delivery timeout or a missing handler on the event bus, a call
   * refused by the caller's own protection (429, it would only be refused again), else by the
   * failure's {@link FailureClass}.
   */
  public static CallProblem of(Throwable error) {
    Throwable current = error;
    for (int depth = 0; current != null && depth < 8; depth++) {
      if (current instanceof ReplyException reply && reply.failureType() == ReplyFailure.TIMEOUT) {
        return unavailable("timeout", "the service did not answer in time: " + reply.getMessage());
      }
      if (current instanceof ReplyException reply
          && reply.failureType() == ReplyFailure.NO_HANDLERS) {
        return unavailable("dependency-unavailable", "no instance of the service is reachable");
      }
      if (current instanceof CallRejectedException rejected) {
        return new CallProblem(429, "too-many-requests", rejected.getMessage());
      }
      current = current.getCause();
    }
    if (error == null) {
      return new CallProblem(500, "internal", "unknown failure");
    }
    Failure failure = FailureClassifier.classify(error);
    return switch (failure.failureClass()) {
      case OVERLOAD -> unavailable("overloaded", "the service is overloaded: " + failure.detail());
      case TIMEOUT -> unavailable("timeout", "the service did not answer in time");
      case NETWORK, TLS -> unavailable("dependency-unavailable", "the service is unreachable");
      case CLIENT_ERROR -> new CallProblem(400, "invalid-request", failure.detail());
      case SERVER_ERROR -> new CallProblem(500, "internal", failure.detail());
    };
  }

  private static CallProblem unavailable(String type, String detail) {
    return new CallProblem(503, type, detail);
  }

  /** {@code {"status": .., "type": .., "detail": ..}}, the message of a failed reply. */
  public JsonObject toJson() {
    return new JsonObject().put("status", status).put("type", type).put("detail", detail);
  }
}
