package io.courier.resilience;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.vertx.core.Future;
import io.vertx.core.Promise;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

@DisplayName("A bulkhead")
class BulkheadTest {

  @Test
  @DisplayName(
      "runs up to its limit, queues up to its queue, refuses the rest, and drains the queue")
  void shouldLimitQueueAndRefuse() {
    Bulkhead bulkhead = new Bulkhead("inventory", 2, 1);
    List<Promise<String>> callees = new ArrayList<>();
    List<Future<String>> calls = new ArrayList<>();
    for (int i = 0; i < 5; i++) {
      calls.add(
          bulkhead.execute(
              () -> {
                Promise<String> callee = Promise.promise();
                callees.add(callee);
                return callee.future();
              }));
    }

    assertThat(bulkhead.running()).isEqualTo(2);
    assertThat(bulkhead.queued()).isEqualTo(1);
    assertThat(callees).hasSize(2);
    assertThat(calls.subList(3, 5))
        .allSatisfy(
            call -> {
              assertThat(call.failed()).isTrue();
              assertThat(call.cause())
                  .isInstanceOf(CallRejectedException.class)
                  .hasMessage("bulkhead of inventory is full: 2 running, 1 queued");
            });

    callees.get(0).complete("first");

    assertThat(calls.get(0).result()).isEqualTo("first");
    assertThat(callees).as("the queued call started").hasSize(3);
    assertThat(bulkhead.running()).isEqualTo(2);
    assertThat(bulkhead.queued()).isZero();

    callees.get(1).fail("boom");
    callees.get(2).complete("third");

    assertThat(calls.get(1).failed()).isTrue();
    assertThat(calls.get(2).result()).isEqualTo("third");
    assertThat(bulkhead.running()).isZero();
  }

  @Test
  @DisplayName("refuses a limit below one and a negative queue")
  void shouldRefuseBadLimits() {
    assertThatThrownBy(() -> new Bulkhead("t", 0, 1))
        .hasMessage("maxConcurrent must be >= 1, was 0");
    assertThatThrownBy(() -> new Bulkhead("t", 1, -1)).hasMessage("maxQueued must be >= 0, was -1");
  }
}
