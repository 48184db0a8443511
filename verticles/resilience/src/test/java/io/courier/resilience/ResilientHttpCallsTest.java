package io.courier.resilience;

import static org.assertj.core.api.Assertions.assertThat;

import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpServer;
import io.vertx.ext.web.client.WebClient;
import io.vertx.junit5.Timeout;
import io.vertx.junit5.VertxExtension;
import io.vertx.junit5.VertxTestContext;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * A real HTTP server on 127.0.0.1 answering with statuses on command, called through the policy.
 */
@ExtendWith(VertxExtension.class)
@DisplayName("HTTP calls under a target policy")
class ResilientHttpCallsTest {

  private final List<Integer> script = new CopyOnWriteArrayList<>();
  private final List<String> deadlines = new CopyOnWriteArrayList<>();
  private final AtomicInteger requests = new AtomicInteger();
  private int port;

  @BeforeEach
  void startServer(Vertx vertx, VertxTestContext context) {
    vertx
        .createHttpServer()
        .requestHandler(
            request -> {
              int n = requests.incrementAndGet();
              deadlines.add(request.getHeader(Deadline.HEADER));
              int status = script.get(Math.min(n, script.size()) - 1);
              request
                  .response()
                  .putHeader("Retry-After", "0")
                  .setStatusCode(status)
                  .end("answer " + n);
            })
        .listen(0, "127.0.0.1")
        .map(HttpServer::actualPort)
        .onComplete(
            context.succeeding(
                p -> {
                  port = p;
                  context.completeNow();
                }));
  }

  private Future<io.vertx.ext.web.client.HttpResponse<Buffer>> call(Vertx vertx) {
    TargetPolicy policy = TestPolicies.standard(vertx, "payments", "http://127.0.0.1");
    WebClient client = WebClient.create(vertx);
    return ResilientHttpCalls.send(
        policy, Deadline.none(), () -> client.get(port, "127.0.0.1", "/pay"), null);
  }

  @Test
  @Timeout(value = 10, timeUnit = TimeUnit.SECONDS)
  @DisplayName("retries a 503 and returns the first good answer, telling each attempt its deadline")
  void shouldRetry503(Vertx vertx, VertxTestContext context) {
    script.addAll(List.of(503, 200));

    call(vertx)
        .onComplete(
            context.succeeding(
                response ->
                    context.verify(
                        () -> {
                          assertThat(response.statusCode()).isEqualTo(200);
                          assertThat(response.bodyAsString()).isEqualTo("answer 2");
                          assertThat(deadlines)
                              .hasSize(2)
                              .allSatisfy(d -> assertThat(Long.parseLong(d)).isBetween(0L, 300L));
                          context.completeNow();
                        })));
  }

  @Test
  @Timeout(value = 10, timeUnit = TimeUnit.SECONDS)
  @DisplayName("gives a 404 back at once, with its response")
  void shouldNotRetry404(Vertx vertx, VertxTestContext context) {
    script.add(404);

    call(vertx)
        .onComplete(
            context.failing(
                error ->
                    context.verify(
                        () -> {
                          assertThat(error).isInstanceOf(CallFailedException.class);
                          CallFailedException failed = (CallFailedException) error;
                          assertThat(failed.failure().failureClass())
                              .isEqualTo(FailureClass.CLIENT_ERROR);
                          assertThat(
                                  ((HttpStatusException) failed.getCause())
                                      .response()
                                      .bodyAsString())
                              .isEqualTo("answer 1");
                          assertThat(requests).hasValue(1);
                          context.completeNow();
                        })));
  }
}
