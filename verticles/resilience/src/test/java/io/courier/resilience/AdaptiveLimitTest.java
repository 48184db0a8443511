package io.courier.resilience;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;

@DisplayName("An adaptive concurrency limit")
class AdaptiveLimitTest {

  private static final long MS = 1_000_000L;

  /** The test's clock: each sample starts when the previous one ended. */
  private long now;

  /** One call that started now and ran {@code rttMs}, with the limit's places all in use. */
  private void call(ConcurrencyLimit limit, long rttMs, boolean dropped) {
    limit.onSample(now, rttMs * MS, limit.limit(), dropped);
    now += rttMs * MS;
  }

  @Nested
  @DisplayName("with AIMD")
  class Aimd {

    private final ConcurrencyLimit limit =
        ConcurrencyLimit.adaptive(AdaptiveLimitPolicy.aimd(2, 10, 4, Duration.ofMillis(100), 0.5));

    @Test
    @DisplayName("grows by one per limit's worth of fast calls, up to maxLimit and no further")
    void shouldGrowAdditivelyUpToMaxLimit() {
      for (int i = 0; i < 3; i++) {
        call(limit, 10, false);
      }
      assertThat(limit.limit()).as("3 of 4 fast calls").isEqualTo(4);
      call(limit, 10, false);
      assertThat(limit.limit()).as("4 of 4 fast calls: one round trip").isEqualTo(5);

      for (int i = 0; i < 5; i++) {
        call(limit, 10, false);
      }
      assertThat(limit.limit()).as("5 more").isEqualTo(6);

      for (int i = 0; i < 1_000; i++) {
        call(limit, 10, false);
        assertThat(limit.limit()).isLessThanOrEqualTo(10);
      }
      assertThat(limit.limit()).isEqualTo(10);
    }

    @Test
    @DisplayName("backs off by backoffRatio on a call slower than the threshold, or a drop")
    void shouldBackOffOnSlowCallsAndDrops() {
      ConcurrencyLimit wide =
          ConcurrencyLimit.adaptive(
              AdaptiveLimitPolicy.aimd(2, 64, 64, Duration.ofMillis(100), 0.5));

      call(wide, 101, false);
      assertThat(wide.limit()).as("slower than the threshold").isEqualTo(32);
      call(wide, 100, false);
      assertThat(wide.limit()).as("exactly the threshold is not slow").isEqualTo(32);
      call(wide, 5, true);
      assertThat(wide.limit()).as("a fast timeout or overload").isEqualTo(16);
    }

    @Test
    @DisplayName("never backs off below minLimit")
    void shouldNeverGoBelowMinLimit() {
      for (int i = 0; i < 20; i++) {
        call(limit, 500, true);
        assertThat(limit.limit()).isGreaterThanOrEqualTo(2);
      }
      assertThat(limit.limit()).isEqualTo(2);
    }

    @Test
    @DisplayName("backs off once per round trip: calls already running at a back-off are old news")
    void shouldBackOffOncePerRoundTrip() {
      ConcurrencyLimit wide =
          ConcurrencyLimit.adaptive(
              AdaptiveLimitPolicy.aimd(1, 64, 64, Duration.ofMillis(100), 0.5));
      for (int i = 0; i < 8; i++) {
        wide.onSample(0, (200 + i) * MS, 8, false);
      }
      assertThat(wide.limit()).as("eight slow calls that ran together").isEqualTo(32);

      wide.onSample(201 * MS, 150 * MS, 1, false);
      assertThat(wide.limit()).as("a slow call started after the back-off").isEqualTo(16);
    }

    @Test
    @DisplayName("does not grow while fewer than half its places are used")
    void shouldNotGrowWhenLightlyUsed() {
      for (int i = 0; i < 100; i++) {
        limit.onSample(now, 10 * MS, 1, false);
        now += 10 * MS;
      }
      assertThat(limit.limit()).isEqualTo(4);
    }
  }

  @Nested
  @DisplayName("with the gradient")
  class Gradient {

    private final ConcurrencyLimit limit =
        ConcurrencyLimit.adaptive(AdaptiveLimitPolicy.gradient(4, 50, 50, 10, 20, 0.2, 1.5));

    /** {@code windows} windows of 10 calls of {@code rttMs}; the limit after each. */
    private List<Integer> windows(int windows, long rttMs) {
      List<Integer> limits = new ArrayList<>();
      for (int w = 0; w < windows; w++) {
        for (int i = 0; i < 10; i++) {
          call(limit, rttMs, false);
        }
        limits.add(limit.limit());
      }
      return limits;
    }

    @Test
    @DisplayName("holds at maxLimit while latency is steady")
    void shouldHoldWhileLatencyIsSteady() {
      assertThat(windows(20, 10)).containsOnly(50);
    }

    @Test
    @DisplayName("shrinks when latency rises, and recovers when it falls back")
    void shouldShrinkWhenLatencyRisesAndRecover() {
      windows(5, 10);

      List<Integer> slow = windows(4, 50);
      assertThat(slow).as("each window of slow calls").isSortedAccordingTo((a, b) -> b - a);
      assertThat(slow.get(0)).isLessThan(50);
      assertThat(slow.get(3)).isLessThanOrEqualTo(40);

      List<Integer> fast = windows(10, 10);
      assertThat(fast.get(0)).isGreaterThan(slow.get(3));
      assertThat(fast).isSorted();
      assertThat(fast.get(9)).isEqualTo(50);
    }

    @Test
    @DisplayName("updates only once per window of samples")
    void shouldUpdateOncePerWindow() {
      windows(3, 10);
      for (int i = 0; i < 9; i++) {
        call(limit, 200, false);
      }
      assertThat(limit.limit()).isEqualTo(50);
      call(limit, 200, false);
      assertThat(limit.limit()).isLessThan(50);
    }

    @Test
    @DisplayName("never shrinks below minLimit")
    void shouldNeverGoBelowMinLimit() {
      ConcurrencyLimit floored =
          ConcurrencyLimit.adaptive(AdaptiveLimitPolicy.gradient(30, 50, 50, 10, 20, 0.2, 1.5));
      for (long rtt = 1; rtt < 1L << 30; rtt *= 2) {
        for (int i = 0; i < 10; i++) {
          call(floored, rtt, false);
        }
        assertThat(floored.limit()).isGreaterThanOrEqualTo(30);
      }
      assertThat(floored.limit()).isEqualTo(30);
    }
  }

  @Test
  @DisplayName("refuses limits out of order, naming the setting")
  void shouldRefuseBadSettings() {
    assertThatThrownBy(() -> AdaptiveLimitPolicy.aimd(0, 4, 2, Duration.ofMillis(1), 0.5))
        .hasMessage("minLimit must be >= 1, was 0");
    assertThatThrownBy(() -> AdaptiveLimitPolicy.aimd(1, 4, 5, Duration.ofMillis(1), 0.5))
        .hasMessage("initialLimit must be in [minLimit, maxLimit], was 5");
    assertThatThrownBy(() -> AdaptiveLimitPolicy.aimd(1, 4, 2, Duration.ofMillis(1), 1.0))
        .hasMessage("backoffRatio must be in (0, 1), was 1.0");
    assertThatThrownBy(() -> AdaptiveLimitPolicy.gradient(1, 4, 2, 10, 20, 0.2, 0.9))
        .hasMessage("tolerance must be >= 1, was 0.9");
  }
}
