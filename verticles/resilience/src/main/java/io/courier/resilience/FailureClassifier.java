package io.courier.resilience;

import io.netty.handler.codec.http2.Http2Error;
import io.netty.handler.codec.http2.Http2Exception;
import io.vertx.circuitbreaker.OpenCircuitException;
import io.vertx.core.eventbus.ReplyException;
import io.vertx.core.http.HttpClosedException;
import io.vertx.grpc.client.InvalidStatusException;
import io.vertx.grpc.common.GrpcStatus;
import java.io.IOException;
import java.net.ConnectException;
import java.net.NoRouteToHostException;
import java.net.UnknownHostException;
import java.nio.channels.ClosedChannelException;
import java.time.Duration;
import java.util.Locale;
import java.util.concurrent.TimeoutException;
import javax.net.ssl.SSLException;

/**
 * Sorts failures from every transport into one {@link FailureClass}. Retryable by default: a
 * refused, reset or unreachable connection, a timeout, 503 / UNAVAILABLE, 429 / RESOURCE_EXHAUSTED;
 * never a client error, a TLS failure, or our own overload protection (an open breaker or a full
 * bulkhead would only be hit again).
 */
public final class FailureClassifier {

  private FailureClassifier() {}

  /** Classifies any failure, looking through wrapping exceptions to the transport's own. */
  public static Failure classify(Throwable failure) {
    Throwable current = failure;
    for (int depth = 0; current != null && depth < 8; depth++) {
      Failure known = direct(current);
      if (known != null) {
        return known;
      }
      current = current.getCause();
    }
    return Failure.of(FailureClass.SERVER_ERROR, false, describe(failure));
  }

  /**
   * Classifies an HTTP status (and its {@code Retry-After} header, seconds, or null).
   *
   * @return the failure, or null for a success status
   */
  public static Failure classifyHttp(int status, String retryAfter) {
    if (status < 400) {
      return null;
    }
    String detail = "HTTP " + status;
    return switch (status) {
      case 408 -> Failure.of(FailureClass.TIMEOUT, true, detail);
      case 429 -> new Failure(FailureClass.OVERLOAD, true, seconds(retryAfter), detail);
      case 502 -> Failure.of(FailureClass.NETWORK, true, detail);
      case 503 -> new Failure(FailureClass.SERVER_ERROR, true, seconds(retryAfter), detail);
      case 504 -> Failure.of(FailureClass.TIMEOUT, true, detail);
      default ->
          status < 500
              ? Failure.of(FailureClass.CLIENT_ERROR, false, detail)
              : Failure.of(FailureClass.SERVER_ERROR, false, detail);
    };
  }

  /** Classifies a gRPC status; null for OK. */
  public static Failure classifyGrpc(GrpcStatus status) {
    String detail = "gRPC " + status.name();
    return switch (status) {
      case OK -> null;
      case UNAVAILABLE -> Failure.of(FailureClass.NETWORK, true, detail);
      case DEADLINE_EXCEEDED -> Failure.of(FailureClass.TIMEOUT, true, detail);
      case RESOURCE_EXHAUSTED -> Failure.of(FailureClass.OVERLOAD, true, detail);
      case INVALID_ARGUMENT,
              NOT_FOUND,
              ALREADY_EXISTS,
              PERMISSION_DENIED,
              UNAUTHENTICATED,
              FAILED_PRECONDITION,
              OUT_OF_RANGE,
              ABORTED,
              CANCELLED ->
          Failure.of(FailureClass.CLIENT_ERROR, false, detail);
      default -> Failure.of(FailureClass.SERVER_ERROR, false, detail);
    };
  }

  private static boolean refusedStream(Throwable failure) {
    if (!(failure instanceof Http2Exception http2)) {
      return false;
    }
    return http2.error() == Http2Error.REFUSED_STREAM
        || (failure.getMessage() != null && failure.getMessage().contains("from GOAWAY"));
  }

  private static Failure direct(Throwable failure) {
    if (failure instanceof CallFailedException failed) {
      return failed.failure();
    }
    if (failure instanceof CallRejectedException rejected) {
      return Failure.of(FailureClass.OVERLOAD, false, rejected.getMessage());
    }
    if (failure instanceof OpenCircuitException) {
      return Failure.of(FailureClass.OVERLOAD, false, "circuit breaker open");
    }
    if (failure instanceof ReplyException reply) {
      return reply(reply);
    }
    if (failure instanceof HttpStatusException http) {
      return classifyHttp(http.status(), http.response().getHeader("Retry-After"));
    }
    if (failure instanceof InvalidStatusException status) {
      return classifyGrpc(status.actualStatus());
    }
    if (failure instanceof SSLException) {
      return Failure.of(FailureClass.TLS, false, describe(failure));
    }
    if (failure instanceof TimeoutException
        || failure instanceof io.vertx.circuitbreaker.TimeoutException) {
      return Failure.of(FailureClass.TIMEOUT, true, describe(failure));
    }
    if (failure instanceof ConnectException
        || failure instanceof NoRouteToHostException
        || failure instanceof UnknownHostException
        || failure instanceof ClosedChannelException
        || failure instanceof HttpClosedException) {
      return Failure.of(FailureClass.NETWORK, true, describe(failure));
    }
    if (failure instanceof IOException io
        && io.getMessage() != null
        && (io.getMessage().toLowerCase(Locale.ROOT).contains("connection reset")
            || io.getMessage().toLowerCase(Locale.ROOT).contains("broken pipe"))) {
      // The connection died under the call (its peer closed or crashed): a network failure,
      // retried like any other, which only idempotent calls are.
      return Failure.of(FailureClass.NETWORK, true, describe(failure));
    }
    if (refusedStream(failure)) {
      // The server never processed the stream (HTTP/2 REFUSED_STREAM, or a stream opened after
      // its GOAWAY while it shuts down gracefully): another instance may safely get it.
      return Failure.of(FailureClass.NETWORK, true, describe(failure));
    }
    return null;
  }

  private static Failure reply(ReplyException reply) {
    return switch (reply.failureType()) {
      case TIMEOUT -> Failure.of(FailureClass.TIMEOUT, true, "event-bus reply timeout");
      case NO_HANDLERS -> Failure.of(FailureClass.NETWORK, true, "no event-bus handler");
      case RECIPIENT_FAILURE -> {
        int code = reply.failureCode();
        Failure byStatus = code >= 400 && code < 600 ? classifyHttp(code, null) : null;
        yield byStatus != null
            ? new Failure(
                byStatus.failureClass(),
                byStatus.retryable(),
                byStatus.retryAfter(),
                "event-bus failure " + code + ": " + reply.getMessage())
            : Failure.of(
                FailureClass.SERVER_ERROR,
                false,
                "event-bus failure " + code + ": " + reply.getMessage());
      }
      default ->
          Failure.of(FailureClass.SERVER_ERROR, false, "event-bus error: " + reply.getMessage());
    };
  }

  private static Duration seconds(String retryAfter) {
    if (retryAfter == null) {
      return Duration.ZERO;
    }
    try {
      return Duration.ofSeconds(Math.max(0, Long.parseLong(retryAfter.trim())));
    } catch (NumberFormatException e) {
      return Duration.ZERO;
    }
  }

  private static String describe(Throwable failure) {
    return failure.getClass().getSimpleName()
        + (failure.getMessage() == null ? "" : ": " + failure.getMessage());
  }
}
