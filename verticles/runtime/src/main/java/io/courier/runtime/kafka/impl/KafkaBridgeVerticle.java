package io.courier.runtime.kafka.impl;

import com.google.protobuf.Message;
import io.courier.codec.DecodingException;
import io.courier.codec.Event;
import io.courier.contract.v1.EventEnvelope;
import io.courier.runtime.RoleContext;
import io.courier.runtime.config.KafkaConfig.BridgeConfig;
import io.courier.runtime.kafka.EventConsumer;
import io.courier.runtime.kafka.NonRetryableException;
import io.courier.runtime.kafka.OverloadException;
import io.vertx.core.Future;
import io.vertx.core.MultiMap;
import io.vertx.core.VerticleBase;
import io.vertx.core.eventbus.DeliveryOptions;
import io.vertx.core.eventbus.MessageConsumer;
import io.vertx.core.eventbus.ReplyException;
import io.vertx.core.eventbus.ReplyFailure;
import io.vertx.core.json.JsonObject;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Event bus <-> Kafka. For each {@code address=topic} publish mapping, a message sent to the
 * address (a contract message with a {@code ce_subject} header, or a whole {@code EventEnvelope})
 * is published and the reply carries where it landed. For each {@code topic=address} consume
 * mapping, a consumer requests every event's payload on the address, with the envelope as {@code
 * ce_*} headers; a reply acknowledges it, a failure with a 4xx code parks it in the dead-letter
 * topic at once, any other failure is retried.
 */
public final class KafkaBridgeVerticle extends VerticleBase {

  /** Failure codes of replies to the publish side. */
  public static final int BAD_REQUEST = 400;

  public static final int OVERLOADED = 503;
  public static final int FAILED = 500;

  private static final Logger LOG = LoggerFactory.getLogger(KafkaBridgeVerticle.class);
  private static final String SOURCE = "/courier/kafka-bridge";

  private final RoleContext role;
  private final List<MessageConsumer<Object>> publishers = new ArrayList<>();
  private final List<EventConsumer> consumers = new ArrayList<>();

  public KafkaBridgeVerticle(RoleContext role) {
    this.role = role;
  }

  @Override
  public Future<?> start() {
    BridgeConfig bridge = role.config().kafka().bridge();
    List<Future<?>> ready = new ArrayList<>();
    for (String mapping : bridge.publish()) {
      String[] parts = mapping.split("=", 2);
      MessageConsumer<Object> consumer =
          vertx.eventBus().consumer(parts[0], message -> publish(parts[1], message));
      publishers.add(consumer);
      ready.add(consumer.completion());
    }
    for (String mapping : bridge.consume()) {
      String[] parts = mapping.split("=", 2);
      EventConsumer consumer =
          role.consumer(
              role.config().kafka().consumer(),
              List.of(parts[0]),
              event -> deliver(parts[1], event));
      consumers.add(consumer);
      ready.add(consumer.start());
    }
    return Future.all(ready)
        .onSuccess(
            v ->
                LOG.info(
                    "kafka bridge: publishing {}, consuming {}",
                    bridge.publish(),
                    bridge.consume()));
  }

  @Override
  public Future<?> stop() {
    Duration drain = Duration.ofMillis(role.config().shutdown().drainTimeoutMs() / 2);
    List<Future<?>> stopped = new ArrayList<>();
    publishers.forEach(consumer -> stopped.add(consumer.unregister()));
    consumers.forEach(consumer -> stopped.add(consumer.stop(drain)));
    return Future.join(stopped);
  }

  private void publish(String topic, io.vertx.core.eventbus.Message<Object> message) {
    Event<?> event;
    try {
      event = toEvent(message);
    } catch (IllegalArgumentException | DecodingException e) {
      message.fail(BAD_REQUEST, e.getMessage());
      return;
    }
    role.publisher()
        .publish(topic, event)
        .onSuccess(
            published ->
                message.reply(
                    new JsonObject()
                        .put("id", event.id())
                        .put("topic", published.topic())
                        .put("partition", published.partition())
                        .put("offset", published.offset())))
        .onFailure(
            e ->
                message.fail(
                    e instanceof OverloadException ? OVERLOADED : FAILED,
                    "publish to " + topic + " failed: " + e.getMessage()));
  }

  private static Event<?> toEvent(io.vertx.core.eventbus.Message<Object> message) {
    Object body = message.body();
    if (body instanceof EventEnvelope envelope) {
      return Event.fromEnvelope(envelope);
    }
    if (!(body instanceof Message payload)) {
      throw new IllegalArgumentException(
          "body must be a Courier contract message or an EventEnvelope, was "
              + (body == null ? "null" : body.getClass().getName()));
    }
    MultiMap headers = message.headers();
    String subject = headers.get("ce_subject");
    if (subject == null || subject.isBlank()) {
      throw new IllegalArgumentException("missing ce_subject header (the event's key)");
    }
    Event<?> event =
        Event.of(
            headers.contains("ce_source") ? headers.get("ce_source") : SOURCE, subject, payload);
    return headers.contains("traceparent")
        ? event.withTrace(headers.get("traceparent"), headers.get("tracestate"))
        : event;
  }

  private Future<Void> deliver(String address, Event<?> event) {
    DeliveryOptions options =
        new DeliveryOptions()
            .addHeader("ce_id", event.id())
            .addHeader("ce_type", event.type())
            .addHeader("ce_source", event.source())
            .addHeader("ce_subject", event.subject())
            .addHeader("ce_time", event.time().toString())
            .addHeader("ce_schemaversion", Integer.toString(event.schemaVersion()));
    if (!event.traceparent().isEmpty()) {
      options.addHeader("traceparent", event.traceparent());
    }
    return vertx
        .eventBus()
        .request(address, event.data(), options)
        .<Void>mapEmpty()
        .recover(
            e -> {
              if (e instanceof ReplyException reply
                  && reply.failureType() == ReplyFailure.RECIPIENT_FAILURE
                  && reply.failureCode() >= 400
                  && reply.failureCode() < 500) {
                return Future.failedFuture(
                    new NonRetryableException(
                        address
                            + " refused "
                            + event.type()
                            + " "
                            + event.id()
                            + ": "
                            + e.getMessage(),
                        e));
              }
              return Future.failedFuture(e);
            });
  }
}
