package io.courier.resilience;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.vertx.core.eventbus.ReplyException;
import io.vertx.core.eventbus.ReplyFailure;
import io.vertx.grpc.client.InvalidStatusException;
import io.vertx.grpc.common.GrpcStatus;
import java.net.ConnectException;
import java.time.Duration;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicLong;
import javax.net.ssl.SSLHandshakeException;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

@DisplayName("The fallback cache")
class FallbackCacheTest {

  private final AtomicLong now = new AtomicLong();
  private final FallbackCache<String, String> cache =
      new FallbackCache<>(3, Duration.ofMillis(100), now::get);

  private void advance(long millis) {
    now.addAndGet(Duration.ofMillis(millis).toNanos());
  }

  @Test
  @DisplayName("serves the last good answer while it is younger than maxAge, then never again")
  void shouldExpireAnswersByAge() {
    cache.put("u1", "first");
    advance(50);
    cache.put("u1", "second");
    advance(99);

    assertThat(cache.get("u1")).as("99 ms after the last put").hasValue("second");

    advance(1);
    assertThat(cache.get("u1")).as("100 ms after it").isEmpty();
    assertThat(cache.size()).as("dropped when looked up").isZero();
  }

  @Test
  @DisplayName("keeps at most maxEntries answers, dropping the least recently used")
  void shouldDropTheLeastRecentlyUsedPastTheBound() {
    cache.put("a", "A");
    cache.put("b", "B");
    cache.put("c", "C");
    assertThat(cache.get("a")).hasValue("A"); // a is now the most recently used

    cache.put("d", "D");

    assertThat(cache.size()).isEqualTo(3);
    assertThat(cache.get("b")).as("least recently used").isEmpty();
    assertThat(cache.get("a")).hasValue("A");
    assertThat(cache.get("c")).hasValue("C");
    assertThat(cache.get("d")).hasValue("D");
  }

  @Test
  @DisplayName("applies smaller bounds from a reload to the answers it holds")
  void shouldApplyNewBoundsToHeldAnswers() {
    cache.put("a", "A");
    advance(30);
    cache.put("b", "B");
    cache.put("c", "C");

    cache.resize(2, Duration.ofMillis(20));

    assertThat(cache.size()).isEqualTo(2);
    assertThat(cache.get("a")).as("pushed out by the new entry bound").isEmpty();
    assertThat(cache.get("b")).hasValue("B");
    advance(20);
    assertThat(cache.get("c")).as("past the new age bound").isEmpty();
    assertThatThrownBy(() -> cache.resize(0, Duration.ofMillis(1)))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("maxEntries must be >= 1, was 0");
    assertThatThrownBy(() -> cache.resize(1, Duration.ZERO))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("maxAge must be positive, was PT0S");
  }

  @Test
  @DisplayName("falls back when the callee could not answer, never over its own answer")
  void shouldFallBackOnlyWhenTheCalleeCouldNotAnswer() {
    assertThat(
            FallbackCache.fallsBackOn(
                new InvalidStatusException(GrpcStatus.OK, GrpcStatus.UNAVAILABLE)))
        .isTrue();
    assertThat(
            FallbackCache.fallsBackOn(
                new InvalidStatusException(GrpcStatus.OK, GrpcStatus.DEADLINE_EXCEEDED)))
        .isTrue();
    assertThat(FallbackCache.fallsBackOn(new TimeoutException("attempt 1 timed out"))).isTrue();
    assertThat(FallbackCache.fallsBackOn(new ConnectException("no reachable instance"))).isTrue();
    assertThat(FallbackCache.fallsBackOn(new CallRejectedException("bulkhead full"))).isTrue();
    assertThat(
            FallbackCache.fallsBackOn(
                new CallFailedException(
                    Failure.of(FailureClass.NETWORK, true, "down"), 3, "attempts exhausted", null)))
        .isTrue();
    assertThat(FallbackCache.fallsBackOn(new ReplyException(ReplyFailure.NO_HANDLERS, "none")))
        .isTrue();

    assertThat(
            FallbackCache.fallsBackOn(
                new InvalidStatusException(GrpcStatus.OK, GrpcStatus.NOT_FOUND)))
        .as("NOT_FOUND is the callee's answer")
        .isFalse();
    assertThat(
            FallbackCache.fallsBackOn(
                new InvalidStatusException(GrpcStatus.OK, GrpcStatus.PERMISSION_DENIED)))
        .isFalse();
    assertThat(
            FallbackCache.fallsBackOn(
                new CallFailedException(
                    Failure.of(FailureClass.CLIENT_ERROR, false, "400"), 1, "not retryable", null)))
        .isFalse();
    assertThat(FallbackCache.fallsBackOn(new SSLHandshakeException("bad certificate"))).isFalse();
  }
}
