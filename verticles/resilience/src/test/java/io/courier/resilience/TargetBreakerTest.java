package io.courier.resilience;

import static org.assertj.core.api.Assertions.assertThat;

import io.courier.runtime.metrics.Meters;
import io.vertx.circuitbreaker.CircuitBreakerState;
import io.vertx.circuitbreaker.OpenCircuitException;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.eventbus.ReplyException;
import io.vertx.core.eventbus.ReplyFailure;
import io.vertx.core.json.JsonObject;
import io.vertx.junit5.Timeout;
import io.vertx.junit5.VertxExtension;
import io.vertx.junit5.VertxTestContext;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

@ExtendWith(VertxExtension.class)
@DisplayName("A target's circuit breaker")
class TargetBreakerTest {

  private static final BreakerPolicy POLICY =
      new BreakerPolicy(
          0.5, 1.0, Duration.ofSeconds(5), 10, Duration.ofSeconds(10), Duration.ofMillis(200));

  private final AtomicInteger reached = new AtomicInteger();

  private Future<String> failing(int code) {
    reached.incrementAndGet();
    return Future.failedFuture(
        new ReplyException(ReplyFailure.RECIPIENT_FAILURE, code, "failed with " + code));
  }

  private Future<String> ok() {
    reached.incrementAndGet();
    return Future.succeededFuture("ok");
  }

  @Test
  @Timeout(value = 10, timeUnit = TimeUnit.SECONDS)
  @DisplayName(
      "opens at the failure ratio, fails fast, half-opens after the open duration and closes on a good probe")
  void shouldOpenHalfOpenAndClose(Vertx vertx, VertxTestContext context) {
    States states = States.listen(vertx);
    TargetBreaker breaker =
        new TargetBreaker(vertx, Meters.none(), "inventory", POLICY, System::nanoTime);

    Future<?> chain = Future.succeededFuture();
    for (int i = 0; i < 10; i++) {
      boolean fail = i % 2 == 0;
      chain = chain.transform(v -> breaker.execute(() -> fail ? failing(503) : ok()));
    }
    chain
        .transform(v -> breaker.execute(this::ok))
        .onComplete(
            fastFail ->
                context.verify(
                    () -> {
                      assertThat(breaker.state()).isEqualTo(CircuitBreakerState.OPEN);
                      assertThat(fastFail.cause()).isInstanceOf(OpenCircuitException.class);
                      assertThat(reached).as("the open breaker kept the call away").hasValue(10);
                      assertThat(FailureClassifier.classify(fastFail.cause()).failureClass())
                          .isEqualTo(FailureClass.OVERLOAD);
                    }))
        .transform(v -> delay(vertx, 300))
        .onComplete(
            v ->
                context.verify(
                    () -> assertThat(breaker.state()).isEqualTo(CircuitBreakerState.HALF_OPEN)))
        .transform(v -> breaker.execute(this::ok))
        .onComplete(
            probe ->
                context.verify(
                    () -> {
                      assertThat(probe.succeeded()).isTrue();
                      assertThat(breaker.state()).isEqualTo(CircuitBreakerState.CLOSED);
                    }))
        .transform(v -> delay(vertx, 50))
        .onComplete(
            v ->
                context.verify(
                    () -> {
                      assertThat(states.seen()).containsExactly("OPEN", "HALF_OPEN", "CLOSED");
                      assertThat(breaker.transitions()).isEqualTo(3);
                      context.completeNow();
                    }));
  }

  @Test
  @Timeout(value = 10, timeUnit = TimeUnit.SECONDS)
  @DisplayName("stays closed below the minimum number of calls and for client errors")
  void shouldIgnoreClientErrorsAndFewCalls(Vertx vertx, VertxTestContext context) {
    TargetBreaker breaker =
        new TargetBreaker(vertx, Meters.none(), "users", POLICY, System::nanoTime);
    List<Future<String>> calls = new ArrayList<>();
    for (int i = 0; i < 30; i++) {
      calls.add(breaker.execute(() -> failing(400)));
    }
    for (int i = 0; i < 9; i++) {
      calls.add(breaker.execute(() -> failing(503)));
    }
    Future.join(calls)
        .onComplete(
            v ->
                context.verify(
                    () -> {
                      assertThat(breaker.state()).isEqualTo(CircuitBreakerState.CLOSED);
                      assertThat(reached).hasValue(39);
                      context.completeNow();
                    }));
  }

  @Test
  @Timeout(value = 10, timeUnit = TimeUnit.SECONDS)
  @DisplayName("opens when too many calls are slow, even if they succeed")
  void shouldOpenOnSlowCalls(Vertx vertx, VertxTestContext context) {
    TargetBreaker breaker =
        new TargetBreaker(
            vertx,
            Meters.none(),
            "payments",
            new BreakerPolicy(
                1.0, 0.5, Duration.ofMillis(20), 4, Duration.ofSeconds(10), Duration.ofSeconds(5)),
            System::nanoTime);
    Future<?> chain = Future.succeededFuture();
    for (int i = 0; i < 4; i++) {
      chain = chain.transform(v -> breaker.execute(() -> delay(vertx, 40).map("slow")));
    }
    chain.onComplete(
        v ->
            context.verify(
                () -> {
                  assertThat(breaker.state()).isEqualTo(CircuitBreakerState.OPEN);
                  context.completeNow();
                }));
  }

