package io.courier.resilience;

import static org.assertj.core.api.Assertions.assertThat;

import io.vertx.circuitbreaker.OpenCircuitException;
import io.vertx.core.eventbus.ReplyException;
import io.vertx.core.eventbus.ReplyFailure;
import io.vertx.core.http.HttpClosedException;
import io.vertx.grpc.client.InvalidStatusException;
import io.vertx.grpc.common.GrpcStatus;
import java.net.ConnectException;
import java.time.Duration;
import java.util.concurrent.TimeoutException;
import java.util.stream.Stream;
import javax.net.ssl.SSLHandshakeException;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.MethodSource;

@DisplayName("The failure classifier")
class FailureClassifierTest {

  static Stream<Arguments> failures() {
    return Stream.of(
        Arguments.of(new ReplyException(ReplyFailure.TIMEOUT, "t"), FailureClass.TIMEOUT, true),
        Arguments.of(new ReplyException(ReplyFailure.NO_HANDLERS, "n"), FailureClass.NETWORK, true),
        Arguments.of(
            new ReplyException(ReplyFailure.RECIPIENT_FAILURE, 400, "bad"),
            FailureClass.CLIENT_ERROR,
            false),
        Arguments.of(
            new ReplyException(ReplyFailure.RECIPIENT_FAILURE, 422, "refused"),
            FailureClass.CLIENT_ERROR,
            false),
        Arguments.of(
            new ReplyException(ReplyFailure.RECIPIENT_FAILURE, 429, "slow down"),
            FailureClass.OVERLOAD,
            true),
        Arguments.of(
            new ReplyException(ReplyFailure.RECIPIENT_FAILURE, 503, "down"),
            FailureClass.SERVER_ERROR,
            true),
        Arguments.of(
            new ReplyException(ReplyFailure.RECIPIENT_FAILURE, 500, "boom"),
            FailureClass.SERVER_ERROR,
            false),
        Arguments.of(
            new ReplyException(ReplyFailure.RECIPIENT_FAILURE, 7, "custom"),
            FailureClass.SERVER_ERROR,
            false),
        Arguments.of(
            new InvalidStatusException(GrpcStatus.OK, GrpcStatus.UNAVAILABLE),
            FailureClass.NETWORK,
            true),
        Arguments.of(
            new InvalidStatusException(GrpcStatus.OK, GrpcStatus.DEADLINE_EXCEEDED),
            FailureClass.TIMEOUT,
            true),
        Arguments.of(
            new InvalidStatusException(GrpcStatus.OK, GrpcStatus.RESOURCE_EXHAUSTED),
            FailureClass.OVERLOAD,
            true),
        Arguments.of(
            new InvalidStatusException(GrpcStatus.OK, GrpcStatus.INVALID_ARGUMENT),
            FailureClass.CLIENT_ERROR,
            false),
        Arguments.of(
            new InvalidStatusException(GrpcStatus.OK, GrpcStatus.INTERNAL),
            FailureClass.SERVER_ERROR,
            false),
        Arguments.of(new ConnectException("Connection refused"), FailureClass.NETWORK, true),
        Arguments.of(
            new java.io.IOException("Connection reset by peer"), FailureClass.NETWORK, true),
        Arguments.of(new java.io.IOException("Broken pipe"), FailureClass.NETWORK, true),
        Arguments.of(new HttpClosedException("closed"), FailureClass.NETWORK, true),
        Arguments.of(
            io.netty.handler.codec.http2.Http2Exception.streamError(
                491,
                io.netty.handler.codec.http2.Http2Error.PROTOCOL_ERROR,
                "Cannot create stream 491 greater than Last-Stream-ID 489 from GOAWAY."),
            FailureClass.NETWORK,
            true),
        Arguments.of(
            io.netty.handler.codec.http2.Http2Exception.streamError(
                7, io.netty.handler.codec.http2.Http2Error.REFUSED_STREAM, "refused"),
            FailureClass.NETWORK,
            true),
        Arguments.of(new SSLHandshakeException("bad certificate"), FailureClass.TLS, false),
        Arguments.of(new TimeoutException("late"), FailureClass.TIMEOUT, true),
        Arguments.of(OpenCircuitException.INSTANCE, FailureClass.OVERLOAD, false),
        Arguments.of(new CallRejectedException("bulkhead full"), FailureClass.OVERLOAD, false),
        Arguments.of(
            new RuntimeException("wrapped", new ConnectException("refused")),
            FailureClass.NETWORK,
            true),
        Arguments.of(new IllegalStateException("unexpected"), FailureClass.SERVER_ERROR, false));
  }

  @ParameterizedTest(name = "{0} -> {1}, retryable {2}")
  @MethodSource("failures")
  @DisplayName("puts every transport's failure in one class")
  void shouldClassifyEveryTransportsFailure(
      Throwable failure, FailureClass expected, boolean retryable) {
    Failure classified = FailureClassifier.classify(failure);

    assertThat(classified.failureClass()).isEqualTo(expected);
    assertThat(classified.retryable()).isEqualTo(retryable);
  }

  @ParameterizedTest(name = "HTTP {0} -> {1}, retryable {2}")
  @CsvSource({
    "400, CLIENT_ERROR, false",
    "401, CLIENT_ERROR, false",
    "404, CLIENT_ERROR, false",
    "408, TIMEOUT, true",
    "409, CLIENT_ERROR, false",
    "429, OVERLOAD, true",
    "500, SERVER_ERROR, false",
    "502, NETWORK, true",
    "503, SERVER_ERROR, true",
    "504, TIMEOUT, true"
  })
  @DisplayName("classifies HTTP statuses")
  void shouldClassifyHttpStatuses(int status, FailureClass expected, boolean retryable) {
    Failure classified = FailureClassifier.classifyHttp(status, null);

    assertThat(classified.failureClass()).isEqualTo(expected);
    assertThat(classified.retryable()).isEqualTo(retryable);
  }

  @Test
  @DisplayName("treats 2xx and 3xx as no failure and honours Retry-After seconds")
  void shouldHonourRetryAfter() {
    assertThat(FailureClassifier.classifyHttp(204, null)).isNull();
    assertThat(FailureClassifier.classifyHttp(429, "3").retryAfter())
        .isEqualTo(Duration.ofSeconds(3));
    assertThat(FailureClassifier.classifyHttp(503, "soon").retryAfter()).isZero();
  }

  @Test
  @DisplayName("sees the classified failure inside a call that already failed")
  void shouldReuseClassificationOfFailedCall() {
    Failure inner = FailureClassifier.classify(new ConnectException("refused"));
    CallFailedException failed = new CallFailedException(inner, 3, "attempts exhausted", null);

    assertThat(FailureClassifier.classify(failed)).isSameAs(inner);
    assertThat(failed)
        .hasMessage("NETWORK after 3 attempt(s) (attempts exhausted): ConnectException: refused");
  }
}
