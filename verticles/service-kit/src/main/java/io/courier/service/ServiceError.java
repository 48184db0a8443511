package io.courier.service;

import io.courier.resilience.CallProblem;
import io.courier.runtime.kafka.OwnedPartitions.NotOwnerException;
import io.courier.runtime.security.IdentitySeal;
import io.vertx.core.eventbus.ReplyException;
import io.vertx.core.eventbus.ReplyFailure;
import io.vertx.core.json.DecodeException;
import io.vertx.core.json.JsonObject;
import io.vertx.grpc.client.InvalidStatusException;
import io.vertx.grpc.common.GrpcStatus;
import io.vertx.grpc.server.StatusException;
import java.util.Objects;
import java.util.Set;

/**
 * A failure a caller should see as it is: an HTTP-like status, a problem type (the last segment of
 * an RFC 9457 {@code type} URI), a human-readable detail and, for bad input, the field at fault. It
 * crosses the event bus as a {@link ReplyException} (code = status, message = JSON) and gRPC as a
 * status, and becomes a problem+json body at the gateway.
 *
 * <p>A refusal that is the request's own doing though its status is 5xx ({@code
 * version-unavailable}: the version the request asked for has no instance) crosses the event bus
 * with code 412 and gRPC as {@code FAILED_PRECONDITION}, so the caller's resilience layer neither
 * retries it nor counts it against the callee's breaker or instance; the JSON keeps the status the
 * client sees.
 *
 * @param status HTTP status, e.g. 400, 404, 409, 503
 * @param type short problem type, e.g. {@code unknown-sku}
 * @param detail what went wrong, for people
 * @param field the request field at fault (JSON pointer without the leading slash), or empty
 */
public record ServiceError(int status, String type, String detail, String field) {

  /** Types refused for the request's own sake, whatever their status ({@link ServiceError}). */
  private static final Set<String> REQUEST_REFUSALS = Set.of("version-unavailable");

  public ServiceError {
    Objects.requireNonNull(type, "type");
    detail = detail == null ? "" : detail;
    field = field == null ? "" : field;
  }

  public static ServiceError badField(String type, String field, String detail) {
    return new ServiceError(400, type, detail, field);
  }

  public static ServiceError notFound(String type, String detail) {
    return new ServiceError(404, type, detail, "");
  }

  public static ServiceError conflict(String type, String detail) {
    return new ServiceError(409, type, detail, "");
  }

  /** The caller is known but may not do this (403). */
  public static ServiceError forbidden(String type, String detail) {
    return new ServiceError(403, type, detail, "");
  }

  public static ServiceError unavailable(String type, String detail) {
    return new ServiceError(503, type, detail, "");
  }

  /** The exception to fail a future with. */
  public Failure failure() {
    return new Failure(this);
  }

  /** For {@code message.fail(...)} or failing a reply future. */
  public ReplyException toReply() {
    return new ReplyException(
        ReplyFailure.RECIPIENT_FAILURE,
        REQUEST_REFUSALS.contains(type) ? 412 : status,
        toJson().encode());
  }

  /** For a gRPC service method's failed future. */
  public StatusException toGrpc() {
    GrpcStatus grpc =
        REQUEST_REFUSALS.contains(type)
            ? GrpcStatus.FAILED_PRECONDITION
            : switch (status) {
              case 400, 413, 415 -> GrpcStatus.INVALID_ARGUMENT;
              case 401 -> GrpcStatus.UNAUTHENTICATED;
              case 403 -> GrpcStatus.PERMISSION_DENIED;
              case 404 -> GrpcStatus.NOT_FOUND;
              case 409 -> GrpcStatus.FAILED_PRECONDITION;
              case 429 -> GrpcStatus.RESOURCE_EXHAUSTED;
              case 503 -> GrpcStatus.UNAVAILABLE;
              case 504 -> GrpcStatus.DEADLINE_EXCEEDED;
              default -> GrpcStatus.INTERNAL;
            };
    return new StatusException(grpc, toJson().encode());
  }

  public JsonObject toJson() {
    JsonObject json =
        new JsonObject().put("status", status).put("type", type).put("detail", detail);
    if (!field.isEmpty()) {
      json.put("field", field);
    }
    return json;
  }

  /**
   * The service error a failure carries, or one describing it: a {@link Failure}, a recipient
   * failure whose message is our JSON, a timeout or missing handler (503), else a 500.
   */
  public static ServiceError of(Throwable error) {
    Throwable current = error;
    for (int depth = 0; current != null && depth < 8; depth++) {
      if (current instanceof Failure failure) {
        return failure.error();
      }
      if (current instanceof ReplyException reply) {
        return fromReply(reply);
      }
      if (current instanceof InvalidStatusException status
          && status.actualStatus() == GrpcStatus.PERMISSION_DENIED) {
        return forbidden("forbidden", "the caller may not see this");
      }
      if (current instanceof IdentitySeal.Refused refused) {
        return new ServiceError(401, "unauthenticated", refused.getMessage(), "");
      }
      if (current instanceof NotOwnerException moving) {
        // The key's partition is moving between instances: asking again shortly finds its owner.
        return unavailable("partition-moving", moving.getMessage());
      }
      current = current.getCause();
    }
    CallProblem problem = CallProblem.of(error);
    return new ServiceError(problem.status(), problem.type(), problem.detail(), "");
  }

  private static ServiceError fromReply(ReplyException reply) {
    return switch (reply.failureType()) {
      case TIMEOUT, NO_HANDLERS -> {
        CallProblem problem = CallProblem.of(reply);
        yield new ServiceError(problem.status(), problem.type(), problem.detail(), "");
      }
      default -> {
        String message = reply.getMessage();
        try {
          JsonObject json = new JsonObject(message == null ? "" : message);
          yield new ServiceError(
              json.getInteger("status", reply.failureCode()),
              json.getString("type", "error"),
              json.getString("detail", ""),
              json.getString("field", ""));
        } catch (DecodeException | ClassCastException e) {
          int code =
              reply.failureCode() >= 400 && reply.failureCode() < 600 ? reply.failureCode() : 500;
          yield new ServiceError(code, code == 500 ? "internal" : "error", message, "");
        }
      }
    };
  }

  /** A failure carrying a {@link ServiceError}; no stack trace, it is an answer, not a bug. */
  public static final class Failure extends RuntimeException {
    private static final long serialVersionUID = 1L;
    private final transient ServiceError error;

    Failure(ServiceError error) {
      super(error.status() + " " + error.type() + ": " + error.detail(), null, false, false);
      this.error = error;
    }

    public ServiceError error() {
      return error;
    }
  }
}
