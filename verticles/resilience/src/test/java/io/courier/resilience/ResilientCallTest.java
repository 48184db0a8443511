package io.courier.resilience;

import static org.assertj.core.api.Assertions.assertThat;

import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.eventbus.DeliveryOptions;
import io.vertx.core.eventbus.Message;
import io.vertx.junit5.Timeout;
import io.vertx.junit5.VertxExtension;
import io.vertx.junit5.VertxTestContext;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/** Calls through the event bus to a callee that fails on command: a code, added latency, a hang. */
@ExtendWith(VertxExtension.class)
@DisplayName("A resilient call")
class ResilientCallTest {

  private static final String CALLEE = "test.callee";

  private final AtomicInteger attempts = new AtomicInteger();

  /** What the callee does on each attempt, in order; the last entry repeats. */
  private final List<String> script = new CopyOnWriteArrayList<>();

  @BeforeEach
  void startCallee(Vertx vertx, VertxTestContext context) {
    vertx
        .eventBus()
        .<String>consumer(CALLEE, this::answer)
        .completion()
        .onComplete(context.succeedingThenComplete());
  }

  private void answer(Message<String> message) {
    int n = attempts.incrementAndGet();
    String action = script.get(Math.min(n, script.size()) - 1);
    switch (action) {
      case "ok" -> message.reply("done on attempt " + n);
      case "hang" -> {
        // never answers
      }
      default -> message.fail(Integer.parseInt(action), "failed on command: " + action);
    }
  }

  private ResilientCall call(Vertx vertx, int maxAttempts, RetryBudget budget) {
    return new ResilientCall(
        vertx,
        new RetryPolicy(
            maxAttempts, Duration.ofMillis(5), Duration.ofMillis(20), Duration.ofMillis(200)),
        budget,
        System::nanoTime,
        new Random(7));
  }

  private static Future<String> send(Vertx vertx, ResilientCall.Attempt attempt) {
    return vertx
        .eventBus()
        .<String>request(
            CALLEE,
            "ping",
            new DeliveryOptions()
                .setSendTimeout(Math.max(1, attempt.deadline().remaining().toMillis()))
                .addHeader(Deadline.HEADER, attempt.deadline().toHeader()))
        .map(Message::body);
  }

  @Test
  @Timeout(value = 10, timeUnit = TimeUnit.SECONDS)
  @DisplayName("retries a retryable failure until the callee answers")
  void shouldRetryRetryableFailureUntilSuccess(Vertx vertx, VertxTestContext context) {
    script.addAll(List.of("503", "503", "ok"));

    call(vertx, 5, RetryBudget.unlimited())
        .call(Deadline.none(), true, attempt -> send(vertx, attempt))
        .onComplete(
            context.succeeding(
                answer ->
                    context.verify(
                        () -> {
                          assertThat(answer).isEqualTo("done on attempt 3");
                          assertThat(attempts).hasValue(3);
                          context.completeNow();
                        })));
  }

  @Test
  @Timeout(value = 10, timeUnit = TimeUnit.SECONDS)
  @DisplayName("never retries a client error")
  void shouldNeverRetryClientError(Vertx vertx, VertxTestContext context) {
    script.addAll(List.of("400", "ok"));

    call(vertx, 5, RetryBudget.unlimited())
        .call(Deadline.none(), true, attempt -> send(vertx, attempt))
        .onComplete(
            context.failing(
                error ->
                    context.verify(
                        () -> {
                          assertThat(error).isInstanceOf(CallFailedException.class);
                          CallFailedException failed = (CallFailedException) error;
                          assertThat(failed.failure().failureClass())
                              .isEqualTo(FailureClass.CLIENT_ERROR);
                          assertThat(failed.attempts()).isEqualTo(1);
                          assertThat(failed).hasMessageContaining("(not retryable)");
                          assertThat(attempts).hasValue(1);
                          context.completeNow();
                        })));
  }

  @Test
  @Timeout(value = 10, timeUnit = TimeUnit.SECONDS)
  @DisplayName("does not retry a call that is not idempotent")
  void shouldNotRetryNonIdempotentCall(Vertx vertx, VertxTestContext context) {
    script.addAll(List.of("503", "ok"));

    call(vertx, 5, RetryBudget.unlimited())
        .call(Deadline.none(), false, attempt -> send(vertx, attempt))
        .onComplete(
            context.failing(
                error ->
                    context.verify(
                        () -> {
                          assertThat(error).hasMessageContaining("(not idempotent)");
                          assertThat(attempts).hasValue(1);
                          context.completeNow();
                        })));
  }

