package io.courier.resilience;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

@DisplayName("A deadline")
class DeadlineTest {

  private final AtomicLong now = new AtomicLong(5_000_000_000L);

  @Test
  @DisplayName("shrinks as time passes and travels as the milliseconds left")
  void shouldShrinkAndTravelAsRemainingMillis() {
    Deadline deadline = Deadline.after(Duration.ofMillis(300), now::get);
    now.addAndGet(Duration.ofMillis(120).toNanos());

    assertThat(deadline.toHeader()).isEqualTo("180");
    Deadline nextHop = Deadline.fromHeader(deadline.toHeader(), Deadline.none(), now::get);
    now.addAndGet(Duration.ofMillis(200).toNanos());
    assertThat(nextHop.expired()).isTrue();
    assertThat(nextHop.remaining()).isZero();
  }

  @Test
  @DisplayName("keeps the earlier of its own and the caller's deadline")
  void shouldKeepEarlierDeadline() {
    Deadline own = Deadline.after(Duration.ofMillis(50), now::get);

    Deadline fromCaller = Deadline.fromHeader("500", own, now::get);

    assertThat(fromCaller).isSameAs(own);
    assertThat(Deadline.fromHeader("20", own, now::get).remaining())
        .isEqualTo(Duration.ofMillis(20));
  }

  @Test
  @DisplayName("ignores a header that is not a number of milliseconds")
  void shouldIgnoreMalformedHeader() {
    Deadline own = Deadline.after(Duration.ofMillis(50), now::get);

    assertThat(Deadline.fromHeader("soon", own, now::get)).isSameAs(own);
    assertThat(Deadline.fromHeader(null, Deadline.none(), now::get).isNone()).isTrue();
    assertThat(Deadline.none().expired()).isFalse();
  }
}
