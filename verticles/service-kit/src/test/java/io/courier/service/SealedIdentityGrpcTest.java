package io.courier.service;

import static org.assertj.core.api.Assertions.assertThat;

import io.courier.contract.v1.GetUserRequest;
import io.courier.contract.v1.GetUserResponse;
import io.courier.contract.v1.User;
import io.courier.contract.v1.UserServiceGrpcClient;
import io.courier.contract.v1.UserServiceGrpcService;
import io.courier.contract.v1.UserServiceService;
import io.courier.runtime.security.IdentitySeal;
import io.vertx.core.Future;
import io.vertx.core.MultiMap;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpServer;
import io.vertx.core.net.SocketAddress;
import io.vertx.grpc.client.GrpcClient;
import io.vertx.grpc.client.GrpcClientRequest;
import io.vertx.grpc.client.InvalidStatusException;
import io.vertx.grpc.common.GrpcStatus;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * A gRPC server inside the platform takes a caller's identity only sealed with the platform's key:
 * a user service answering with the identity it was given, called on 127.0.0.1 with sealed, forged,
 * foreign, expired and missing identities.
 */
@DisplayName("A gRPC server inside the platform")
class SealedIdentityGrpcTest {

  private static final byte[] KEY =
      "an identity key of 32 bytes, ok!".getBytes(StandardCharsets.US_ASCII);
  private static final String GET_USER = "courier.v1.UserService/GetUser";

  private final Vertx vertx = Vertx.vertx();
  private GrpcClient client;
  private HttpServer server;

  @AfterEach
  void close() throws Exception {
    if (client != null) {
      client.close().await(5, TimeUnit.SECONDS);
    }
    vertx.close().await(10, TimeUnit.SECONDS);
  }

  private void start(boolean required) throws Exception {
    UserServiceService users =
        new UserServiceService() {
          @Override
          public Future<GetUserResponse> getUser(GetUserRequest request) {
            String who =
                CallerIdentity.current()
                    .map(c -> c.subject() + " " + new TreeSet<>(c.scopes()))
                    .orElse("platform");
            return Future.succeededFuture(
                GetUserResponse.newBuilder().setUser(User.newBuilder().setName(who)).build());
          }
        };
    server =
        GrpcServers.builder(vertx)
            .service(UserServiceGrpcService.of(users))
            .identity(IdentitySeal.of(KEY, required, 60_000, Clock.systemUTC()))
            .userFacing(Set.of(GET_USER))
            .listen()
            .await(10, TimeUnit.SECONDS);
    client = GrpcClient.client(vertx);
  }

  /** The name the service answered with (who it thought called), or the call's failure status. */
  private Object call(MultiMap metadata) throws Exception {
    GrpcClientRequest<GetUserRequest, GetUserResponse> request =
        client
            .request(
                SocketAddress.inetSocketAddress(server.actualPort(), "127.0.0.1"),
                UserServiceGrpcClient.GetUser)
            .await(10, TimeUnit.SECONDS);
    request.headers().addAll(metadata);
    request.end(GetUserRequest.newBuilder().setUserId("u-0001").build());
    return request
        .response()
        .compose(response -> response.last())
        .<Object>map(answer -> answer.getUser().getName())
        .otherwise(
            error ->
                error instanceof InvalidStatusException status
                    ? status.actualStatus()
                    : error.toString())
        .await(10, TimeUnit.SECONDS);
  }

  private static MultiMap sealed(byte[] key, Instant at, String subject, String... scopes) {
    String token =
        IdentitySeal.of(key, true, 60_000, Clock.fixed(at, ZoneOffset.UTC))
            .seal(subject, Set.of(scopes));
    return MultiMap.caseInsensitiveMultiMap().add(CallerIdentity.IDENTITY_HEADER, token);
  }

  @Test
  @Timeout(60)
  @DisplayName("takes an identity sealed with the platform's key")
  void shouldTakeASealedIdentity() throws Exception {
    start(true);
    assertThat(call(sealed(KEY, Instant.now(), "u-0001", "orders:read")))
        .isEqualTo("u-0001 [orders:read]");
  }

  @Test
  @Timeout(60)
  @DisplayName(
      "answers UNAUTHENTICATED to claimed identity headers, another key's seal, an expired or a"
          + " tampered one")
  void shouldRefuseIdentitiesNotSealedByThePlatform() throws Exception {
    start(true);
    assertThat(
            call(
                MultiMap.caseInsensitiveMultiMap()
                    .add(CallerIdentity.SUBJECT_HEADER, "u-0001")
                    .add(CallerIdentity.SCOPES_HEADER, "admin")))
        .as("a subject and scopes claimed in the clear")
        .isEqualTo(GrpcStatus.UNAUTHENTICATED);
    assertThat(
            call(
                sealed(
                    "another key, 32 bytes long, too!".getBytes(StandardCharsets.US_ASCII),
                    Instant.now(),
                    "u-0001",
                    "admin")))
        .as("sealed with another key")
        .isEqualTo(GrpcStatus.UNAUTHENTICATED);
    assertThat(call(sealed(KEY, Instant.now().minusSeconds(120), "u-0001", "admin")))
        .as("sealed two minutes ago, one minute to live")
        .isEqualTo(GrpcStatus.UNAUTHENTICATED);
    String good =
        sealed(KEY, Instant.now(), "u-0001", "orders:read").get(CallerIdentity.IDENTITY_HEADER);
    String[] parts = good.split("\\.");
    parts[1] =
        java.util.Base64.getUrlEncoder()
            .withoutPadding()
            .encodeToString("u-0002".getBytes(StandardCharsets.UTF_8));
    assertThat(
            call(
                MultiMap.caseInsensitiveMultiMap()
                    .add(CallerIdentity.IDENTITY_HEADER, String.join(".", parts))))
        .as("another subject under the first one's MAC")
        .isEqualTo(GrpcStatus.UNAUTHENTICATED);
  }

  @Test
  @Timeout(60)
  @DisplayName("refuses a user-facing call without identity when identities are required")
  void shouldRefuseAnonymousUserFacingCallsWhenRequired() throws Exception {
    start(true);
    assertThat(call(MultiMap.caseInsensitiveMultiMap())).isEqualTo(GrpcStatus.UNAUTHENTICATED);
  }

  @Test
  @Timeout(60)
  @DisplayName("serves a call without identity as the platform when identities are not required")
  void shouldServeAnonymousCallsAsThePlatformWhenNotRequired() throws Exception {
    start(false);
    assertThat(call(MultiMap.caseInsensitiveMultiMap())).isEqualTo("platform");
    assertThat(call(MultiMap.caseInsensitiveMultiMap().add(CallerIdentity.SUBJECT_HEADER, "root")))
        .as("a claimed subject is still refused")
        .isEqualTo(GrpcStatus.UNAUTHENTICATED);
  }
}
