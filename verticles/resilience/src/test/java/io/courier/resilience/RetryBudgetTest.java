package io.courier.resilience;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

@DisplayName("The retry budget")
class RetryBudgetTest {

  private final AtomicLong now = new AtomicLong(1_000_000_000L);
  private final RetryBudget budget = new RetryBudget(0.2, 2, Duration.ofSeconds(10), now::get);

  @Test
  @DisplayName("grants retries up to the ratio of calls plus the fixed allowance")
  void shouldGrantRatioOfCallsPlusAllowance() {
    for (int i = 0; i < 100; i++) {
      budget.recordCall();
    }
    int granted = 0;
    while (budget.tryAcquireRetry()) {
      granted++;
    }
    assertThat(granted).isEqualTo(22);
  }

  @Test
  @DisplayName("grants only the fixed allowance when there are no calls")
  void shouldGrantAllowanceWithoutCalls() {
    assertThat(budget.tryAcquireRetry()).isTrue();
    assertThat(budget.tryAcquireRetry()).isTrue();
    assertThat(budget.tryAcquireRetry()).isFalse();
  }

  @Test
  @DisplayName("forgets calls and retries once they leave the window")
  void shouldForgetOldBuckets() {
    for (int i = 0; i < 50; i++) {
      budget.recordCall();
    }
    while (budget.tryAcquireRetry()) {
      // spend it
    }
    now.addAndGet(Duration.ofSeconds(11).toNanos());

    assertThat(budget.tryAcquireRetry()).isTrue();
    assertThat(budget.tryAcquireRetry()).isTrue();
    assertThat(budget.tryAcquireRetry()).as("the old calls no longer count").isFalse();
  }

  @Test
  @DisplayName("tells its listener of every grant and denial, and reports the share spent")
  void shouldReportDecisionsAndUse() {
    java.util.List<Boolean> decisions = new java.util.ArrayList<>();
    RetryBudget watched = new RetryBudget(0.5, 1, Duration.ofSeconds(10), now::get, decisions::add);
    for (int i = 0; i < 2; i++) {
      watched.recordCall();
    }
    assertThat(watched.used()).isZero();

    assertThat(watched.tryAcquireRetry()).isTrue();
    assertThat(watched.used()).isEqualTo(0.5);
    assertThat(watched.tryAcquireRetry()).isTrue();
    assertThat(watched.tryAcquireRetry()).isFalse();

    assertThat(decisions).containsExactly(true, true, false);
    assertThat(watched.used()).isEqualTo(1.0);
  }

  @Test
  @DisplayName("refuses a ratio above 1, a negative allowance and an empty window")
  void shouldRefuseBadSettings() {
    assertThatThrownBy(() -> new RetryBudget(1.5, 0, Duration.ofSeconds(1), now::get))
        .hasMessage("ratio must be 0..1, was 1.5");
    assertThatThrownBy(() -> new RetryBudget(0.1, -1, Duration.ofSeconds(1), now::get))
        .hasMessage("minRetries must be >= 0, was -1");
    assertThatThrownBy(() -> new RetryBudget(0.1, 0, Duration.ZERO, now::get))
        .hasMessage("window must be positive, was PT0S");
  }
}
