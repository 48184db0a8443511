package io.courier.resilience;

import static org.assertj.core.api.Assertions.assertThat;

import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.eventbus.DeliveryOptions;
import io.vertx.core.eventbus.ReplyException;
import io.vertx.core.eventbus.ReplyFailure;
import io.vertx.core.json.JsonObject;
import io.vertx.junit5.Timeout;
import io.vertx.junit5.VertxExtension;
import io.vertx.junit5.VertxTestContext;
import java.io.IOException;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/** The proxy in front of partition owners, as the gateway's calls to the order service use it. */
@ExtendWith(VertxExtension.class)
@DisplayName("The resilience proxy in front of partition owners")
class ResilienceProxyOwnersTest {

  private static final String RESILIENT = ResilienceProxyVerticle.ADDRESS_PREFIX + "orders";

  @TempDir Path dir;

  private final AtomicInteger calls = new AtomicInteger();

  /** Deploys a process-local proxy for target {@code orders} at {@code test.orders}. */
  private Future<String> deploy(Vertx vertx) throws IOException {
    return TestPolicies.deployProxy(
        vertx, dir, TestPolicies.json("orders", "test.orders", 3, 8, 8, ""), 1_000, true);
  }

  private static DeliveryOptions to(String address, long deadlineMs) {
    return new DeliveryOptions()
        .setLocalOnly(true)
        .addHeader(ResilienceProxyVerticle.TO_HEADER, address)
        .addHeader(Deadline.HEADER, Long.toString(deadlineMs))
        .addHeader("x-courier-version", "2")
        .setSendTimeout(deadlineMs + 1_000);
  }

  @Test
  @Timeout(value = 10, timeUnit = TimeUnit.SECONDS)
  @DisplayName("sends to the owner named in courier-to, waiting while nobody listens there yet")
  void shouldWaitForTheOwnerOfAMovingPartition(Vertx vertx, VertxTestContext context)
      throws IOException {
    deploy(vertx)
        .compose(
            id -> {
              // The partition's new owner starts serving 200 ms after the request was sent.
              vertx.setTimer(
                  200,
                  t ->
                      vertx
                          .eventBus()
                          .<String>consumer(
                              "test.orders.place.3",
                              message -> {
                                calls.incrementAndGet();
                                message.reply(
                                    message.body()
                                        + " v"
                                        + message.headers().get("x-courier-version")
                                        + " within "
                                        + message.headers().get(Deadline.HEADER));
                              }));
              return vertx
                  .eventBus()
                  .<String>request(RESILIENT, "place", to("test.orders.place.3", 1_500));
            })
        .onComplete(
            context.succeeding(
                reply ->
                    context.verify(
                        () -> {
                          assertThat(reply.body()).startsWith("place v2 within ");
                          long left = Long.parseLong(reply.body().replaceAll(".* within ", ""));
                          assertThat(left)
                              .as("the caller's deadline, shrunk")
                              .isBetween(1L, 1_500L);
                          assertThat(calls).hasValue(1);
                          context.completeNow();
                        })));
  }

  @Test
  @Timeout(value = 10, timeUnit = TimeUnit.SECONDS)
  @DisplayName("answers 503 dependency-unavailable when no owner appears within the deadline")
  void shouldAnswerUnavailableWhenNoOwnerAppears(Vertx vertx, VertxTestContext context)
      throws IOException {
    deploy(vertx)
        .compose(id -> vertx.eventBus().request(RESILIENT, "get", to("test.orders.get.1", 400)))
        .onComplete(
            context.failing(
                error ->
                    context.verify(
                        () -> {
                          ReplyException reply = (ReplyException) error;
                          assertThat(reply.failureCode()).isEqualTo(503);
                          JsonObject problem = new JsonObject(reply.getMessage());
                          assertThat(problem.getString("type")).isEqualTo("dependency-unavailable");
                          assertThat(problem.getInteger("status")).isEqualTo(503);
                          // Answered by the proxy (a recipient failure with its problem), not
                          // by the caller's own send timeout (a TIMEOUT failure).
                          assertThat(reply.failureType()).isEqualTo(ReplyFailure.RECIPIENT_FAILURE);
                          context.completeNow();
                        })));
  }

  @Test
  @Timeout(value = 10, timeUnit = TimeUnit.SECONDS)
  @DisplayName("answers a caller whose deadline is already spent 503 timeout, calling nobody")
  void shouldAnswerASpentDeadlineAsATimeout(Vertx vertx, VertxTestContext context)
      throws IOException {
    vertx.eventBus().consumer("test.orders.get.2", message -> calls.incrementAndGet());
    deploy(vertx)
        .compose(id -> vertx.eventBus().request(RESILIENT, "get", to("test.orders.get.2", 0)))
        .onComplete(
            context.failing(
                error ->
                    context.verify(
                        () -> {
                          ReplyException reply = (ReplyException) error;
                          JsonObject problem = new JsonObject(reply.getMessage());
                          assertThat(reply.failureCode()).isEqualTo(503);
                          assertThat(problem.getInteger("status")).isEqualTo(503);
                          assertThat(problem.getString("type"))
                              .as("a timeout, not the caller's overload (429)")
                              .isEqualTo("timeout");
                          assertThat(calls).hasValue(0);
                          context.completeNow();
                        })));
  }

  @Test
  @Timeout(value = 10, timeUnit = TimeUnit.SECONDS)
  @DisplayName("refuses a courier-to outside its target's address with 400, calling nobody")
  void shouldRefuseAnAddressOutsideTheTarget(Vertx vertx, VertxTestContext context)
      throws IOException {
    vertx.eventBus().consumer("test.ordersX", message -> calls.incrementAndGet());
    vertx.eventBus().consumer("courier.admin", message -> calls.incrementAndGet());
    deploy(vertx)
        .compose(
            id ->
                Future.all(
                    vertx.eventBus().request(RESILIENT, "x", to("test.ordersX", 500)),
                    vertx.eventBus().request(RESILIENT, "x", to("courier.admin", 500))))
        .onComplete(
            context.failing(
                error ->
                    context.verify(
                        () -> {
                          ReplyException reply = (ReplyException) error;
                          assertThat(reply.failureCode()).isEqualTo(400);
                          assertThat(new JsonObject(reply.getMessage()).getString("detail"))
                              .contains("courier-to", "test.orders");
                          assertThat(calls).hasValue(0);
                          context.completeNow();
                        })));
  }

  @Test
  @Timeout(value = 10, timeUnit = TimeUnit.SECONDS)
  @DisplayName("hands the owner's own refusal back as it is, once")
  void shouldPassTheOwnersRefusalBack(Vertx vertx, VertxTestContext context) throws IOException {
    String refusal = new JsonObject().put("status", 409).put("type", "conflict").encode();
    vertx
        .eventBus()
        .consumer(
            "test.orders.place.0",
            message -> {
              calls.incrementAndGet();
              message.fail(409, refusal);
            });
    deploy(vertx)
        .compose(
            id -> vertx.eventBus().request(RESILIENT, "place", to("test.orders.place.0", 1_000)))
        .onComplete(
            context.failing(
                error ->
                    context.verify(
                        () -> {
                          ReplyException reply = (ReplyException) error;
                          assertThat(reply.failureCode()).isEqualTo(409);
                          assertThat(reply.getMessage()).isEqualTo(refusal);
                          assertThat(calls).hasValue(1);
                          context.completeNow();
                        })));
  }
}
