package io.courier.resilience;

import static org.assertj.core.api.Assertions.assertThat;

import io.vertx.circuitbreaker.OpenCircuitException;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

@DisplayName("A bulkhead with an adaptive limit")
class AdaptiveBulkheadTest {

  private static final long MS = 1_000_000L;

  private final AtomicLong clock = new AtomicLong();
  private final List<Promise<String>> callees = new ArrayList<>();

  private Bulkhead bulkhead(int initialLimit, int maxQueued) {
    return new Bulkhead(
        "inventory",
        ConcurrencyLimit.adaptive(
            AdaptiveLimitPolicy.aimd(1, initialLimit, initialLimit, Duration.ofMillis(100), 0.5)),
        maxQueued,
        clock::get);
  }

  private Future<String> submit(Bulkhead bulkhead) {
    return bulkhead.execute(
        () -> {
          Promise<String> callee = Promise.promise();
          callees.add(callee);
          return callee.future();
        });
  }

  @Test
  @DisplayName(
      "admits up to its current limit, queues up to maxQueued, and refuses the rest as before")
  void shouldAdmitUpToCurrentLimit() {
    Bulkhead bulkhead = bulkhead(4, 2);
    List<Future<String>> calls = new ArrayList<>();
    for (int i = 0; i < 7; i++) {
      calls.add(submit(bulkhead));
    }

    assertThat(bulkhead.limit()).isEqualTo(4);
    assertThat(bulkhead.running()).isEqualTo(4);
    assertThat(bulkhead.queued()).isEqualTo(2);
    assertThat(calls.get(6).cause())
        .isInstanceOf(CallRejectedException.class)
        .hasMessage("bulkhead of inventory is full: 4 running, 2 queued");
  }

  @Test
  @DisplayName(
      "lets calls already running finish when the limit drops, and starts queued ones only below it")
  void shouldNotCancelRunningCallsWhenLimitDrops() {
    Bulkhead bulkhead = bulkhead(4, 2);
    List<Future<String>> calls = new ArrayList<>();
    for (int i = 0; i < 6; i++) {
      calls.add(submit(bulkhead));
    }

    clock.addAndGet(200 * MS);
    callees.get(0).complete("slow");

    assertThat(bulkhead.limit()).as("halved by a slow call").isEqualTo(2);
    assertThat(bulkhead.running()).as("the other three keep running").isEqualTo(3);
    assertThat(calls.subList(1, 4)).noneMatch(Future::isComplete);
    assertThat(callees).as("no queued call started").hasSize(4);
    assertThat(submit(bulkhead).cause())
        .as("a new call beyond the lower limit and the full queue")
        .isInstanceOf(CallRejectedException.class);

    callees.get(1).complete("slow too, but it was running at the back-off");
    assertThat(bulkhead.limit()).isEqualTo(2);
    assertThat(bulkhead.running()).isEqualTo(2);
    assertThat(callees).hasSize(4);

    callees.get(2).complete("done");
    assertThat(bulkhead.running()).as("one queued call started").isEqualTo(2);
    assertThat(bulkhead.queued()).isEqualTo(1);
    assertThat(callees).hasSize(5);
  }

  @Test
  @DisplayName("backs off on a timeout, and ignores refusals by its own breaker")
  void shouldBackOffOnTimeoutButNotOnOpenBreaker() {
    Bulkhead bulkhead = bulkhead(8, 0);

    bulkhead.execute(() -> Future.failedFuture(OpenCircuitException.INSTANCE));
    assertThat(bulkhead.limit()).isEqualTo(8);

    bulkhead.execute(() -> Future.failedFuture(new TimeoutException("attempt timed out")));
    assertThat(bulkhead.limit()).isEqualTo(4);
    assertThat(bulkhead.running()).isZero();
  }

  @Test
  @DisplayName("grows again under fast calls, starting queued calls as it does")
  void shouldGrowUnderFastCalls() {
    Bulkhead bulkhead = bulkhead(4, 100);
    submit(bulkhead);
    clock.addAndGet(200 * MS);
    callees.get(0).complete("slow");
    assertThat(bulkhead.limit()).isEqualTo(2);

    // max 4 again: a bulkhead whose limit backed off from 4 to 2 climbs back with fast calls
    for (int i = 0; i < 40; i++) {
      submit(bulkhead);
    }
    assertThat(bulkhead.running()).isEqualTo(2);
    int completed = 1;
    while (completed < callees.size()) {
      callees.get(completed++).complete("fast");
    }

    assertThat(bulkhead.limit()).isEqualTo(4);
    assertThat(bulkhead.running()).isZero();
    assertThat(bulkhead.queued()).isZero();
  }
}
