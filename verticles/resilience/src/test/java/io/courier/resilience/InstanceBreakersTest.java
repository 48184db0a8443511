package io.courier.resilience;

import static org.assertj.core.api.Assertions.assertThat;

import io.courier.runtime.metrics.Meters;
import io.vertx.circuitbreaker.CircuitBreakerState;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.eventbus.ReplyException;
import io.vertx.core.eventbus.ReplyFailure;
import io.vertx.junit5.VertxExtension;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

@ExtendWith(VertxExtension.class)
@DisplayName("Per-instance breakers")
class InstanceBreakersTest {

  private static ResiliencePolicies.Policy policy(int minCalls) {
    return ResiliencePolicies.parse(
            TestPolicies.json("stock", "courier.stock", 1, 8, 8, "")
                .replace("\"minCalls\": 1000", "\"minCalls\": " + minCalls),
            "test")
        .policies()
        .get("standard");
  }

  @Test
  @DisplayName(
      "keep one breaker per instance, refuse the open one only, and start again under a reloaded"
          + " breaker section")
  void shouldIsolateInstancesAndFollowReloads(Vertx vertx) throws Exception {
    AtomicReference<ResiliencePolicies.Policy> current = new AtomicReference<>(policy(4));
    InstanceBreakers breakers = new InstanceBreakers(vertx, Meters.none(), "stock", current::get);
    for (int i = 0; i < 4; i++) {
      breakers
          .of("10.0.0.1:9000")
          .execute(
              () ->
                  Future.failedFuture(
                      new ReplyException(ReplyFailure.RECIPIENT_FAILURE, 503, "down")))
          .otherwiseEmpty()
          .await(5, TimeUnit.SECONDS);
    }
    breakers
        .of("10.0.0.2:9000")
        .execute(() -> Future.succeededFuture("ok"))
        .await(5, TimeUnit.SECONDS);

    assertThat(breakers.admits("10.0.0.1:9000")).isFalse();
    assertThat(breakers.admits("10.0.0.2:9000")).isTrue();
    assertThat(breakers.admits("10.0.0.3:9000")).as("never called").isTrue();
    assertThat(breakers.states())
        .containsEntry("10.0.0.1:9000", CircuitBreakerState.OPEN)
        .containsEntry("10.0.0.2:9000", CircuitBreakerState.CLOSED);

    current.set(policy(4));
    assertThat(breakers.admits("10.0.0.1:9000"))
        .as("an equal breaker section after a reload changes nothing")
        .isFalse();

    current.set(policy(50));
    assertThat(breakers.admits("10.0.0.1:9000")).as("a new breaker section").isTrue();
    assertThat(breakers.states()).isEmpty();

    breakers.retain(List.of("10.0.0.2:9000"));
    breakers.of("10.0.0.1:9000");
    breakers.of("10.0.0.2:9000");
    breakers.retain(List.of("10.0.0.2:9000"));
    assertThat(breakers.states()).containsOnlyKeys("10.0.0.2:9000");
  }
}
