package io.courier.service;

import static org.assertj.core.api.Assertions.assertThat;

import io.courier.codec.flow.Services;
import io.courier.contract.v1.GetUserRequest;
import io.courier.contract.v1.GetUserResponse;
import io.courier.contract.v1.User;
import io.courier.contract.v1.UserServiceGrpcClient;
import io.courier.contract.v1.UserServiceGrpcService;
import io.courier.contract.v1.UserServiceService;
import io.courier.resilience.InboundPolicy;
import io.courier.resilience.ResiliencePolicies;
import io.courier.runtime.metrics.Meters;
import io.courier.runtime.security.MutualTls;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Timer;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpServer;
import io.vertx.core.net.SocketAddress;
import io.vertx.grpc.client.GrpcClient;
import io.vertx.grpc.client.GrpcClientRequest;
import io.vertx.grpc.client.InvalidStatusException;
import io.vertx.grpc.common.GrpcLocal;
import io.vertx.grpc.common.GrpcStatus;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * A user-service gRPC server ({@link Endpoints#grpcServer}) under an inbound policy, called by a
 * Vert.x gRPC client on 127.0.0.1. The service holds each call with user id {@code hold} open until
 * the test completes it, and answers others at once.
 */
@DisplayName("A gRPC server under an inbound policy")
class InboundGrpcTest {

  private final Vertx vertx = Vertx.vertx();
  private final PrometheusMeterRegistry registry =
      new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
  private final List<Promise<GetUserResponse>> held = new CopyOnWriteArrayList<>();

  /** What each served call had left of its deadline when its handler started, in ms. */
  private final List<Long> remainingMs = new CopyOnWriteArrayList<>();

  private GrpcClient client;
  private HttpServer server;
  private InboundPolicy inbound;

  @AfterEach
  void close() throws Exception {
    if (client != null) {
      client.close().await(5, TimeUnit.SECONDS);
    }
    vertx.close().await(10, TimeUnit.SECONDS);
  }

  private void start(String section) throws Exception {
    inbound =
        new InboundPolicy(
            Meters.of(registry),
            Services.USER,
            ResiliencePolicies.parse(
                    "{\"policies\": {}, \"targets\": {}, \"inbound\": {\"user-service\": "
                        + section
                        + "}}",
                    "test")
                .inbound()
                .get(Services.USER));
    UserServiceService users =
        new UserServiceService() {
          @Override
          public Future<GetUserResponse> getUser(GetUserRequest request) {
            GrpcLocal local = GrpcLocal.current();
            remainingMs.add(
                local == null || local.deadline() == null
                    ? Long.MAX_VALUE
                    : Duration.between(Instant.now(), local.deadline()).toMillis());
            GetUserResponse answer =
                GetUserResponse.newBuilder()
                    .setUser(User.newBuilder().setId(request.getUserId()))
                    .build();
            if (request.getUserId().equals("hold")) {
              Promise<GetUserResponse> call = Promise.promise();
              held.add(call);
              return call.future();
            }
            return Future.succeededFuture(answer);
          }
        };
    server =
        GrpcServers.builder(vertx)
            .host("127.0.0.1")
            .port(0)
            .service(UserServiceGrpcService.of(users))
            .mutualTls(MutualTls.disabled(), Services.USER)
            .inbound(inbound)
            .meters(Meters.of(registry))
            .listen()
            .await(10, TimeUnit.SECONDS);
    client = GrpcClient.client(vertx);
  }

  private SocketAddress address() {
    return SocketAddress.inetSocketAddress(server.actualPort(), "127.0.0.1");
  }

  /** A call without a deadline of its own. */
  private Future<GetUserResponse> call(String userId) {
    return UserServiceGrpcClient.create(client, address())
        .getUser(GetUserRequest.newBuilder().setUserId(userId).build());
  }

  /** A call the test can cancel, with a deadline of {@code timeoutMs} (none when 0). */
  private GrpcClientRequest<GetUserRequest, GetUserResponse> send(String userId, long timeoutMs)
      throws Exception {
    GrpcClientRequest<GetUserRequest, GetUserResponse> request =
        client.request(address(), UserServiceGrpcClient.GetUser).await(10, TimeUnit.SECONDS);
    if (timeoutMs > 0) {
      request.timeout(timeoutMs, TimeUnit.MILLISECONDS);
    }
    request.end(GetUserRequest.newBuilder().setUserId(userId).build());
    return request;
  }

  private static Future<GetUserResponse> answer(
      GrpcClientRequest<GetUserRequest, GetUserResponse> request) {
    return request.response().compose(response -> response.last());
  }

  private static GrpcStatus status(Future<?> call) throws Exception {
    Throwable failure =
        call.map(answer -> (Throwable) new AssertionError("answered: " + answer))
            .otherwise(error -> error)
            .await(10, TimeUnit.SECONDS);
    assertThat(failure).isInstanceOf(InvalidStatusException.class);
    return ((InvalidStatusException) failure).actualStatus();
  }

  /** Waits, on Vert.x timers and within a deadline, until {@code condition} holds. */
  private void eventually(BooleanSupplier condition) throws Exception {
    Promise<Void> met = Promise.promise();
    long timer =
        vertx.setPeriodic(
            5,
            id -> {
              if (condition.getAsBoolean()) {
                met.tryComplete();
              }
            });
    try {
      met.future().await(10, TimeUnit.SECONDS);
    } finally {
      vertx.cancelTimer(timer);
    }
  }

  private double timerCount(String status) {
    Timer timer = registry.find("courier.grpc.server").tag("status", status).timer();
    return timer == null ? 0 : timer.count();
  }

  @Test
  @Timeout(30)
  @DisplayName(
      "answers RESOURCE_EXHAUSTED at once past the bulkhead and its queue, while admitted calls"
          + " succeed")
  void shouldRefuseCallsPastTheBulkhead() throws Exception {
    start("{\"bulkhead\": {\"maxConcurrent\": 2, \"maxQueued\": 1}}");

    List<Future<GetUserResponse>> admitted = new ArrayList<>();
    admitted.add(call("hold"));
    admitted.add(call("hold"));
    eventually(() -> held.size() == 2);
    admitted.add(call("hold"));
    eventually(() -> inbound.queued() == 1);

    Future<GetUserResponse> over1 = call("hold");
    Future<GetUserResponse> over2 = call("hold");
    assertThat(status(over1)).isEqualTo(GrpcStatus.RESOURCE_EXHAUSTED);
    assertThat(status(over2)).isEqualTo(GrpcStatus.RESOURCE_EXHAUSTED);
    assertThat(held).as("the refused calls never reached the service").hasSize(2);
    assertThat(admitted).noneMatch(Future::isComplete);
    assertThat(inbound.rejected()).isEqualTo(2);
    Counter rejected =
        registry
            .find("courier.resilience.inbound.rejected")
            .tag("service", Services.USER)
            .counter();
    assertThat(rejected).isNotNull();
    assertThat(rejected.count()).isEqualTo(2);

    held.get(0).complete(GetUserResponse.getDefaultInstance());
    eventually(() -> held.size() == 3);
    held.forEach(call -> call.tryComplete(GetUserResponse.getDefaultInstance()));
    assertThat(Future.all(admitted).await(10, TimeUnit.SECONDS).size()).isEqualTo(3);
    eventually(() -> inbound.running() == 0 && inbound.queued() == 0);
  }

  @Test
  @Timeout(30)
  @DisplayName(
      "answers DEADLINE_EXCEEDED when the handler is slower than timeoutMs, though the caller"
          + " allowed more, and hands the handler the shorter deadline")
  void shouldCapTheCallersDeadline() throws Exception {
    start("{\"timeoutMs\": 200}");

    assertThat(status(answer(send("hold", 10_000)))).isEqualTo(GrpcStatus.DEADLINE_EXCEEDED);
    assertThat(status(call("hold")))
        .as("a caller that sent no deadline gets the service's")
        .isEqualTo(GrpcStatus.DEADLINE_EXCEEDED);
    assertThat(remainingMs).hasSize(2).allSatisfy(ms -> assertThat(ms).isBetween(0L, 200L));

    assertThat(answer(send("fast", 100)).await(10, TimeUnit.SECONDS).getUser().getId())
        .isEqualTo("fast");
    assertThat(remainingMs.get(2)).as("a caller's shorter deadline stays").isBetween(0L, 100L);
    eventually(() -> inbound.running() == 0);
  }

  @Test
  @Timeout(30)
  @DisplayName("frees the place of a call its client cancels, running or queued, exactly once")
  void shouldFreeThePlacesOfCancelledCalls() throws Exception {
    start("{\"bulkhead\": {\"maxConcurrent\": 1, \"maxQueued\": 1}}");

    GrpcClientRequest<GetUserRequest, GetUserResponse> running = send("hold", 0);
    eventually(() -> held.size() == 1);
    GrpcClientRequest<GetUserRequest, GetUserResponse> queued = send("hold", 0);
    eventually(() -> inbound.queued() == 1);

    queued.cancel();
    eventually(() -> timerCount("none") == 1);
    running.cancel();
    eventually(() -> timerCount("none") == 2);
    eventually(() -> inbound.running() == 0 && inbound.queued() == 0);
    assertThat(held).as("the cancelled queued call was never served").hasSize(1);

    List<Future<GetUserResponse>> after = List.of(call("fast"), call("fast"));
    assertThat(Future.all(after).await(10, TimeUnit.SECONDS).size())
        .as("both places free again")
        .isEqualTo(2);
    assertThat(inbound.rejected()).isZero();
    eventually(() -> inbound.running() == 0 && inbound.queued() == 0);
  }

  @Test
  @Timeout(30)
  @DisplayName("frees the places of its calls when the caller's connection closes")
  void shouldFreeThePlacesOfAClosedConnection() throws Exception {
    start("{\"bulkhead\": {\"maxConcurrent\": 1, \"maxQueued\": 1}}");
    GrpcClient leaving = GrpcClient.client(vertx);
    for (int i = 0; i < 2; i++) {
      UserServiceGrpcClient.create(leaving, address())
          .getUser(GetUserRequest.newBuilder().setUserId("hold").build());
    }
    eventually(() -> held.size() == 1 && inbound.queued() == 1);

    leaving.close().await(10, TimeUnit.SECONDS);

    eventually(() -> inbound.running() == 0 && inbound.queued() == 0);
    assertThat(held).as("the queued call was never served").hasSize(1);
    assertThat(call("fast").await(10, TimeUnit.SECONDS).getUser().getId()).isEqualTo("fast");
  }
}
