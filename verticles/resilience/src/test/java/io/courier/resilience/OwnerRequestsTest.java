package io.courier.resilience;

import static org.assertj.core.api.Assertions.assertThat;

import io.vertx.core.Vertx;
import io.vertx.core.eventbus.DeliveryOptions;
import io.vertx.junit5.Timeout;
import io.vertx.junit5.VertxExtension;
import io.vertx.junit5.VertxTestContext;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

@ExtendWith(VertxExtension.class)
@DisplayName("Requests to the owner of a moving partition")
class OwnerRequestsTest {

  @Test
  @Timeout(value = 10, timeUnit = TimeUnit.SECONDS)
  @DisplayName("a later try tells the owner the time left then, not the time left at the first")
  void shouldSendTheDeadlineLeftOnEachTry(Vertx vertx, VertxTestContext context) {
    Deadline deadline = Deadline.after(Duration.ofMillis(1_000));
    DeliveryOptions options =
        new DeliveryOptions().addHeader(Deadline.HEADER, "1000").addHeader("x", "1");
    // The owner starts serving 200 ms from now: the try it answers is at least that late.
    vertx.setTimer(
        200,
        t ->
            vertx
                .eventBus()
                .<String>consumer(
                    "test.owner.3",
                    message ->
                        message.reply(
                            message.headers().get(Deadline.HEADER)
                                + " "
                                + message.headers().get("x"))));

    OwnerRequests.<String>whileMoving(vertx, "test.owner.3", "place", options, deadline)
        .onComplete(
            context.succeeding(
                reply ->
                    context.verify(
                        () -> {
                          String[] parts = reply.body().split(" ");
                          assertThat(Long.parseLong(parts[0]))
                              .as("at most the 800 ms left after 200 ms")
                              .isBetween(1L, 850L);
                          assertThat(parts[1]).as("the other headers travel on").isEqualTo("1");
                          assertThat(options.getHeaders().get(Deadline.HEADER))
                              .as("the caller's options are not changed")
                              .isEqualTo("1000");
                          context.completeNow();
                        })));
  }
}
