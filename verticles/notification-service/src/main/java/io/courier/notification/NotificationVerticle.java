package io.courier.notification;

import com.google.protobuf.Timestamp;
import io.courier.codec.Event;
import io.courier.codec.flow.Topics;
import io.courier.contract.v1.Notification;
import io.courier.contract.v1.NotificationChannel;
import io.courier.contract.v1.NotificationSent;
import io.courier.contract.v1.OrderCancelled;
import io.courier.contract.v1.OrderConfirmed;
import io.courier.runtime.RoleContext;
import io.courier.runtime.kafka.EventConsumer;
import io.courier.runtime.kafka.KafkaConnection;
import io.courier.runtime.kafka.RetryLaterException;
import io.courier.service.StateTopics;
import io.vertx.core.Future;
import io.vertx.core.VerticleBase;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.client.WebClient;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.UUID;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Turns order outcomes into notifications: a log line, the optional webhook (a failed webhook fails
 * the handler, so the consumer retries it), then a {@code NotificationSent} record whose id is
 * derived from the outcome, so a redelivered outcome is recorded once.
 */
public final class NotificationVerticle extends VerticleBase {

  private static final Logger LOG = LoggerFactory.getLogger(NotificationVerticle.class);
  private static final String SOURCE = "/courier/notification-service";

  private final RoleContext context;
  private WebClient web;
  private EventConsumer outcomes;

  public NotificationVerticle(RoleContext context) {
    this.context = context;
  }

  @Override
  public Future<?> start() {
    web = WebClient.create(vertx);
    KafkaConnection kafka = context.kafkaConnection();
    return StateTopics.ensure(vertx, kafka, context.config().kafka().topics(), Topics.ALL)
        .compose(v -> consume());
  }

  @Override
  public Future<?> stop() {
    Duration drain = Duration.ofMillis(context.config().shutdown().drainTimeoutMs() / 2);
    return (outcomes == null ? Future.<Void>succeededFuture() : outcomes.stop(drain))
        .eventually(
            () -> {
              web.close();
              return Future.succeededFuture();
            });
  }

  private Future<Void> consume() {
    outcomes =
        context.consumer(
            context.config().kafka().consumer().withGroupId(NotificationServiceRole.CONSUMER_GROUP),
            List.of(Topics.ORDERS),
            this::onOrderEvent);
    return outcomes.start();
  }

  private Future<Void> onOrderEvent(Event<?> event) {
    if (event.data() instanceof OrderConfirmed confirmed) {
      return notify(
          confirmed.getOrder().getUserId(),
          confirmed.getOrderId(),
          "CONFIRMED",
          "Your order " + confirmed.getOrderId() + " is confirmed.");
    }
    if (event.data() instanceof OrderCancelled cancelled) {
      return notify(
          cancelled.getOrder().getUserId(),
          cancelled.getOrderId(),
          "CANCELLED",
          "Your order " + cancelled.getOrderId() + " was cancelled: " + cancelled.getReason());
    }
    return Future.succeededFuture();
  }

  private Future<Void> notify(String userId, String orderId, String outcome, String text) {
    String webhook = context.config(NotificationServiceConfig.SECTION).webhookUrl();
    Instant now = Instant.now();
    Notification notification =
        Notification.newBuilder()
            .setId(
                UUID.nameUUIDFromBytes((outcome + "|" + orderId).getBytes(StandardCharsets.UTF_8))
                    .toString())
            .setUserId(userId)
            .setOrderId(orderId)
            .setChannel(
                webhook.isBlank()
                    ? NotificationChannel.NOTIFICATION_CHANNEL_LOG
                    : NotificationChannel.NOTIFICATION_CHANNEL_WEBHOOK)
            .setMessage(text)
            .setSentAt(
                Timestamp.newBuilder().setSeconds(now.getEpochSecond()).setNanos(now.getNano()))
            .build();
    LOG.info("notify user {}: {}", userId, text);
    Future<Void> delivered =
        webhook.isBlank()
            ? Future.succeededFuture()
            : web.postAbs(webhook)
                .timeout(5_000)
                .sendJsonObject(
                    new JsonObject()
                        .put("id", notification.getId())
                        .put("userId", userId)
                        .put("orderId", orderId)
                        .put("outcome", outcome)
                        .put("message", text))
                .recover(
                    // Unreachable or timed out: wait for it rather than dead-letter the outcome.
                    error ->
                        Future.failedFuture(
                            new RetryLaterException(
                                "webhook unreachable: " + error.getMessage(), error)))
                .compose(
                    response -> {
                      int status = response.statusCode();
                      if (status < 300) {
                        return Future.<Void>succeededFuture();
                      }
                      String answer = "webhook answered " + status;
                      return Future.failedFuture(
                          status >= 500 || status == 429
                              ? new RetryLaterException(answer, null)
                              : new IllegalStateException(answer));
                    });
    return delivered.compose(
        v ->
            context
                .publisher()
                .publish(
                    Topics.NOTIFICATIONS,
                    Event.derived(
                        outcome + "|" + orderId,
                        SOURCE,
                        orderId,
                        NotificationSent.newBuilder().setNotification(notification).build()))
                .mapEmpty());
  }
}
