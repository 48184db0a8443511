package io.courier.resilience;

import static org.assertj.core.api.Assertions.assertThat;

import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.junit5.Timeout;
import io.vertx.junit5.VertxExtension;
import io.vertx.junit5.VertxTestContext;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

@ExtendWith(VertxExtension.class)
@DisplayName("A target policy given a caller's deadline")
class TargetPolicyDeadlineTest {

  private final AtomicInteger attempts = new AtomicInteger();

  private Future<String> call(TargetPolicy policy, Deadline callerDeadline) {
    return policy.call(
        callerDeadline,
        attempt -> {
          attempts.incrementAndGet();
          return Future.succeededFuture("ok");
        });
  }

  @Test
  @Timeout(value = 10, timeUnit = TimeUnit.SECONDS)
  @DisplayName(
      "fails a call whose caller's deadline is already spent as a timeout (503), not as overload"
          + " (429), without an attempt")
  void shouldClassifyASpentDeadlineAsATimeout(Vertx vertx, VertxTestContext context) {
    TargetPolicy policy = TestPolicies.standard(vertx, "inventory", "test.inventory");

    call(policy, Deadline.after(Duration.ZERO))
        .onComplete(
            context.failing(
                error ->
                    context.verify(
                        () -> {
                          assertThat(FailureClassifier.classify(error).failureClass())
                              .isEqualTo(FailureClass.TIMEOUT);
                          assertThat(error).isInstanceOf(CallFailedException.class).hasNoCause();
                          CallProblem problem = CallProblem.of(error);
                          assertThat(problem.status()).isEqualTo(503);
                          assertThat(problem.type()).isEqualTo("timeout");
                          assertThat(attempts).hasValue(0);
                          context.completeNow();
                        })));
  }

  @Test
  @Timeout(value = 10, timeUnit = TimeUnit.SECONDS)
  @DisplayName("calls the target while the caller's deadline leaves time")
  void shouldCallWithinALiveDeadline(Vertx vertx, VertxTestContext context) {
    TargetPolicy policy = TestPolicies.standard(vertx, "inventory", "test.inventory");

    call(policy, Deadline.after(Duration.ofSeconds(5)))
        .onComplete(
            context.succeeding(
                reply ->
                    context.verify(
                        () -> {
                          assertThat(reply).isEqualTo("ok");
                          assertThat(attempts).hasValue(1);
                          context.completeNow();
                        })));
  }
}
