package io.courier.gateway;

import static org.assertj.core.api.Assertions.assertThat;

import io.courier.codec.flow.Addresses;
import io.courier.codec.flow.Partitions;
import io.courier.contract.v1.GetOrderRequest;
import io.courier.contract.v1.GetOrderResponse;
import io.courier.contract.v1.Order;
import io.courier.contract.v1.OrderServiceGrpcClient;
import io.courier.kafka.embedded.EmbeddedKafkaBroker;
import io.courier.kafka.embedded.SharedKafkaBroker;
import io.courier.runtime.CourierRuntime;
import io.courier.runtime.Roles;
import io.courier.runtime.config.CourierConfig;
import io.courier.runtime.config.KafkaConfig;
import io.courier.runtime.security.DevCertificates;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.eventbus.Message;
import io.vertx.core.http.HttpClientOptions;
import io.vertx.core.http.HttpVersion;
import io.vertx.core.net.PemTrustOptions;
import io.vertx.core.net.SocketAddress;
import io.vertx.grpc.client.GrpcClient;
import io.vertx.grpc.common.GrpcStatus;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/**
 * The gateway's gRPC edge refuses what it cannot take with a status, never a reset: a message that
 * does not decode (INVALID_ARGUMENT), one over {@code grpcMaxMessageBytes} (RESOURCE_EXHAUSTED); it
 * speaks TLS with the REST API's certificate when {@code gateway.tls} is on, refusing plaintext;
 * and it advertises {@code grpcMaxConcurrentStreams}.
 */
@ExtendWith(SharedKafkaBroker.class)
@DisplayName("The gateway's gRPC edge")
class GatewayGrpcEdgeIT {

  private final Vertx client = Vertx.vertx();
  private CourierRuntime runtime;

  @AfterEach
  void close() throws Exception {
    if (runtime != null) {
      runtime.stop(Duration.ofSeconds(20)).await(30, TimeUnit.SECONDS);
    }
    client.close().await(10, TimeUnit.SECONDS);
  }

  @Test
  @Timeout(60)
  @DisplayName(
      "answers an undecodable message INVALID_ARGUMENT and an oversized one RESOURCE_EXHAUSTED,"
          + " then serves the next call")
  void shouldRefuseBadMessagesWithAStatus(EmbeddedKafkaBroker kafka) throws Exception {
    runtime = start(kafka, Map.of("courier.gateway.grpcMaxMessageBytes", "1024"));
    answerGetOrder();
    GrpcClient grpc = GrpcClient.client(client);
    SocketAddress edge = edge();

    // Field 1 with wire type 7, which protobuf does not have.
    assertThat(raw(grpc, edge, "courier.v1.OrderService/PlaceOrder", new byte[] {0x0f, 1, 2}))
        .isEqualTo(
            GrpcStatus.INVALID_ARGUMENT
                + " the request message does not decode as the"
                + " request of courier.v1.OrderService/PlaceOrder");
    assertThat(raw(grpc, edge, "courier.v1.OrderService/GetOrder", new byte[2_000]))
        .isEqualTo(
            GrpcStatus.RESOURCE_EXHAUSTED + " the request message is larger than 1024 bytes");
    assertThat(
            OrderServiceGrpcClient.create(grpc, edge)
                .getOrder(GetOrderRequest.newBuilder().setOrderId("order-1").build())
                .await(10, TimeUnit.SECONDS)
                .getOrder()
                .getId())
        .isEqualTo("order-1");
  }

