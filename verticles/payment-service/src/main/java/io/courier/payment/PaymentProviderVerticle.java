package io.courier.payment;

import io.courier.codec.flow.Services;
import io.courier.runtime.RoleContext;
import io.courier.runtime.ServiceRegistration;
import io.courier.runtime.chaos.Faults;
import io.courier.runtime.config.ServicesConfig;
import io.vertx.core.Future;
import io.vertx.core.VerticleBase;
import io.vertx.core.http.HttpServer;
import io.vertx.core.http.HttpServerOptions;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import io.vertx.ext.web.handler.BodyHandler;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.ThreadLocalRandom;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A simulated card processor: {@code POST /v1/charges} with {@code {"orderId", "amountMinor",
 * "currency"}} and an {@code Idempotency-Key} header answers, after the configured latency, 201
 * captured, 402 declined (for the configured share of orders, decided by a hash of the key so a
 * retry gets the same answer), or 503 (for the configured share of requests, at random, and for the
 * share a chaos test's fault at {@value #FAULT_POINT} sets).
 */
public final class PaymentProviderVerticle extends VerticleBase {

  private static final Logger LOG = LoggerFactory.getLogger(PaymentProviderVerticle.class);

  /** The fault point chaos tests use to fail charges ({@link Faults}). */
  public static final String FAULT_POINT = "payment-provider";

  private final RoleContext context;
  private final PaymentProviderConfig config;
  private HttpServer server;
  private ServiceRegistration registration;

  public PaymentProviderVerticle(RoleContext context) {
    this.context = context;
    this.config = context.config(PaymentProviderConfig.SECTION);
  }

  @Override
  public Future<?> start() {
    ServicesConfig services = context.config().services();
    Router router = Router.router(vertx);
    router.post("/v1/charges").handler(BodyHandler.create().setBodyLimit(16_384));
    router.post("/v1/charges").handler(this::charge);
    return vertx
        .createHttpServer(new HttpServerOptions().setHost(services.host()).setPort(config.port()))
        .requestHandler(router)
        .listen()
        .compose(
            listening -> {
              server = listening;
              return context.register(
                  Services.PAYMENT_PROVIDER, listening.actualPort(), "http", Map.of());
            })
        .onSuccess(
            registered -> {
              registration = registered;
              context.announce(
                  "payment-provider (simulated)",
                  "http://" + services.reachableHost() + ":" + server.actualPort() + "/v1/charges");
            });
  }

  @Override
  public Future<?> stop() {
    Future<Void> deregistered =
        registration == null
            ? Future.succeededFuture()
            : registration.deregister().recover(e -> Future.succeededFuture());
    return deregistered.compose(v -> server == null ? Future.succeededFuture() : server.shutdown());
  }

  private void charge(RoutingContext routing) {
    String key = routing.request().getHeader("Idempotency-Key");
    JsonObject body;
    try {
      body = routing.body().asJsonObject();
    } catch (RuntimeException e) {
      body = null;
    }
    if (key == null || key.isBlank() || body == null || body.getString("orderId") == null) {
      routing
          .response()
          .setStatusCode(400)
          .putHeader("Content-Type", "application/json")
          .end(new JsonObject().put("error", "needs Idempotency-Key and orderId").encode());
      return;
    }
    String idempotencyKey = key;
    context
        .faults()
        .at(FAULT_POINT)
        .onComplete(injected -> answer(routing, config, idempotencyKey, injected.failed()));
  }

  private void answer(
      RoutingContext routing, PaymentProviderConfig config, String key, boolean faulted) {
    JsonObject answer;
    int status;
    if (faulted || ThreadLocalRandom.current().nextDouble() < config.errorRate()) {
      status = 503;
      answer = new JsonObject().put("status", "unavailable");
    } else if (declined(key, config.declineRate())) {
      status = 402;
      answer = new JsonObject().put("status", "declined").put("reason", "card declined");
    } else {
      status = 201;
      answer =
          new JsonObject()
              .put("status", "captured")
              .put(
                  "paymentId",
                  "pay-"
                      + UUID.nameUUIDFromBytes(
                          ("payment|" + key).getBytes(StandardCharsets.UTF_8)));
    }
    JsonObject reply = answer;
    Runnable send =
        () ->
            routing
                .response()
                .setStatusCode(status)
                .putHeader("Content-Type", "application/json")
                .end(reply.encode())
                .onFailure(e -> LOG.debug("charge answer not sent: {}", e.getMessage()));
    if (config.latencyMs() > 0) {
      vertx.setTimer(config.latencyMs(), id -> send.run());
    } else {
      send.run();
    }
  }

  /** The same key always gets the same decision, so a retried charge is not flipped. */
  static boolean declined(String key, double rate) {
    long bucket =
        Math.floorMod(
            UUID.nameUUIDFromBytes(key.getBytes(StandardCharsets.UTF_8)).getLeastSignificantBits(),
            10_000L);
    return bucket < Math.round(rate * 10_000);
  }
}
