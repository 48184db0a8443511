package io.courier.service;

import static org.assertj.core.api.Assertions.assertThat;

import io.courier.discovery.ConsulStandIn;
import io.courier.discovery.ServiceInstance;
import io.courier.resilience.Deadline;
import io.courier.resilience.HttpStatusException;
import io.vertx.circuitbreaker.CircuitBreakerState;
import io.vertx.core.Future;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.HttpServer;
import io.vertx.ext.web.client.HttpResponse;
import io.vertx.ext.web.client.WebClient;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * HTTP calls by service name through {@link HttpPeer}: three real HTTP servers registered with the
 * Consul backend (the stand-in). Calls spread over the three; one starts answering 503 and is taken
 * out (ejected by the load balancer) while every call succeeds on the others; a business answer
 * (402) is passed back at once, never retried and not held against the instance.
 */
@DisplayName("HTTP peers found through Consul")
class HttpPeerIT extends ConsulPeerFixture {

  @Test
  @Timeout(120)
  @DisplayName(
      "spreads calls over three instances, takes one answering 503 out without failed calls, and"
          + " passes a 402 back unretried")
  void shouldBalanceAndIsolate(@TempDir Path dir) throws Exception {
    ConsulStandIn consul = new ConsulStandIn(vertx);
    int consulPort = consul.start(0).await(10, TimeUnit.SECONDS);
    AtomicBoolean sick = new AtomicBoolean();
    List<AtomicInteger> served = new ArrayList<>();
    List<String> addresses = new ArrayList<>();
    AtomicInteger declined = new AtomicInteger();
    for (int i = 0; i < 3; i++) {
      AtomicInteger count = new AtomicInteger();
      served.add(count);
      boolean first = i == 0;
      HttpServer server =
          vertx
              .createHttpServer()
              .requestHandler(
                  request -> {
                    count.incrementAndGet();
                    if ("decline".equals(request.getHeader("Idempotency-Key"))) {
                      declined.incrementAndGet();
                      request.response().setStatusCode(402).end("{\"reason\":\"no funds\"}");
                    } else if (first && sick.get()) {
                      request.response().setStatusCode(503).end();
                    } else {
                      request
                          .response()
                          .putHeader("content-type", "application/json")
                          .end(
                              "{\"paymentId\":\"p\",\"deadline\":\""
                                  + request.getHeader(Deadline.HEADER)
                                  + "\"}");
                    }
                  })
              .listen(0, "127.0.0.1")
              .await(10, TimeUnit.SECONDS);
      ServiceInstance registered =
          discovery(consulPort, Duration.ofSeconds(5))
              .register(
                  new ServiceInstance(
                      null,
                      "payment-provider",
                      "127.0.0.1",
                      server.actualPort(),
                      Map.of("role", "payment-provider")))
              .await(10, TimeUnit.SECONDS);
      addresses.add(registered.address());
    }
    String bad = addresses.get(0);
    Path policyFile = policyFile(dir, "payment-provider", "http:payment-provider", 5000, "");
    Policies policies = PeerTests.policies(vertx, policyFile, "payment-service");
    HttpPeer peer =
        policies.httpPeer(
            discovery(consulPort, Duration.ofSeconds(5)),
            "payment-provider",
            "payment-provider",
            WebClient.create(vertx));

    List<String> healthy = calls(peer, 60, "k");
    assertThat(healthy).isEmpty();
    assertThat(served).allSatisfy(count -> assertThat(count.get()).isPositive());

    // A business answer: passed back at once, one request, the instance stays in.
    int before = served.stream().mapToInt(AtomicInteger::get).sum();
    Throwable refusal =
        peer.send(
                Deadline.after(Duration.ofSeconds(3)),
                HttpMethod.POST,
                "/v1/charges",
                request -> request.putHeader("Idempotency-Key", "decline"),
                Buffer.buffer("{}"))
            .map(response -> (Throwable) null)
            .otherwise(e -> e)
            .await(10, TimeUnit.SECONDS);
    assertThat(refusal).isInstanceOf(io.courier.resilience.CallFailedException.class);
    assertThat(io.courier.resilience.FailureClassifier.classify(refusal).retryable()).isFalse();
    assertThat(io.courier.runtime.Causes.find(refusal, HttpStatusException.class))
        .hasValueSatisfying(status -> assertThat(status.status()).isEqualTo(402));
    assertThat(served.stream().mapToInt(AtomicInteger::get).sum() - before)
        .as("requests a 402 took")
        .isEqualTo(1);
    assertThat(declined).hasValue(1);

    // One instance starts answering 503: retries go to the others (never the instance that
    // just failed), and after five failures in a row the load balancer ejects it, for longer each
    // time it fails again.
    sick.set(true);
    int badBefore = served.get(0).get();
    int othersBefore = served.get(1).get() + served.get(2).get();
    List<String> whileSick = calls(peer, 300, "k");
    assertThat(whileSick).as("failed calls while one instance answered 503").isEmpty();
    assertThat(served.get(0).get() - badBefore)
        .as("calls that reached the failing instance, of 300")
        .isLessThan(30);
    assertThat(served.get(1).get() + served.get(2).get() - othersBefore)
        .isGreaterThanOrEqualTo(300);
    assertThat(peer.policy().breaker().state()).isEqualTo(CircuitBreakerState.CLOSED);
    assertThat(consul.unknownRequests()).isEmpty();
  }

  private static List<String> calls(HttpPeer peer, int count, String key) throws Exception {
    List<String> failures = new ArrayList<>();
    for (int done = 0; done < count; done += 10) {
      List<Future<HttpResponse<Buffer>>> batch = new ArrayList<>();
      for (int i = 0; i < Math.min(10, count - done); i++) {
        batch.add(
            peer.send(
                Deadline.after(Duration.ofSeconds(3)),
                HttpMethod.POST,
                "/v1/charges",
                request -> request.putHeader("Idempotency-Key", key),
                Buffer.buffer("{}")));
      }
      for (Future<HttpResponse<Buffer>> call : batch) {
        Throwable error =
            call.map(
                    response -> {
                      String deadline = response.bodyAsJsonObject().getString("deadline");
                      return deadline == null || "null".equals(deadline)
                          ? (Throwable) new AssertionError("no deadline header sent")
                          : null;
                    })
                .otherwise(e -> e)
                .await(10, TimeUnit.SECONDS);
        if (error != null) {
          failures.add(String.valueOf(error));
        }
      }
    }
    return failures;
  }
}
