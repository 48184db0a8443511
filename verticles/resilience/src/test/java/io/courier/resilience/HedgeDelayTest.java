package io.courier.resilience;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

@DisplayName("The hedge delay")
class HedgeDelayTest {

  private static final ResiliencePolicies.Hedge P95 =
      new ResiliencePolicies.Hedge(null, 95.0, 5L, 200L);

  private static void record(HedgeDelay delay, long millis, int times) {
    for (int i = 0; i < times; i++) {
      delay.record(TimeUnit.MILLISECONDS.toNanos(millis));
    }
  }

  @Test
  @DisplayName("is maxMs until enough attempts were seen")
  void shouldWaitMaxMsBeforeEnoughSamples() {
    HedgeDelay delay = new HedgeDelay(P95);
    record(delay, 10, HedgeDelay.MIN_SAMPLES - 1);

    assertThat(delay.millis()).isEqualTo(200);

    record(delay, 10, 1);
    assertThat(delay.millis()).isEqualTo(10);
  }

  @Test
  @DisplayName("follows the percentile of recent successful attempts")
  void shouldFollowThePercentile() {
    HedgeDelay delay = new HedgeDelay(P95);
    // 100 attempts: 95 at 20 ms, 5 at 150 ms: the 95th percentile is 20 ms.
    record(delay, 20, 95);
    record(delay, 150, 5);
    delay.record(TimeUnit.MILLISECONDS.toNanos(20)); // recomputed on a later sample too
    for (int i = 0; i < HedgeDelay.RECOMPUTE_EVERY; i++) {
      delay.record(TimeUnit.MILLISECONDS.toNanos(20));
    }
    assertThat(delay.millis()).isEqualTo(20);

    // The window moves: a slower target gets a longer delay once its samples fill it.
    record(delay, 80, HedgeDelay.WINDOW);
    assertThat(delay.millis()).isEqualTo(80);
  }

  @Test
  @DisplayName("is clamped to minMs..maxMs")
  void shouldClampToTheBounds() {
    HedgeDelay fast = new HedgeDelay(P95);
    record(fast, 0, HedgeDelay.WINDOW);
    assertThat(fast.millis()).isEqualTo(5);

    HedgeDelay slow = new HedgeDelay(P95);
    record(slow, 900, HedgeDelay.WINDOW);
    assertThat(slow.millis()).isEqualTo(200);
  }

  @Test
  @DisplayName("is afterMs in the fixed form, whatever the latency")
  void shouldKeepTheFixedDelay() {
    HedgeDelay fixed = new HedgeDelay(new ResiliencePolicies.Hedge(40L, null, null, null));
    record(fixed, 3, HedgeDelay.WINDOW);

    assertThat(fixed.millis()).isEqualTo(40);
  }
}
