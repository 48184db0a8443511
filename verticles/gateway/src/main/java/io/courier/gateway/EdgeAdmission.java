package io.courier.gateway;

import io.courier.resilience.InboundPolicy;
import io.courier.service.ServiceError;
import io.vertx.core.AsyncResult;
import io.vertx.core.Future;
import io.vertx.core.Handler;
import io.vertx.core.Promise;
import io.vertx.core.http.HttpMethod;
import io.vertx.ext.web.RoutingContext;
import java.util.List;
import java.util.concurrent.TimeoutException;

/**
 * Admission control in front of the order path: the {@value #SERVICE} section of the policy file's
 * {@code inbound} limits how many placements ({@code POST /api/v1/orders}) one gateway verticle has
 * in flight. It runs first, before the body is read, the token checked, the request validated or
 * rate-limited, so that a placement past the limit costs the edge almost nothing and is answered at
 * once: 429 {@code too-many-requests} with {@code Retry-After}, counted in {@code
 * courier.resilience.inbound.rejected{service="gateway"}}. With an {@code adaptive} bulkhead the
 * limit follows the placements' latency (each answered placement is a sample; a 503 or 504 counts
 * as dropped). Without a {@value #SERVICE} section every placement is let in. Reads, event streams
 * and imports are not limited here (their own targets' bulkheads and the import's own limits
 * apply).
 */
final class EdgeAdmission implements Handler<RoutingContext> {

  /** The key of the gateway's section under {@code inbound}. */
  static final String SERVICE = "gateway";

  private static final String PLACEMENTS = "/api/v1/orders";

  /** The answer to a placement past the limit, at the REST and the gRPC edge. */
  static final ServiceError REFUSED =
      new ServiceError(
          429,
          "too-many-requests",
          "the gateway has as many placements in flight as it admits; retry later",
          "");

  private final InboundPolicy policy;

  EdgeAdmission(InboundPolicy policy) {
    this.policy = policy;
  }

  @Override
  public void handle(RoutingContext routing) {
    if (routing.request().method() != HttpMethod.POST
        || !PLACEMENTS.equals(routing.normalizedPath())) {
      routing.next();
      return;
    }
    Future<Void> admitted = policy.admit(() -> serve(routing));
    if (admitted.failed() && !routing.response().headWritten()) {
      // Refused before anything read the body: Vert.x drops what is left of it and reads the
      // connection's next request as usual.
      Problems.send(routing, REFUSED, List.of());
    }
  }

  /**
   * What an admitted placement tells the limit: it ended, or (a 503 or 504, a timeout or an
   * unavailable order path) it was dropped.
   */
  static Future<Void> sample(AsyncResult<?> placed) {
    if (placed.failed()) {
      int status = ServiceError.of(placed.cause()).status();
      if (status == 503 || status == 504) {
        return Future.failedFuture(new TimeoutException("answered " + status));
      }
    }
    return Future.succeededFuture();
  }

  private static Future<Void> serve(RoutingContext routing) {
    Promise<Void> ended = Promise.promise();
    routing.addEndHandler(
        done -> {
          int status = routing.response().getStatusCode();
          if (status == 503 || status == 504) {
            ended.tryFail(new TimeoutException("answered " + status));
          } else {
            ended.tryComplete();
          }
        });
    routing.next();
    return ended.future();
  }
}
