package io.courier.resilience;

import io.vertx.core.Future;
import io.vertx.core.MultiMap;
import io.vertx.core.net.Address;
import io.vertx.grpc.client.GrpcClient;
import io.vertx.grpc.common.ServiceMethod;
import java.util.concurrent.TimeUnit;

/**
 * Unary Vert.x gRPC calls under a {@link TargetPolicy}: each attempt is a new request whose gRPC
 * deadline ({@code grpc-timeout}) is what remains of the attempt's deadline, so the server sees the
 * shrinking budget; a non-OK status is classified like every other failure (UNAVAILABLE,
 * DEADLINE_EXCEEDED and RESOURCE_EXHAUSTED retried; INVALID_ARGUMENT and the like never).
 */
public final class ResilientGrpcCalls {

  private ResilientGrpcCalls() {}

  /**
   * Calls {@code method} on {@code server} with {@code request} under the policy.
   *
   * @param method the client-side method, e.g. {@code UserServiceGrpcClient.GetUser}
   */
  public static <Req, Resp> Future<Resp> unary(
      TargetPolicy policy,
      Deadline callerDeadline,
      GrpcClient client,
      Address server,
      ServiceMethod<Resp, Req> method,
      Req request) {
    return policy.call(
        callerDeadline, attempt -> attempt(client, server, method, request, attempt.deadline()));
  }

  /**
   * One attempt: a request to {@code server} whose gRPC deadline ({@code grpc-timeout}) is what
   * remains of {@code deadline}; a non-OK status fails it with {@code InvalidStatusException}.
   */
  public static <Req, Resp> Future<Resp> attempt(
      GrpcClient client,
      Address server,
      ServiceMethod<Resp, Req> method,
      Req request,
      Deadline deadline) {
    return attempt(client, server, method, request, deadline, null);
  }

  /** One attempt as above, with {@code metadata} added to the call's headers (may be null). */
  public static <Req, Resp> Future<Resp> attempt(
      GrpcClient client,
      Address server,
      ServiceMethod<Resp, Req> method,
      Req request,
      Deadline deadline,
      MultiMap metadata) {
    return client
        .request(server, method)
        .compose(
            call -> {
              if (metadata != null) {
                call.headers().addAll(metadata);
              }
              call.timeout(Math.max(1, deadline.remaining().toMillis()), TimeUnit.MILLISECONDS);
              return call.end(request)
                  .compose(v -> call.response())
                  .compose(response -> response.last());
            });
  }
}
