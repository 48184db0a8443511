package io.courier.resilience;

import static org.assertj.core.api.Assertions.assertThat;

import io.courier.contract.v1.GetUserRequest;
import io.courier.contract.v1.GetUserResponse;
import io.courier.contract.v1.User;
import io.courier.contract.v1.UserServiceGrpcClient;
import io.courier.contract.v1.UserServiceGrpcService;
import io.courier.contract.v1.UserServiceService;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpServer;
import io.vertx.core.net.SocketAddress;
import io.vertx.grpc.client.GrpcClient;
import io.vertx.grpc.common.GrpcStatus;
import io.vertx.grpc.server.GrpcServer;
import io.vertx.grpc.server.StatusException;
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

/** A real Vert.x gRPC server on 127.0.0.1 answering with statuses on command. */
@ExtendWith(VertxExtension.class)
@DisplayName("gRPC calls under a target policy")
class ResilientGrpcCallsTest {

  private final List<GrpcStatus> script = new CopyOnWriteArrayList<>();
  private final List<String> timeouts = new CopyOnWriteArrayList<>();
  private final AtomicInteger calls = new AtomicInteger();
  private SocketAddress server;

  @BeforeEach
  void startServer(Vertx vertx, VertxTestContext context) {
    GrpcServer grpc = GrpcServer.server(vertx);
    grpc.addService(
        UserServiceGrpcService.of(
            new UserServiceService() {
              @Override
              public Future<GetUserResponse> getUser(GetUserRequest request) {
                int n = calls.incrementAndGet();
                GrpcStatus status = script.get(Math.min(n, script.size()) - 1);
                if (status != GrpcStatus.OK) {
                  return Future.failedFuture(new StatusException(status, "on command"));
                }
                return Future.succeededFuture(
                    GetUserResponse.newBuilder()
                        .setUser(
                            User.newBuilder().setId(request.getUserId()).setName("answer " + n))
                        .build());
              }
            }));
    vertx
        .createHttpServer()
        .requestHandler(
            request -> {
              timeouts.add(request.getHeader("grpc-timeout"));
              grpc.handle(request);
            })
        .listen(0, "127.0.0.1")
        .map(HttpServer::actualPort)
        .onComplete(
            context.succeeding(
                port -> {
                  server = SocketAddress.inetSocketAddress(port, "127.0.0.1");
                  context.completeNow();
                }));
  }

  /** A grpc-timeout header ({@code 299m}, {@code 55000000n}, ...) in milliseconds. */
  private static double grpcTimeoutMillis(String header) {
    double value = Double.parseDouble(header.substring(0, header.length() - 1));
    return switch (header.charAt(header.length() - 1)) {
      case 'n' -> value / 1e6;
      case 'u' -> value / 1e3;
      case 'm' -> value;
      case 'S' -> value * 1e3;
      case 'M' -> value * 60e3;
      case 'H' -> value * 3600e3;
      default -> throw new AssertionError("not a grpc-timeout: " + header);
    };
  }

  private Future<GetUserResponse> call(Vertx vertx) {
    TargetPolicy policy = TestPolicies.standard(vertx, "users", "grpc://127.0.0.1");
    return ResilientGrpcCalls.unary(
        policy,
        Deadline.none(),
        GrpcClient.client(vertx),
        server,
        UserServiceGrpcClient.GetUser,
        GetUserRequest.newBuilder().setUserId("u-1").build());
  }

  @Test
  @Timeout(value = 10, timeUnit = TimeUnit.SECONDS)
  @DisplayName("retries UNAVAILABLE and sends each attempt's deadline as grpc-timeout")
  void shouldRetryUnavailable(Vertx vertx, VertxTestContext context) {
    script.addAll(List.of(GrpcStatus.UNAVAILABLE, GrpcStatus.OK));

    call(vertx)
        .onComplete(
            context.succeeding(
                response ->
                    context.verify(
                        () -> {
                          // The UNAVAILABLE attempt was retried. On a loaded machine the good
                          // second attempt may outlive its 300 ms and be retried too (a timeout
                          // is retryable): the answer is then the last attempt's.
                          assertThat(calls.get()).isBetween(2, 3);
                          assertThat(response.getUser().getName())
                              .isEqualTo("answer " + calls.get());
                          assertThat(timeouts)
                              .hasSize(calls.get())
                              .allSatisfy(
                                  t -> assertThat(grpcTimeoutMillis(t)).isBetween(0.0, 300.0));
                          context.completeNow();
                        })));
  }

  @Test
  @Timeout(value = 10, timeUnit = TimeUnit.SECONDS)
  @DisplayName("never retries INVALID_ARGUMENT")
  void shouldNotRetryInvalidArgument(Vertx vertx, VertxTestContext context) {
    script.add(GrpcStatus.INVALID_ARGUMENT);

    call(vertx)
        .onComplete(
            context.failing(
                error ->
                    context.verify(
                        () -> {
                          assertThat(((CallFailedException) error).failure().failureClass())
                              .isEqualTo(FailureClass.CLIENT_ERROR);
                          assertThat(calls).hasValue(1);
                          context.completeNow();
                        })));
  }
}