  @Test
  @Timeout(value = 10, timeUnit = TimeUnit.SECONDS)
  @DisplayName(
      "with three half-open probes: stays half-open after the first good one, lets only the probes still needed run, closes after the third")
  void shouldCloseOnlyAfterEveryProbe(Vertx vertx, VertxTestContext context) {
    TargetBreaker breaker = threeProbes(vertx);
    States states = States.listen(vertx);
    Promise<String> second = Promise.promise();
    Promise<String> third = Promise.promise();
    open(breaker)
        .transform(v -> states.halfOpen().future())
        .compose(v -> breaker.execute(this::ok))
        .onComplete(
            first ->
                context.verify(
                    () -> {
                      assertThat(first.succeeded()).isTrue();
                      assertThat(breaker.state())
                          .as("one good probe of three")
                          .isEqualTo(CircuitBreakerState.HALF_OPEN);
                    }))
        .compose(
            v -> {
              int before = reached.get();
              Future<String> p2 = breaker.execute(() -> second.future());
              Future<String> p3 = breaker.execute(() -> third.future());
              Future<String> extra = breaker.execute(this::ok);
              context.verify(
                  () -> {
                    assertThat(breaker.admits()).as("every probe place taken").isFalse();
                    assertThat(extra.failed()).isTrue();
                    assertThat(extra.cause()).isInstanceOf(OpenCircuitException.class);
                    assertThat(reached)
                        .as("the extra call never reached the callee")
                        .hasValue(before);
                  });
              second.complete("ok");
              third.complete("ok");
              return Future.all(p2, p3);
            })
        .transform(v -> delay(vertx, 50))
        .onComplete(
            v ->
                context.verify(
                    () -> {
                      assertThat(breaker.state()).isEqualTo(CircuitBreakerState.CLOSED);
                      assertThat(states.seen()).containsExactly("OPEN", "HALF_OPEN", "CLOSED");
                      context.completeNow();
                    }));
  }

  @Test
  @Timeout(value = 10, timeUnit = TimeUnit.SECONDS)
  @DisplayName("with three half-open probes: a failed second probe opens the breaker again")
  void shouldReopenOnAFailedLaterProbe(Vertx vertx, VertxTestContext context) {
    TargetBreaker breaker = threeProbes(vertx);
    States states = States.listen(vertx);
    open(breaker)
        .transform(v -> states.halfOpen().future())
        .compose(v -> breaker.execute(this::ok))
        .transform(v -> breaker.execute(() -> failing(503)))
        .onComplete(
            failed ->
                context.verify(
                    () -> {
                      assertThat(failed.failed()).isTrue();
                      assertThat(breaker.state()).isEqualTo(CircuitBreakerState.OPEN);
                      assertThat(breaker.admits()).isFalse();
                    }))
        .transform(v -> delay(vertx, 50))
        .onComplete(
            v ->
                context.verify(
                    () -> {
                      assertThat(states.seen()).containsExactly("OPEN", "HALF_OPEN", "OPEN");
                      context.completeNow();
                    }));
  }

  /** A breaker opening at half of 4 calls, open 150 ms, closing after three good probes. */
  private static TargetBreaker threeProbes(Vertx vertx) {
    return new TargetBreaker(
        vertx,
        Meters.none(),
        "stock",
        new BreakerPolicy(
            0.5, 1.0, Duration.ofSeconds(5), 4, Duration.ofSeconds(10), Duration.ofMillis(150), 3),
        System::nanoTime);
  }

  /** Four failed calls: enough to open a {@link #threeProbes} breaker. */
  private Future<?> open(TargetBreaker breaker) {
    List<Future<String>> opening = new ArrayList<>();
    for (int i = 0; i < 4; i++) {
      opening.add(breaker.execute(() -> failing(503)));
    }
    return Future.join(opening);
  }

  /** The states breakers publish, in order, and the first HALF_OPEN. */
  private record States(List<String> seen, Promise<Void> halfOpen) {
    static States listen(Vertx vertx) {
      States states = new States(new CopyOnWriteArrayList<>(), Promise.promise());
      vertx
          .eventBus()
          .<JsonObject>consumer(
              TargetBreaker.STATE_ADDRESS,
              m -> {
                states.seen().add(m.body().getString("state"));
                if ("HALF_OPEN".equals(m.body().getString("state"))) {
                  states.halfOpen().tryComplete();
                }
              });
      return states;
    }
  }

  private static Future<Void> delay(Vertx vertx, long millis) {
    Promise<Void> promise = Promise.promise();
    vertx.setTimer(millis, id -> promise.complete());
    return promise.future();
  }
}
