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
