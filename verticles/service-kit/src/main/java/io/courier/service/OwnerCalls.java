package io.courier.service;

import io.courier.resilience.Deadline;
import io.courier.resilience.OwnerRequests;
import io.courier.runtime.kafka.NonRetryableException;
import io.courier.runtime.kafka.RetryLaterException;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.eventbus.DeliveryOptions;
import io.vertx.core.eventbus.Message;
import java.time.Duration;

/**
 * Requests a Kafka consumer's handler sends to the owner of a key's partition ({@link
 * PartitionEndpoints}), with their failures put the way the consumer understands: no owner (the
 * partition is moving), a timeout or an owner that is unavailable are retried later; an owner that
 * says the request is wrong (a 4xx) sends the record to the dead-letter topic.
 */
public final class OwnerCalls {

  /** How often a request for a moving partition asks again whether it has an owner. */
  public static final long MOVING_RETRY_MS = OwnerRequests.MOVING_RETRY_MS;

  /** How long an owner has to answer one forwarded record. */
  public static final long TIMEOUT_MS = 10_000;

  private OwnerCalls() {}

  /** Sends {@code body} to {@code address} and completes once its owner has answered. */
  public static Future<Void> send(Vertx vertx, String address, Object body) {
    return request(vertx, address, body).mapEmpty();
  }

  /** Like {@link #send}, with the owner's answer. */
  public static <T> Future<T> request(Vertx vertx, String address, Object body) {
    return OwnerCalls.<T>whileMoving(
            vertx,
            address,
            body,
            new DeliveryOptions(),
            Deadline.after(Duration.ofMillis(TIMEOUT_MS)))
        .map(Message::body)
        .recover(error -> Future.failedFuture(consumerFailure(address, error)));
  }

  /**
   * A request to the owner of a partition that waits for one while the partition moves ({@link
   * OwnerRequests#whileMoving}); {@code options} is not changed.
   */
  public static <T> Future<Message<T>> whileMoving(
      Vertx vertx, String address, Object body, DeliveryOptions options, Deadline deadline) {
    return OwnerRequests.whileMoving(vertx, address, body, new DeliveryOptions(options), deadline);
  }

  /** The failure a consumer's handler reports for an owner's {@code error}. */
  public static RuntimeException consumerFailure(String address, Throwable error) {
    ServiceError problem = ServiceError.of(error);
    String detail = address + ": " + problem.status() + " " + problem.detail();
    return problem.status() >= 400 && problem.status() < 500 && problem.status() != 429
        ? new NonRetryableException(detail)
        : new RetryLaterException(detail, error);
  }
}
