package io.courier.gateway;

import static org.assertj.core.api.Assertions.assertThat;

import io.courier.codec.flow.Addresses;
import io.courier.codec.flow.Partitions;
import io.courier.contract.v1.GetOrderRequest;
import io.courier.contract.v1.GetOrderResponse;
import io.courier.contract.v1.Order;
import io.courier.contract.v1.OrderStatus;
import io.courier.kafka.embedded.EmbeddedKafkaBroker;
import io.courier.kafka.embedded.SharedKafkaBroker;
import io.courier.runtime.CourierRuntime;
import io.courier.runtime.Roles;
import io.courier.runtime.config.CourierConfig;
import io.courier.runtime.config.KafkaConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.eventbus.Message;
import io.vertx.ext.web.client.HttpResponse;
import io.vertx.ext.web.client.WebClient;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/**
 * The gateway's gRPC edge speaks gRPC-Web ({@code application/grpc-web+proto} over HTTP/1.1), which
 * browsers and HTTP load tools such as Gatling use: a call is answered with a data frame and a
 * trailers frame, a refusal at the edge in the gRPC-Web content type, and the call is counted under
 * its real status.
 */
@ExtendWith(SharedKafkaBroker.class)
@DisplayName("The gateway's gRPC edge over gRPC-Web")
class GatewayGrpcWebIT {

  private static final String GRPC_WEB = "application/grpc-web+proto";

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
  @DisplayName("answers GetOrder in a data frame and grpc-status 0 in a trailers frame")
  void shouldAnswerAGrpcWebCallWithDataAndTrailerFrames(EmbeddedKafkaBroker kafka)
      throws Exception {
    runtime = start(kafka, Map.of("courier.gateway.auth.mode", "none"));
    Order order =
        Order.newBuilder()
            .setId("order-1")
            .setUserId("u1")
            .setStatus(OrderStatus.ORDER_STATUS_PENDING)
            .build();
    runtime
        .vertx()
        .eventBus()
        .<GetOrderRequest>consumer(
            // The owner of order-1's partition of the orders topic.
            Addresses.of(
                Addresses.ORDER_GET,
                Partitions.of("order-1", KafkaConfig.TopicsConfig.DEFAULTS.partitions())),
            (Message<GetOrderRequest> request) ->
                request.reply(
                    GetOrderResponse.newBuilder()
                        .setOrder(order.toBuilder().setId(request.body().getOrderId()))
                        .build()))
        .completion()
        .await(10, TimeUnit.SECONDS);

    HttpResponse<Buffer> response =
        call(GetOrderRequest.newBuilder().setOrderId("order-1").build().toByteArray());

    assertThat(response.statusCode()).isEqualTo(200);
    assertThat(response.getHeader("content-type")).startsWith("application/grpc-web");
    GrpcWebFrames frames = GrpcWebFrames.parse(response.body().getBytes());
    assertThat(GetOrderResponse.parseFrom(frames.data()).getOrder()).isEqualTo(order);
    assertThat(frames.trailers()).containsEntry("grpc-status", "0");
    // The call is measured once its response has ended, a moment after the client has it.
    String measured =
        "courier_grpc_server_seconds_count{method=\"courier.v1.OrderService/GetOrder\","
            + "status=\"OK\"} 1";
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
    while (!scrape().contains(measured) && System.nanoTime() < deadline) {
      CompletableFuture.runAsync(
              () -> {}, CompletableFuture.delayedExecutor(50, TimeUnit.MILLISECONDS))
          .join();
    }
    assertThat(scrape()).contains(measured);
  }

  private String scrape() {
    return ((PrometheusMeterRegistry) runtime.meters().registry()).scrape();
  }

  @Test
  @Timeout(60)
  @DisplayName("refuses a call without a bearer token with UNAUTHENTICATED in gRPC-Web form")
  void shouldRefuseAnUnauthenticatedGrpcWebCallInGrpcWebForm(
      EmbeddedKafkaBroker kafka, @TempDir Path keys) throws Exception {
    runtime =
        start(
            kafka,
            Map.of(
                "courier.gateway.auth.mode",
                "jwt",
                "courier.gateway.auth.devKeyDir",
                keys.toString()));

    HttpResponse<Buffer> response =
        call(GetOrderRequest.newBuilder().setOrderId("order-1").build().toByteArray());

    assertThat(response.statusCode()).isEqualTo(200);
    assertThat(response.getHeader("content-type")).isEqualTo(GRPC_WEB);
    assertThat(response.getHeader("grpc-status")).isEqualTo("16");
  }

  /** GetOrder as a browser's gRPC-Web client sends it, over HTTP/1.1, without credentials. */
  private HttpResponse<Buffer> call(byte[] message) throws Exception {
    String endpoint = runtime.endpoints().get("gateway (gRPC)");
    Buffer frame = Buffer.buffer().appendByte((byte) 0).appendInt(message.length);
    frame.appendBytes(message);
    return WebClient.create(client)
        .postAbs("http://" + endpoint + "/courier.v1.OrderService/GetOrder")
        .putHeader("content-type", GRPC_WEB)
        .putHeader("accept", GRPC_WEB)
        .putHeader("x-grpc-web", "1")
        .sendBuffer(frame)
        .await(10, TimeUnit.SECONDS);
  }

  private static CourierRuntime start(EmbeddedKafkaBroker kafka, Map<String, String> extra)
      throws Exception {
    Map<String, String> props = new HashMap<>(extra);
    props.put("courier.kafka.bootstrapServers", kafka.bootstrapServers());
    props.put("courier.roles", "gateway");
    props.put("courier.gateway.port", "0");
    props.put("courier.gateway.grpcPort", "0");
    props.put("courier.resilience.policyFile", "../../conf/resilience.json");
    CourierConfig config = Roles.configLoader(Map.of(), props, Roles.available()).load(null);
    return CourierRuntime.start(config, Roles.available()).await(60, TimeUnit.SECONDS);
  }

  /** A gRPC-Web body: the message's data frame and the trailers frame (flag 0x80). */
  private record GrpcWebFrames(byte[] data, Map<String, String> trailers) {

    static GrpcWebFrames parse(byte[] body) {
      byte[] data = null;
      Map<String, String> trailers = new HashMap<>();
      Buffer buffer = Buffer.buffer(body);
      int at = 0;
      while (at + 5 <= buffer.length()) {
        byte flags = buffer.getByte(at);
        int length = buffer.getInt(at + 1);
        byte[] payload = buffer.getBytes(at + 5, at + 5 + length);
        if ((flags & 0x80) != 0) {
          for (String line : new String(payload, StandardCharsets.US_ASCII).split("\r\n")) {
            int colon = line.indexOf(':');
            if (colon > 0) {
              trailers.put(
                  line.substring(0, colon).trim().toLowerCase(), line.substring(colon + 1).trim());
            }
          }
        } else {
          data = payload;
        }
        at += 5 + length;
      }
      return new GrpcWebFrames(data, trailers);
    }
  }
}