  @Test
  @Timeout(value = 10, timeUnit = TimeUnit.SECONDS)
  @DisplayName("times out a hung attempt and succeeds on the next")
  void shouldTimeOutHungAttemptAndRetry(Vertx vertx, VertxTestContext context) {
    script.addAll(List.of("hang", "ok"));

    call(vertx, 3, RetryBudget.unlimited())
        .call(Deadline.none(), true, attempt -> send(vertx, attempt))
        .onComplete(
            context.succeeding(
                answer ->
                    context.verify(
                        () -> {
                          assertThat(answer).isEqualTo("done on attempt 2");
                          context.completeNow();
                        })));
  }

  @Test
  @Timeout(value = 30, timeUnit = TimeUnit.SECONDS)
  @DisplayName("does not storm a dependency that fails every call")
  void shouldNotStormFailingDependency(Vertx vertx, VertxTestContext context) {
    script.add("503");
    RetryBudget budget = new RetryBudget(0.1, 3, Duration.ofSeconds(30), System::nanoTime);
    ResilientCall resilient = call(vertx, 5, budget);
    int calls = 200;
    List<Future<String>> results = new ArrayList<>();
    for (int i = 0; i < calls; i++) {
      results.add(resilient.call(Deadline.none(), true, attempt -> send(vertx, attempt)));
    }

    Future.join(results)
        .onComplete(
            done ->
                context.verify(
                    () -> {
                      assertThat(results).allMatch(Future::failed);
                      assertThat(attempts.get())
                          .as("attempts for %d calls with a 10 %% budget and 3 spare", calls)
                          .isLessThanOrEqualTo((int) (calls * 1.1) + 3)
                          .isGreaterThan(calls);
                      assertThat(results)
                          .anyMatch(r -> r.cause().getMessage().contains("(retry budget spent)"));
                      context.completeNow();
                    }));
  }

  @Test
  @Timeout(value = 10, timeUnit = TimeUnit.SECONDS)
  @DisplayName("never lets the third hop start with more time than remains of a 300 ms deadline")
  void shouldShrinkDeadlineAcrossThreeHops(Vertx vertx, VertxTestContext context) {
    long start = System.nanoTime();
    List<long[]> seenByLastHop = new CopyOnWriteArrayList<>();
    hop(vertx, "hop.1", "hop.2", 40);
    hop(vertx, "hop.2", "hop.3", 40);
    vertx
        .eventBus()
        .<String>consumer(
            "hop.3",
            message -> {
              long elapsedMs = (System.nanoTime() - start) / 1_000_000;
              seenByLastHop.add(
                  new long[] {Long.parseLong(message.headers().get(Deadline.HEADER)), elapsedMs});
              message.reply("ok");
            });
    Deadline deadline = Deadline.after(Duration.ofMillis(300));

    call(vertx, 1, RetryBudget.unlimited())
        .call(deadline, true, attempt -> forward(vertx, "hop.1", attempt.deadline()))
        .onComplete(
            context.succeeding(
                answer ->
                    context.verify(
                        () -> {
                          assertThat(seenByLastHop).hasSize(1);
                          long budgetAtLastHop = seenByLastHop.get(0)[0];
                          long elapsed = seenByLastHop.get(0)[1];
                          assertThat(budgetAtLastHop)
                              .as(
                                  "hop 3 was given %d ms after %d ms had passed",
                                  budgetAtLastHop, elapsed)
                              .isLessThanOrEqualTo(300 - elapsed + 1)
                              .isLessThanOrEqualTo(300 - 80);
                          context.completeNow();
                        })));
  }

  /** A hop that works {@code workMs}, then forwards with what remains of its caller's deadline. */
  private static void hop(Vertx vertx, String address, String next, long workMs) {
    vertx
        .eventBus()
        .<String>consumer(
            address,
            message -> {
              Deadline deadline =
                  Deadline.fromHeader(
                      message.headers().get(Deadline.HEADER), Deadline.none(), System::nanoTime);
              vertx.setTimer(
                  workMs,
                  id ->
                      forward(vertx, next, deadline)
                          .onSuccess(message::reply)
                          .onFailure(e -> message.fail(504, e.getMessage())));
            });
  }

  private static Future<String> forward(Vertx vertx, String address, Deadline deadline) {
    return vertx
        .eventBus()
        .<String>request(
            address,
            "go",
            new DeliveryOptions()
                .setSendTimeout(Math.max(1, deadline.remaining().toMillis()))
                .addHeader(Deadline.HEADER, deadline.toHeader()))
        .map(Message::body);
  }
}
