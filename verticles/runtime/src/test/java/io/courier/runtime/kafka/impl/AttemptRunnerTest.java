package io.courier.runtime.kafka.impl;

import static org.assertj.core.api.Assertions.assertThat;

import io.courier.runtime.config.KafkaConfig.ConsumerConfig;
import io.courier.runtime.config.KafkaConfig.TopicsConfig;
import io.courier.runtime.kafka.EventHandler;
import io.courier.runtime.kafka.RetryLaterException;
import io.courier.runtime.metrics.HandlerTimer;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.junit5.Timeout;
import io.vertx.junit5.VertxExtension;
import io.vertx.junit5.VertxTestContext;
import java.util.ArrayList;
import java.util.List;
import java.util.LongSummaryStatistics;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.IntStream;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

@ExtendWith(VertxExtension.class)
@DisplayName("The in-place attempts")
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

  @Test
  @Timeout(value = 10, timeUnit = TimeUnit.SECONDS)
  @DisplayName(
      "stop waiting once the record's partition is revoked, and never call the handler again")
  void shouldGiveUpARevokedRecordWithinOneSliceOfItsBackoff(Vertx vertx, VertxTestContext test) {
    // Back-offs of 10 s or more, timed by the test: each timer waits until the test fires it.
    ConsumerConfig config = config(20_000, 20_000);
    List<Long> timersAsked = new ArrayList<>();
    List<Promise<Void>> timers = new ArrayList<>();
    AtomicInteger calls = new AtomicInteger();
    EventHandler dependencyDown =
        event -> {
          calls.incrementAndGet();
          return Future.failedFuture(new RetryLaterException("provider down", null));
        };
    AttemptRunner attempts =
        new AttemptRunner(
            vertx,
            config,
            dependencyDown,
            new ConsumerCounters(),
            new HandlerTimer(new SimpleMeterRegistry(), "backoff"),
            new KafkaProcessedEvents("127.0.0.1:1", "backoff", 10, 60_000, TopicsConfig.DEFAULTS),
            () -> null,
            () -> true,
            millis -> {
              timersAsked.add(millis);
              Promise<Void> fired = Promise.promise();
              timers.add(fired);
              return fired.future();
            },
            null);
    PartitionOffsets offsets = new PartitionOffsets();
    offsets.received(0);
    PolledRecord work =
        new PolledRecord(
            new ConsumerRecord<>("orders", 0, 0, "a", new byte[] {1}), null, null, offsets);

    vertx
        .getOrCreateContext()
        .runOnContext(
            v -> {
              Future<Void> run = attempts.run(work, 0);
              test.verify(() -> assertThat(calls).as("the first attempt").hasValue(1));
              timers.get(0).complete();
              test.verify(
                  () -> {
                    assertThat(calls).hasValue(1);
                    assertThat(timersAsked)
                        .as("a back-off of 10 s or more, waited in slices")
                        .containsExactly(
                            AttemptRunner.REVOCATION_CHECK_MS, AttemptRunner.REVOCATION_CHECK_MS);
                  });
              offsets.revoke();
              timers.get(1).complete();
              test.verify(
                  () -> {
                    assertThat(run.failed()).as("given up after the slice it was in").isTrue();
                    assertThat(timersAsked).as("no further slice").hasSize(2);
                    assertThat(calls).as("no attempt after the revocation").hasValue(1);
                  });
              test.completeNow();
            });
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
