package io.courier.resilience;

import io.vertx.core.Future;
import io.vertx.core.buffer.Buffer;
import io.vertx.ext.web.client.HttpRequest;
import io.vertx.ext.web.client.HttpResponse;
import java.util.function.Supplier;

/**
 * vertx-web-client calls under a {@link TargetPolicy}: each attempt gets a fresh request with the
 * attempt's deadline as its timeout and in {@link Deadline#HEADER}; a failure status becomes an
 * {@link HttpStatusException}, classified like any other failure (503 and 429 retried, honouring
 * {@code Retry-After}; 4xx never).
 */
public final class ResilientHttpCalls {

  private ResilientHttpCalls() {}

  /**
   * Sends the request the supplier makes (once per attempt) under the policy.
   *
   * @param body the body to send, or null for none
   */
  public static Future<HttpResponse<Buffer>> send(
      TargetPolicy policy,
      Deadline callerDeadline,
      Supplier<HttpRequest<Buffer>> request,
      Buffer body) {
    return policy.call(callerDeadline, attempt -> attempt(request.get(), attempt.deadline(), body));
  }

  /**
   * One attempt: sends {@code request} with what remains of {@code deadline} as its timeout and in
   * {@link Deadline#HEADER}; a status of 400 or more fails it with {@link HttpStatusException}.
   *
   * @param body the body to send, or null for none
   */
  public static Future<HttpResponse<Buffer>> attempt(
      HttpRequest<Buffer> request, Deadline deadline, Buffer body) {
    HttpRequest<Buffer> each =
        request
            .timeout(Math.max(1, deadline.remaining().toMillis()))
            .putHeader(Deadline.HEADER, deadline.toHeader());
    return (body == null ? each.send() : each.sendBuffer(body))
        .compose(
            response ->
                response.statusCode() >= 400
                    ? Future.failedFuture(new HttpStatusException(response))
                    : Future.succeededFuture(response));
  }
}
