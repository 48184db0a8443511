package io.courier.runtime.kafka.impl;

import static org.assertj.core.api.Assertions.assertThat;

import io.courier.runtime.config.KafkaConfig.ConsumerConfig;
import java.util.LongSummaryStatistics;
import java.util.stream.IntStream;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

@DisplayName("The in-place back-off")
class AttemptRunnerTest {

  private static final int SAMPLES = 2_000;

  @Test
  @DisplayName("doubles from the initial delay per attempt, each delay jittered to 50-100 %")
  void shouldDoubleFromTheInitialDelayWithJitter() {
    ConsumerConfig config = config(100, 10_000);

    assertThat(sample(config, 1)).satisfies(s -> assertWithin(s, 50, 100));
    assertThat(sample(config, 2)).satisfies(s -> assertWithin(s, 100, 200));
    assertThat(sample(config, 3)).satisfies(s -> assertWithin(s, 200, 400));
    assertThat(sample(config, 5)).satisfies(s -> assertWithin(s, 800, 1_600));
  }

  @Test
  @DisplayName("stops growing at the largest back-off, however many attempts were made")
  void shouldCapAtTheLargestBackoff() {
    ConsumerConfig config = config(100, 1_000);

    assertThat(sample(config, 5)).satisfies(s -> assertWithin(s, 500, 1_000));
    assertThat(sample(config, 30)).satisfies(s -> assertWithin(s, 500, 1_000));
    assertThat(sample(config, 1_000)).satisfies(s -> assertWithin(s, 500, 1_000));
  }

  @Test
  @DisplayName("waits at least a millisecond")
  void shouldWaitAtLeastOneMillisecond() {
    // The smallest back-off a configuration may hold is 1 ms; jitter takes it to 0.5..1 ms,
    // which the floor turns into 1 ms every time.
    assertThat(sample(config(1, 1), 1).getMin()).isEqualTo(1);
    assertThat(sample(config(1, 1), 1).getMax()).isEqualTo(1);
  }

  private static LongSummaryStatistics sample(ConsumerConfig config, int attempt) {
    return IntStream.range(0, SAMPLES)
        .mapToLong(i -> AttemptRunner.backoff(config, attempt))
        .summaryStatistics();
  }

  /** Every delay in {@code [low, high]}, and spread over that range rather than fixed. */
  private static void assertWithin(LongSummaryStatistics delays, long low, long high) {
    assertThat(delays.getMin()).isBetween(low, high);
    assertThat(delays.getMax()).isBetween(low, high);
    assertThat(delays.getMax() - delays.getMin())
        .as("jitter spreads the delays")
        .isGreaterThan((high - low) / 2);
  }

  private static ConsumerConfig config(long initialMs, long maxMs) {
    return new ConsumerConfig(
        "backoff", 100, 3, initialMs, maxMs, 1, 200, 1_000, 1, 100, 3_600_000, 5_000);
  }
}
