package io.courier.resilience;

import static org.assertj.core.api.Assertions.assertThat;

import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.junit5.Timeout;
import io.vertx.junit5.VertxExtension;
import io.vertx.junit5.VertxTestContext;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/** What each attempt of a call through the proxy carries. */
@ExtendWith(VertxExtension.class)
@DisplayName("The resilience proxy's attempts")
class ResilienceProxyAttemptsTest {

  @TempDir Path dir;

  @Test
  @Timeout(value = 10, timeUnit = TimeUnit.SECONDS)
  @DisplayName(
      "gives each attempt its own headers: a hedge does not rewrite the deadline of a first attempt"
          + " still on its way")
  void shouldKeepEachAttemptsHeaders(Vertx vertx, VertxTestContext context) throws Exception {
    // The first attempt is held on its way for 80 ms (as a clustered send waits for a connection),
    // so it is delivered after the hedge of 30 ms has been sent with a deadline 30 ms shorter.
    AtomicBoolean holding = new AtomicBoolean(true);
    vertx
        .eventBus()
        .addOutboundInterceptor(
            delivery -> {
              if ("test.held".equals(delivery.message().address())
                  && holding.compareAndSet(true, false)) {
                vertx.setTimer(80, id -> delivery.next());
              } else {
                delivery.next();
              }
            });
    List<Long> deadlines = new CopyOnWriteArrayList<>();
    Promise<Void> both = Promise.promise();
    vertx
        .eventBus()
        .consumer(
            "test.held",
            message -> {
              deadlines.add(Long.parseLong(message.headers().get(Deadline.HEADER)));
              if (deadlines.size() == 2) {
                both.complete();
              }
              message.reply("ok");
            });
    String held = TestPolicies.json("held", "test.held", 1, 8, 8, ", \"hedge\": {\"afterMs\": 30}");
    TestPolicies.deployProxy(vertx, dir, held, 1_000, false).await(10, TimeUnit.SECONDS);

    vertx
        .eventBus()
        .request(ResilienceProxyVerticle.ADDRESS_PREFIX + "held", "sku-3")
        .await(10, TimeUnit.SECONDS);
    both.future().await(10, TimeUnit.SECONDS);

    assertThat(deadlines.get(1))
        .as("the first attempt, delivered second, keeps the deadline it was sent with")
        .isGreaterThanOrEqualTo(deadlines.get(0) + 20);
    context.completeNow();
  }
}
