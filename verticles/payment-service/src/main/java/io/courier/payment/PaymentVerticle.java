package io.courier.payment;

import com.google.protobuf.Message;
import io.courier.codec.Event;
import io.courier.codec.flow.Services;
import io.courier.codec.flow.Topics;
import io.courier.contract.v1.LineItem;
import io.courier.contract.v1.Money;
import io.courier.contract.v1.Order;
import io.courier.contract.v1.OrderPlaced;
import io.courier.contract.v1.PaymentCompleted;
import io.courier.contract.v1.PaymentFailed;
import io.courier.discovery.Discovery;
import io.courier.resilience.Deadline;
import io.courier.resilience.FailureClass;
import io.courier.resilience.FailureClassifier;
import io.courier.resilience.HttpStatusException;
import io.courier.resilience.ResilientHttpCalls;
import io.courier.resilience.TargetPolicy;
import io.courier.runtime.Causes;
import io.courier.runtime.RoleContext;
import io.courier.runtime.kafka.EventConsumer;
import io.courier.runtime.kafka.KafkaConnection;
import io.courier.runtime.kafka.RetryLaterException;
import io.courier.service.HttpPeer;
import io.courier.service.Policies;
import io.courier.service.StateTopics;
import io.vertx.core.Future;
import io.vertx.core.VerticleBase;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.client.HttpResponse;
import io.vertx.ext.web.client.WebClient;
import io.vertx.ext.web.client.WebClientOptions;
import java.net.URI;
import java.time.Duration;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Charges placed orders. A 402 from the provider is a business answer (PaymentFailed); a 201 is
 * PaymentCompleted; anything else fails the handler, so the consumer retries it in place, then via
 * the retry topic, then parks it on the dead-letter topic. Both outcomes get an event id derived
 * from the order, so a redelivered OrderPlaced yields the same event, deduplicated downstream.
 */
public final class PaymentVerticle extends VerticleBase {

  private static final Logger LOG = LoggerFactory.getLogger(PaymentVerticle.class);
  static final String SOURCE = "/courier/payment-service";

  private final RoleContext context;
  private Discovery discovery;
  private WebClient web;
  private TargetPolicy policy;
  private HttpPeer providers;
  private EventConsumer orders;

  public PaymentVerticle(RoleContext context) {
    this.context = context;
  }

  @Override
  public Future<?> start() {
    discovery = context.createDiscovery();
    web = WebClient.create(vertx, new WebClientOptions().setKeepAlive(true));
    KafkaConnection kafka = context.kafkaConnection();
    return Policies.load(vertx, context)
        .onSuccess(
            policies -> {
              providers =
                  policies.httpPeer(
                      discovery, Services.PAYMENT_PROVIDER, Services.PAYMENT_PROVIDER, web);
              policy = providers.policy();
            })
        .compose(
            v -> StateTopics.ensure(vertx, kafka, context.config().kafka().topics(), Topics.ALL))
        .compose(v -> consumeOrders());
  }

  @Override
  public Future<?> stop() {
    Duration drain = Duration.ofMillis(context.config().shutdown().drainTimeoutMs() / 2);
    return (orders == null ? Future.<Void>succeededFuture() : orders.stop(drain))
        .eventually(
            () -> {
              discovery.close();
              web.close();
              return Future.succeededFuture();
            });
  }

  private Future<Void> consumeOrders() {
    orders =
        context.consumer(
            context
                .config()
                .kafka()
                .consumer()
                .withGroupId(PaymentServiceRole.CONSUMER_GROUP)
                .withMaxInFlight(Policies.consumerBound(policy)),
            List.of(Topics.ORDERS),
            this::onOrderEvent);
    return orders.start();
  }

  private Future<Void> onOrderEvent(Event<?> event) {
    if (!(event.data() instanceof OrderPlaced placed)) {
      return Future.succeededFuture();
    }
    Order order = placed.getOrder();
    Money amount = total(order);
    return charge(order, amount).compose(outcome -> publish(order.getId(), outcome));
  }

  private Future<Message> charge(Order order, Money amount) {
    Buffer body =
        new JsonObject()
            .put("orderId", order.getId())
            .put("amountMinor", amount.getAmountMinor())
            .put("currency", amount.getCurrency())
            .toBuffer();
    return post(order.getId(), body)
        .<Message>map(
            response ->
                PaymentCompleted.newBuilder()
                    .setOrderId(order.getId())
                    .setPaymentId(response.bodyAsJsonObject().getString("paymentId", ""))
                    .setAmount(amount)
                    .build())
        .recover(
            error -> {
              HttpStatusException declined = declined(error);
              if (declined == null) {
                Throwable outcome = laterIfUnavailable(error);
                if (outcome == error) {
                  LOG.warn("charging order {} failed: {}", order.getId(), error.getMessage());
                }
                return Future.failedFuture(outcome);
              }
              JsonObject answer = declined.response().bodyAsJsonObject();
              return Future.succeededFuture(
                  PaymentFailed.newBuilder()
                      .setOrderId(order.getId())
                      .setReason(
                          answer == null ? "declined" : answer.getString("reason", "declined"))
                      .setAmount(amount)
                      .build());
            });
  }

  /**
   * A provider that is down, slow, overloaded or behind an open breaker is waited out (the event is
   * fine; retrying it through the DLT would only park it); other failures stay failures.
   */
  static Throwable laterIfUnavailable(Throwable error) {
    FailureClass failure = FailureClassifier.classify(error).failureClass();
    boolean unavailable =
        failure == FailureClass.OVERLOAD
            || failure == FailureClass.NETWORK
            || failure == FailureClass.TIMEOUT
            || FailureClassifier.classify(error).retryable();
    return unavailable
        ? new RetryLaterException("payment provider unavailable: " + error.getMessage(), error)
        : error;
  }

  private static HttpStatusException declined(Throwable error) {
    return Causes.find(error, HttpStatusException.class, http -> http.status() == 402).orElse(null);
  }

  private Future<Void> publish(String orderId, Message outcome) {
    return context
        .publisher()
        .publish(Topics.PAYMENTS, Event.derived("payment|" + orderId, SOURCE, orderId, outcome))
        .mapEmpty();
  }

  /**
   * Posts the charge to the configured provider URL, or else to the instances of {@code
   * payment-provider} in discovery through the load-balanced {@link io.courier.service.HttpPeer} (a
   * retry goes to another instance when the first failed), under the provider's policy.
   */
  private Future<HttpResponse<Buffer>> post(String orderId, Buffer body) {
    String configured = context.config(PaymentServiceConfig.SECTION).providerUrl();
    if (!configured.isBlank()) {
      String url = URI.create(configured).resolve("/v1/charges").toString();
      return ResilientHttpCalls.send(
          policy,
          Deadline.none(),
          () ->
              web.postAbs(url)
                  .putHeader("Content-Type", "application/json")
                  .putHeader("Idempotency-Key", orderId),
          body);
    }
    return providers.send(
        Deadline.none(),
        HttpMethod.POST,
        "/v1/charges",
        request ->
            request
                .putHeader("Content-Type", "application/json")
                .putHeader("Idempotency-Key", orderId),
        body);
  }

  private static Money total(Order order) {
    long sum = 0;
    String currency = "EUR";
    for (LineItem item : order.getItemsList()) {
      sum += item.getQuantity() * item.getUnitPrice().getAmountMinor();
      if (!item.getUnitPrice().getCurrency().isEmpty()) {
        currency = item.getUnitPrice().getCurrency();
      }
    }
    return Money.newBuilder().setCurrency(currency).setAmountMinor(sum).build();
  }
}
