package io.courier.service;

import static org.assertj.core.api.Assertions.assertThat;

import io.courier.contract.v1.GetUserRequest;
import io.courier.contract.v1.GetUserResponse;
import io.courier.contract.v1.User;
import io.courier.contract.v1.UserServiceGrpcClient;
import io.courier.contract.v1.UserServiceGrpcService;
import io.courier.contract.v1.UserServiceService;
import io.courier.runtime.config.MtlsConfig;
import io.courier.runtime.security.DevCertificates;
import io.courier.runtime.security.MutualTls;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpClientOptions;
import io.vertx.core.http.HttpServer;
import io.vertx.core.net.PemKeyCertOptions;
import io.vertx.core.net.PemTrustOptions;
import io.vertx.core.net.SocketAddress;
import io.vertx.grpc.client.GrpcClient;
import io.vertx.grpc.client.InvalidStatusException;
import io.vertx.grpc.common.GrpcMessageDecoder;
import io.vertx.grpc.common.GrpcMessageEncoder;
import io.vertx.grpc.common.GrpcStatus;
import io.vertx.grpc.common.ServiceMethod;
import io.vertx.grpc.common.ServiceName;
import io.vertx.grpc.health.v1.HealthCheckRequest;
import io.vertx.grpc.health.v1.HealthCheckResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import javax.net.ssl.SSLException;
import javax.net.ssl.SSLHandshakeException;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * A user-service gRPC server under mutual TLS ({@link Endpoints#grpcServer}) with certificates of
 * the test's own CA, allowing only order-service and gateway: real TLS handshakes on 127.0.0.1.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@DisplayName("A gRPC server with mutual TLS")
class MutualTlsGrpcTest {

  @TempDir static Path certs;

  private final Vertx vertx = Vertx.vertx();
  private final AtomicInteger served = new AtomicInteger();
  private final List<GrpcClient> clients = new ArrayList<>();
  private DevCertificates ca;
  private Path caFile;
  private HttpServer server;

  @BeforeAll
  void startServer() throws Exception {
    ca = DevCertificates.authority("grpc test CA", Duration.ofDays(1));
    caFile = ca.writeCertificate(certs.resolve("ca.pem"));
    UserServiceService users =
        new UserServiceService() {
          @Override
          public Future<GetUserResponse> getUser(GetUserRequest request) {
            served.incrementAndGet();
            return Future.succeededFuture(
                GetUserResponse.newBuilder()
                    .setUser(User.newBuilder().setId(request.getUserId()))
                    .build());
          }
        };
    MutualTls tls =
        tls("user-service", List.of("user-service=order-service", "spiffe://courier/gateway"));
    server =
        GrpcServers.builder(vertx)
            .host("127.0.0.1")
            .port(0)
            .service(UserServiceGrpcService.of(users))
            .mutualTls(tls, "user-service")
            .listen()
            .await(10, TimeUnit.SECONDS);
  }

  @AfterEach
  void closeClients() throws Exception {
    for (GrpcClient client : clients) {
      client.close().await(5, TimeUnit.SECONDS);
    }
    clients.clear();
  }

  @AfterAll
  void stop() throws Exception {
    vertx.close().await(10, TimeUnit.SECONDS);
  }

  @Test
  @Timeout(20)
  @DisplayName("answers a caller presenting an allowed identity issued by the CA")
  void shouldAnswerAnAllowedCallerWithACertificateOfTheCa() throws Exception {
    GrpcClient order = client(GrpcClients.create(vertx, tls("order-service"), "user-service"));
    GrpcClient gateway = client(GrpcClients.create(vertx, tls("gateway"), "user-service"));

    assertThat(call(order).await(10, TimeUnit.SECONDS).getUser().getId()).isEqualTo("u1");
    assertThat(call(gateway).await(10, TimeUnit.SECONDS).getUser().getId()).isEqualTo("u1");
  }

  @Test
  @Timeout(20)
  @DisplayName("answers PERMISSION_DENIED to a caller whose identity is not allowed")
  void shouldDenyACallerWhoseIdentityIsNotAllowed() throws Exception {
    GrpcClient payment = client(GrpcClients.create(vertx, tls("payment-service"), "user-service"));
    int before = served.get();

    Throwable failure = failure(call(payment));

    assertThat(failure).isInstanceOf(InvalidStatusException.class);
    assertThat(((InvalidStatusException) failure).actualStatus())
        .isEqualTo(GrpcStatus.PERMISSION_DENIED);
    assertThat(served.get()).isEqualTo(before);
  }

  @Test
  @Timeout(20)
  @DisplayName(
      "answers health Check to a caller of the CA whose identity is not allowed, and to no caller"
          + " without a certificate")
  void shouldAnswerHealthToAnyCallerOfTheCa() throws Exception {
    GrpcClient payment = client(GrpcClients.create(vertx, tls("payment-service"), "user-service"));
    ServiceMethod<HealthCheckResponse, HealthCheckRequest> check =
        ServiceMethod.client(
            ServiceName.create("grpc.health.v1.Health"),
            "Check",
            GrpcMessageEncoder.encoder(),
            GrpcMessageDecoder.decoder(HealthCheckResponse.newBuilder()));
    SocketAddress address = SocketAddress.inetSocketAddress(server.actualPort(), "127.0.0.1");

    HealthCheckResponse answer =
        payment
            .request(address, check)
            .compose(
                request -> {
                  request.end(HealthCheckRequest.newBuilder().setService("").build());
                  return request.response().compose(response -> response.last());
                })
            .await(10, TimeUnit.SECONDS);
    assertThat(answer.getStatus()).isEqualTo(HealthCheckResponse.ServingStatus.SERVING);
    Throwable anonymous =
        failure(
            intruder("TLSv1.3", null)
                .request(address, check)
                .compose(
                    request -> {
                      request.end(HealthCheckRequest.newBuilder().setService("").build());
                      return request.response().compose(response -> response.last());
                    }));
    assertThat(anonymous).isNotInstanceOf(InvalidStatusException.class);
  }

  @Test
  @Timeout(20)
  @DisplayName("holds a method to the peers listed for it, whoever else may call the server")
  void shouldHoldAMethodToItsOwnPeers() throws Exception {
    UserServiceService users =
        new UserServiceService() {
          @Override
          public Future<GetUserResponse> getUser(GetUserRequest request) {
            return Future.succeededFuture(
                GetUserResponse.newBuilder()
                    .setUser(User.newBuilder().setId(request.getUserId()))
                    .build());
          }
        };
    HttpServer perMethod =
        GrpcServers.builder(vertx)
            .service(UserServiceGrpcService.of(users))
            .mutualTls(
                tls("user-service", List.of("user-service/GetUser=order-service")), "user-service")
            .listen()
            .await(10, TimeUnit.SECONDS);
    try {
      SocketAddress at = SocketAddress.inetSocketAddress(perMethod.actualPort(), "127.0.0.1");
      GetUserRequest request = GetUserRequest.newBuilder().setUserId("u1").build();
      GrpcClient order = client(GrpcClients.create(vertx, tls("order-service"), "user-service"));
      GrpcClient gateway = client(GrpcClients.create(vertx, tls("gateway"), "user-service"));

      assertThat(
              UserServiceGrpcClient.create(order, at)
                  .getUser(request)
                  .await(10, TimeUnit.SECONDS)
                  .getUser()
                  .getId())
          .isEqualTo("u1");
      Throwable refused = failure(UserServiceGrpcClient.create(gateway, at).getUser(request));
      assertThat(refused).isInstanceOf(InvalidStatusException.class);
      assertThat(((InvalidStatusException) refused).actualStatus())
          .isEqualTo(GrpcStatus.PERMISSION_DENIED);
    } finally {
      perMethod.close().await(10, TimeUnit.SECONDS);
    }
  }

  @ParameterizedTest(name = "over {0}")
  @ValueSource(strings = {"TLSv1.2", "TLSv1.3"})
  @Timeout(20)
  @DisplayName("refuses the handshake of a client presenting no certificate")
  void shouldRefuseAClientWithoutACertificate(String protocol) throws Exception {
    assertRefusedByServer(protocol, intruder(protocol, null));
  }

  @ParameterizedTest(name = "over {0}")
  @ValueSource(strings = {"TLSv1.2", "TLSv1.3"})
  @Timeout(20)
  @DisplayName("refuses the handshake of a client whose certificate another CA issued")
  void shouldRefuseAClientWithACertificateOfAnotherCa(String protocol) throws Exception {
    DevCertificates foreign = DevCertificates.authority("foreign CA", Duration.ofDays(1));
    // the identity the server allows, signed by the wrong authority
    assertRefusedByServer(
        protocol,
        intruder(
            protocol,
            foreign.issue("order-service", Duration.ofHours(1), certs.resolve("foreign"))));
  }

  @ParameterizedTest(name = "over {0}")
  @ValueSource(strings = {"TLSv1.2", "TLSv1.3"})
  @Timeout(20)
  @DisplayName("refuses the handshake of a client whose certificate has expired")
  void shouldRefuseAClientWithAnExpiredCertificate(String protocol) throws Exception {
    Instant now = Instant.now();
    assertRefusedByServer(
        protocol,
        intruder(
            protocol,
            ca.issue(
                "order-service",
                now.minus(Duration.ofDays(2)),
                now.minus(Duration.ofDays(1)),
                certs.resolve("expired"))));
  }

  @Test
  @Timeout(20)
  @DisplayName("is not reached by a plaintext gRPC client")
  void shouldNotServeAPlaintextClient() throws Exception {
    int before = served.get();

    Throwable failure = failure(call(client(GrpcClient.client(vertx))));

    assertThat(failure).isNotInstanceOf(InvalidStatusException.class);
    assertThat(served.get()).isEqualTo(before);
  }

  @Test
  @Timeout(20)
  @DisplayName("is refused by a client expecting another role's identity")
  void shouldBeRefusedByAClientExpectingAnotherRole() throws Exception {
    GrpcClient order = client(GrpcClients.create(vertx, tls("order-service"), "inventory-service"));
    int before = served.get();

    Throwable failure = failure(call(order));

    assertThat(failure).isInstanceOf(SSLException.class);
    assertThat(causes(failure))
        .contains("the server presents identity spiffe://courier/user-service")
        .contains("expected spiffe://courier/inventory-service");
    assertThat(served.get()).isEqualTo(before);
  }

  /**
   * The call fails on the TLS connection and nothing is served. Over TLS 1.2 the server's fatal
   * alert reaches the client during the handshake; over TLS 1.3 the client has finished its side of
   * the handshake before the server judges its certificate, so it sees the connection closed.
   */
  private void assertRefusedByServer(String protocol, GrpcClient client) throws Exception {
    int before = served.get();

    Throwable failure = failure(call(client));

    assertThat(failure).isNotInstanceOf(InvalidStatusException.class);
    if (protocol.equals("TLSv1.2")) {
      assertThat(failure).isInstanceOf(SSLHandshakeException.class);
      // bad_certificate or certificate_unknown, as the JDK's server sees fit
      assertThat(org.assertj.core.util.Throwables.getRootCause(failure))
          .isInstanceOf(SSLHandshakeException.class)
          .hasMessageStartingWith("Received fatal alert: ");
    } else {
      assertThat(failure).hasMessage("Connection was closed");
    }
    assertThat(served.get()).isEqualTo(before);
  }

  private Future<GetUserResponse> call(GrpcClient client) {
    return UserServiceGrpcClient.create(
            client, SocketAddress.inetSocketAddress(server.actualPort(), "127.0.0.1"))
        .getUser(GetUserRequest.newBuilder().setUserId("u1").build());
  }

  private static Throwable failure(Future<?> call) throws Exception {
    return call.map(answer -> (Throwable) new AssertionError("answered: " + answer))
        .otherwise(error -> error)
        .await(10, TimeUnit.SECONDS);
  }

  private static String causes(Throwable failure) {
    StringBuilder text = new StringBuilder();
    for (Throwable t = failure; t != null; t = t.getCause()) {
      text.append(t.getClass().getName()).append(": ").append(t.getMessage()).append(" | ");
    }
    return text.toString();
  }

  private GrpcClient client(GrpcClient client) {
    clients.add(client);
    return client;
  }

  /**
   * A client that trusts the server's CA (so only the server's checks can stop it) and presents
   * {@code issued}, or no certificate when null.
   */
  private GrpcClient intruder(String protocol, DevCertificates.Issued issued) {
    HttpClientOptions options =
        new HttpClientOptions()
            .setEnabledSecureTransportProtocols(java.util.Set.of(protocol))
            .setHttp2ClearTextUpgrade(false)
            .setSsl(true)
            .setUseAlpn(true)
            .setVerifyHost(false)
            .setTrustOptions(new PemTrustOptions().addCertPath(caFile.toString()));
    if (issued != null) {
      options.setKeyCertOptions(
          new PemKeyCertOptions()
              .setCertPath(issued.certificate().toString())
              .setKeyPath(issued.key().toString()));
    }
    return client(GrpcClient.client(vertx, options));
  }

  private MutualTls tls(String role) throws Exception {
    return tls(role, List.of());
  }

  private MutualTls tls(String role, List<String> allowedPeers) throws Exception {
    DevCertificates.Issued issued = ca.issue(role, Duration.ofHours(1), certs.resolve(role));
    return MutualTls.read(
        new MtlsConfig(
            true,
            issued.certificate().toString(),
            issued.key().toString(),
            caFile.toString(),
            allowedPeers));
  }
}