  @Test
  @Timeout(60)
  @DisplayName("speaks TLS with gateway.tls, refuses plaintext, and advertises its stream limit")
  void shouldServeOverTlsWithAStreamLimit(EmbeddedKafkaBroker kafka, @TempDir Path certs)
      throws Exception {
    DevCertificates ca = DevCertificates.authority("grpc edge CA", Duration.ofDays(1));
    Path caFile = ca.writeCertificate(certs.resolve("ca.pem"));
    DevCertificates.Issued gateway = ca.issue("gateway", Duration.ofHours(1), certs);
    runtime =
        start(
            kafka,
            Map.of(
                "courier.gateway.tls.enabled",
                "true",
                "courier.gateway.tls.certFile",
                gateway.certificate().toString(),
                "courier.gateway.tls.keyFile",
                gateway.key().toString(),
                "courier.gateway.grpcMaxConcurrentStreams",
                "7"));
    answerGetOrder();
    GrpcClient secure =
        GrpcClient.client(
            client,
            new HttpClientOptions()
                .setProtocolVersion(HttpVersion.HTTP_2)
                .setSsl(true)
                .setUseAlpn(true)
                .setVerifyHost(false)
                .setTrustOptions(new PemTrustOptions().addCertPath(caFile.toString())));
    GetOrderRequest request = GetOrderRequest.newBuilder().setOrderId("order-1").build();

    assertThat(
            step(
                    "the call over TLS",
                    OrderServiceGrpcClient.create(secure, edge()).getOrder(request))
                .getOrder()
                .getId())
        .isEqualTo("order-1");
    long streams =
        step(
            "the connection whose settings are read",
            client
                .createHttpClient(
                    new HttpClientOptions()
                        .setProtocolVersion(HttpVersion.HTTP_2)
                        .setSsl(true)
                        .setUseAlpn(true)
                        .setVerifyHost(false)
                        .setTrustOptions(new PemTrustOptions().addCertPath(caFile.toString())))
                .connect(
                    new io.vertx.core.http.HttpConnectOptions()
                        .setHost("127.0.0.1")
                        .setPort(edge().port()))
                .map(connection -> connection.remoteSettings().getMaxConcurrentStreams()));
    assertThat(streams).isEqualTo(7);
    Throwable plaintext =
        OrderServiceGrpcClient.create(GrpcClient.client(client), edge())
            .getOrder(request)
            .map(answer -> (Throwable) null)
            .otherwise(e -> e)
            .await(20, TimeUnit.SECONDS);
    assertThat(plaintext).as("a plaintext (h2c) call to the TLS edge").isNotNull();
  }

  /** Awaits {@code future} for up to 10 s; a failure names the step it failed in. */
  private static <T> T step(String what, Future<T> future) {
    try {
      return future.await(10, TimeUnit.SECONDS);
    } catch (Exception e) {
      throw new AssertionError(what + " failed: " + e, e);
    }
  }

  /** The owner of order-1's partition answers GetOrder with that order. */
  private void answerGetOrder() throws Exception {
    runtime
        .vertx()
        .eventBus()
        .<GetOrderRequest>consumer(
            Addresses.of(
                Addresses.ORDER_GET,
                Partitions.of("order-1", KafkaConfig.TopicsConfig.DEFAULTS.partitions())),
            (Message<GetOrderRequest> request) ->
                request.reply(
                    GetOrderResponse.newBuilder()
                        .setOrder(Order.newBuilder().setId(request.body().getOrderId()))
                        .build()))
        .completion()
        .await(10, TimeUnit.SECONDS);
  }

  private SocketAddress edge() {
    String endpoint = runtime.endpoints().get("gateway (gRPC)");
    return SocketAddress.inetSocketAddress(
        Integer.parseInt(endpoint.substring(endpoint.lastIndexOf(':') + 1)), "127.0.0.1");
  }

  /**
   * The status and message a call of {@code method} with {@code message} as its bytes ends with.
   */
  private static String raw(GrpcClient grpc, SocketAddress edge, String method, byte[] message)
      throws Exception {
    return GrpcRaw.call(grpc, edge, method, message, Map.of());
  }

  private static CourierRuntime start(EmbeddedKafkaBroker kafka, Map<String, String> extra)
      throws Exception {
    Map<String, String> props = new HashMap<>(extra);
    props.put("courier.kafka.bootstrapServers", kafka.bootstrapServers());
    props.put("courier.roles", "gateway");
    props.put("courier.gateway.auth.mode", "none");
    props.put("courier.gateway.port", "0");
    props.put("courier.gateway.grpcPort", "0");
    props.put("courier.resilience.policyFile", "../../conf/resilience.json");
    CourierConfig config = Roles.configLoader(Map.of(), props, Roles.available()).load(null);
    return CourierRuntime.start(config, Roles.available()).await(60, TimeUnit.SECONDS);
  }
}
