package io.courier.service;

import static org.assertj.core.api.Assertions.assertThat;

import io.courier.resilience.TargetBreaker;
import io.courier.runtime.admin.AdminSections;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.junit5.VertxExtension;
import io.vertx.junit5.VertxTestContext;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;

@ExtendWith(VertxExtension.class)
@DisplayName("The admin view's breaker transitions")
class BreakerTransitionsTest {

  @Test
  @Timeout(value = 10, unit = TimeUnit.SECONDS)
  @DisplayName("keeps the last 50 state changes heard on the event bus, oldest first, with a time")
  void shouldKeepTheLastStateChanges(Vertx vertx, VertxTestContext test) {
    AdminSections admin = new AdminSections();
    BreakerTransitions transitions = BreakerTransitions.of(vertx, admin);
    assertThat(BreakerTransitions.of(vertx, admin)).isSameAs(transitions);
    for (int i = 0; i < BreakerTransitions.KEPT + 5; i++) {
      vertx
          .eventBus()
          .publish(
              TargetBreaker.STATE_ADDRESS,
              new JsonObject().put("target", "t" + i).put("state", i % 2 == 0 ? "OPEN" : "CLOSED"));
    }
    // The bus delivers in order on the consumer's context: a last message marks the end.
    vertx
        .eventBus()
        .publish(
            TargetBreaker.STATE_ADDRESS,
            new JsonObject().put("target", "last").put("state", "HALF_OPEN"));
    vertx.setPeriodic(
        20,
        id -> {
          JsonArray shown = (JsonArray) admin.all().get(BreakerTransitions.SECTION).get();
          if (!shown.isEmpty()
              && "last".equals(shown.getJsonObject(shown.size() - 1).getString("target"))) {
            vertx.cancelTimer(id);
            test.verify(
                () -> {
                  assertThat(shown).hasSize(BreakerTransitions.KEPT);
                  assertThat(shown.getJsonObject(0).getString("target")).isEqualTo("t6");
                  assertThat(shown.getJsonObject(0).getString("at")).endsWith("Z");
                  test.completeNow();
                });
          }
        });
  }
}
