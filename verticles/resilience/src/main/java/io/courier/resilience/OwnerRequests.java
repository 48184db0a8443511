package io.courier.resilience;

import io.vertx.core.Future;
import io.vertx.core.MultiMap;
import io.vertx.core.Vertx;
import io.vertx.core.eventbus.DeliveryOptions;
import io.vertx.core.eventbus.Message;
import io.vertx.core.eventbus.ReplyException;
import io.vertx.core.eventbus.ReplyFailure;

/**
 * Event-bus requests to the owner of a partition, whose address is empty while the partition moves
 * between instances: nobody listens there between the old owner's release and the new owner's
 * serving.
 */
public final class OwnerRequests {

  /** How often a request for a moving partition asks again whether it has an owner. */
  public static final long MOVING_RETRY_MS = 50;

  private OwnerRequests() {}

  /**
   * A request that waits for an owner while the partition moves: a {@code NO_HANDLERS} answer is
   * asked again every {@link #MOVING_RETRY_MS} while {@code deadline} leaves time, and returned as
   * it is once it does not. Any other answer, or failure, is returned at once. The delivery timeout
   * of each try is what remains of the deadline, and so is its {@link Deadline#HEADER} when {@code
   * options} carries one (a later try sends its own copy of the headers, with the time left then).
   */
  public static <T> Future<Message<T>> whileMoving(
      Vertx vertx, String address, Object body, DeliveryOptions options, Deadline deadline) {
    return tryOnce(vertx, address, body, options, deadline, false);
  }

  private static <T> Future<Message<T>> tryOnce(
      Vertx vertx,
      String address,
      Object body,
      DeliveryOptions options,
      Deadline deadline,
      boolean again) {
    long remaining = Math.max(1, deadline.remaining().toMillis());
    DeliveryOptions sent = options;
    MultiMap headers = options.getHeaders();
    if (again && headers != null && headers.contains(Deadline.HEADER)) {
      sent =
          new DeliveryOptions(options)
              .setHeaders(
                  MultiMap.caseInsensitiveMultiMap()
                      .addAll(headers)
                      .set(Deadline.HEADER, deadline.toHeader()));
    }
    return vertx
        .eventBus()
        .<T>request(address, body, sent.setSendTimeout(remaining))
        .recover(
            error -> {
              boolean moving =
                  error instanceof ReplyException reply
                      && reply.failureType() == ReplyFailure.NO_HANDLERS;
              if (!moving || deadline.remaining().toMillis() <= MOVING_RETRY_MS) {
                return Future.failedFuture(error);
              }
              return vertx
                  .timer(MOVING_RETRY_MS)
                  .compose(v -> tryOnce(vertx, address, body, options, deadline, true));
            });
  }
}
