package io.courier.gateway;

import static org.assertj.core.api.Assertions.assertThat;

import io.courier.codec.flow.Addresses;
import io.courier.contract.v1.OrderStatus;
import io.courier.contract.v1.PlaceOrderRequest;
import io.courier.contract.v1.PlaceOrderResponse;
import io.courier.kafka.embedded.EmbeddedKafkaBroker;
import io.courier.kafka.embedded.SharedKafkaBroker;
import io.courier.runtime.CourierRuntime;
import io.courier.runtime.Roles;
import io.courier.runtime.config.CourierConfig;
import io.courier.runtime.config.KafkaConfig;
import io.micrometer.core.instrument.Counter;
import io.vertx.core.eventbus.Message;
import io.vertx.core.json.JsonObject;
import io.vertx.core.net.SocketAddress;
import io.vertx.grpc.client.GrpcClient;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.HttpResponse.BodyHandlers;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Queue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/**
 * Admission control on the order path: the gateway's calls to the order service go through its
 * process-local resilience proxies, whose bulkhead for the {@code writes} policy has no queue, so
 * the calls above its limit are refused at once (429) instead of waiting behind the ones the order
 * service holds, and the breaker does not count them.
 */
@ExtendWith(SharedKafkaBroker.class)
@DisplayName("Admission control on the order path")
class GatewayAdmissionIT {

  private static final int REQUESTS = 40;

  @TempDir Path dir;

  @Test
  @Timeout(value = 90, unit = TimeUnit.SECONDS)
  @DisplayName("refuses the calls above the proxies' limit with 429 while the admitted ones wait")
  void shouldRefuseTheExcessAtOnce(EmbeddedKafkaBroker kafka) throws Exception {
    // The shipped policies, with the writes bulkhead made small: 2 per proxy, no queue.
    JsonObject policies = shippedPolicies();
    policies
        .getJsonObject("policies")
        .getJsonObject("writes")
        .put("bulkhead", new JsonObject().put("maxConcurrent", 2).put("maxQueued", 0));
    CourierRuntime runtime = start(kafka, policies);
    Queue<Message<PlaceOrderRequest>> held = new ConcurrentLinkedQueue<>();
    // One permit per request: when the order service got it, or when its answer came.
    Semaphore arrived = new Semaphore(0);
    try {
      holdPlacements(runtime, held, arrived);
      HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
      URI orders = URI.create(runtime.endpoints().get("gateway") + "/api/v1/orders");
      List<CompletableFuture<HttpResponse<String>>> sent = new ArrayList<>();
      for (int i = 0; i < REQUESTS; i++) {
        CompletableFuture<HttpResponse<String>> response =
            http.sendAsync(placement(orders, "admission-" + i), BodyHandlers.ofString());
        sent.add(response);
        // Released once the response's own future is done, so isDone() below sees it.
        response.whenComplete((answered, error) -> arrived.release());
      }
      // Every request is either held by the order service or already refused: none waits.
      assertThat(arrived.tryAcquire(REQUESTS, 20, TimeUnit.SECONDS))
          .as("each request held or answered within 20 s; held " + held.size())
          .isTrue();
      List<HttpResponse<String>> refused =
          sent.stream().filter(CompletableFuture::isDone).map(CompletableFuture::join).toList();
      assertThat(held.size() + refused.size()).isEqualTo(REQUESTS);
      int limit = 2 * io.vertx.core.VertxOptions.DEFAULT_EVENT_LOOP_POOL_SIZE;
      assertThat(held).as("admitted: at most 2 per proxy").hasSizeLessThanOrEqualTo(limit);
      assertThat(held).as("admitted: some").isNotEmpty();
      for (HttpResponse<String> response : refused) {
        assertThat(response.statusCode()).as(response.body()).isEqualTo(429);
        assertThat(response.headers().firstValue("Retry-After")).hasValue("1");
        assertThat(new JsonObject(response.body()).getString("type"))
            .endsWith("/too-many-requests");
      }
      assertThat(rejections(runtime)).isEqualTo(refused.size());

      // Once the order service answers, every admitted order is accepted; the breaker held.
      int admitted = held.size();
      answerHeld(runtime, held);
      long accepted = 0;
      for (CompletableFuture<HttpResponse<String>> response : sent) {
        if (response.get(30, TimeUnit.SECONDS).statusCode() == 202) {
          accepted++;
        }
      }
      assertThat(accepted).isEqualTo(admitted);
      assertThat(
              runtime
                  .meters()
                  .registry()
                  .find("courier.resilience.breaker.transitions")
                  .tag("target", "order-service")
                  .counters())
          .as("overload did not move the breaker")
          .isEmpty();
    } finally {
      runtime.stop(Duration.ofSeconds(20)).await(30, TimeUnit.SECONDS);
    }
  }

  @Test
  @Timeout(value = 90, unit = TimeUnit.SECONDS)
  @DisplayName(
      "refuses placements past the edge's own limit before reading or validating them, and keeps"
          + " the connection")
  void shouldRefuseAtTheEdgeBeforeAnyWork(EmbeddedKafkaBroker kafka) throws Exception {
    // The shipped policies, with the gateway's own admission made small: 3 placements, no queue.
    JsonObject policies = shippedPolicies();
    policies
        .getJsonObject("inbound")
        .put(
            EdgeAdmission.SERVICE,
            new JsonObject()
                .put("bulkhead", new JsonObject().put("maxConcurrent", 3).put("maxQueued", 0)));
    CourierRuntime runtime = start(kafka, policies);
    Queue<Message<PlaceOrderRequest>> held = new ConcurrentLinkedQueue<>();
    Semaphore arrived = new Semaphore(0);
    try {
      holdPlacements(runtime, held, arrived);
      HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
      URI gateway = URI.create(runtime.endpoints().get("gateway"));
      URI orders = gateway.resolve("/api/v1/orders");
      List<CompletableFuture<HttpResponse<String>>> admitted = new ArrayList<>();
      for (int i = 0; i < 3; i++) {
        admitted.add(http.sendAsync(placement(orders, "edge-" + i), BodyHandlers.ofString()));
      }
      assertThat(arrived.tryAcquire(3, 20, TimeUnit.SECONDS)).as("3 placements held").isTrue();

      // A fourth placement, its body not even JSON: refused for load, not for the body (400).
      try (Socket socket = new Socket(gateway.getHost(), gateway.getPort())) {
        socket.setSoTimeout(20_000);
        String refused =
            RawHttp.exchange(
                socket,
                "POST /api/v1/orders HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                    + "Idempotency-Key: edge-x\r\nContent-Length: 9\r\n\r\nnot json!");
        assertThat(refused).startsWith("HTTP/1.1 429").contains("Retry-After: 1");
        assertThat(RawHttp.body(refused)).contains("/too-many-requests");
        // The same connection reads its next request as usual: the refused body was dropped.
        assertThat(RawHttp.exchange(socket, "GET /health/live HTTP/1.1\r\nHost: x\r\n\r\n"))
            .startsWith("HTTP/1.1 200");
      }
      // Reads are not the order path: not limited by it (nobody serves this one: it times out).
      HttpResponse<String> read =
          http.send(
              HttpRequest.newBuilder(gateway.resolve("/api/v1/orders/o-1"))
                  .header("Courier-Timeout-Ms", "300")
                  .GET()
                  .build(),
              BodyHandlers.ofString());
      assertThat(read.statusCode()).as(read.body()).isNotEqualTo(429).isGreaterThanOrEqualTo(500);
      assertThat(inboundRejections(runtime)).isEqualTo(1.0);
      assertThat(rejections(runtime)).as("the proxy saw none of it").isZero();

      // The held ones answered, the edge admits placements again.
      answerHeld(runtime, held);
      for (CompletableFuture<HttpResponse<String>> response : admitted) {
        assertThat(response.get(30, TimeUnit.SECONDS).statusCode()).isEqualTo(202);
      }
      CompletableFuture<HttpResponse<String>> again =
          http.sendAsync(placement(orders, "edge-again"), BodyHandlers.ofString());
      assertThat(arrived.tryAcquire(1, 20, TimeUnit.SECONDS)).as("admitted again").isTrue();
      answerHeld(runtime, held);
      assertThat(again.get(30, TimeUnit.SECONDS).statusCode()).isEqualTo(202);
    } finally {
      runtime.stop(Duration.ofSeconds(20)).await(30, TimeUnit.SECONDS);
    }
  }

  @Test
  @Timeout(value = 90, unit = TimeUnit.SECONDS)
  @DisplayName("refuses gRPC PlaceOrder calls past the same limit with RESOURCE_EXHAUSTED at once")
  void shouldRefuseGrpcPlacementsPastTheLimit(EmbeddedKafkaBroker kafka) throws Exception {
    JsonObject policies = shippedPolicies();
    policies
        .getJsonObject("inbound")
        .put(
            EdgeAdmission.SERVICE,
            new JsonObject()
                .put("bulkhead", new JsonObject().put("maxConcurrent", 3).put("maxQueued", 0)));
    CourierRuntime runtime = start(kafka, policies);
    Queue<Message<PlaceOrderRequest>> held = new ConcurrentLinkedQueue<>();
    Semaphore arrived = new Semaphore(0);
    GrpcClient grpc = GrpcClient.client(runtime.vertx());
    try {
      holdPlacements(runtime, held, arrived);
      String endpoint = runtime.endpoints().get("gateway (gRPC)");
      SocketAddress edge =
          SocketAddress.inetSocketAddress(
              Integer.parseInt(endpoint.substring(endpoint.lastIndexOf(':') + 1)), "127.0.0.1");
      String method = "courier.v1.OrderService/PlaceOrder";
      List<CompletableFuture<String>> admitted = new ArrayList<>();
      for (int i = 0; i < 3; i++) {
        byte[] order = grpcOrder("grpc-edge-" + i);
        admitted.add(
            CompletableFuture.supplyAsync(
                () -> {
                  try {
                    return GrpcRaw.call(grpc, edge, method, order, Map.of());
                  } catch (Exception e) {
                    return "failed: " + e;
                  }
                }));
      }
      assertThat(arrived.tryAcquire(3, 20, TimeUnit.SECONDS)).as("3 placements held").isTrue();

      // RESOURCE_EXHAUSTED (8), with the REST edge's problem.
      assertThat(GrpcRaw.call(grpc, edge, method, grpcOrder("grpc-edge-x"), Map.of()))
          .matches("(?s)(8|RESOURCE_EXHAUSTED) .*\"too-many-requests\".*placements in flight.*");
      assertThat(inboundRejections(runtime)).isEqualTo(1.0);
      assertThat(held).as("the refused call reached nobody").hasSize(3);

      answerHeld(runtime, held);
      for (CompletableFuture<String> call : admitted) {
        assertThat(call.get(30, TimeUnit.SECONDS)).as("OK, status 0").matches("(0|OK) .*");
      }
    } finally {
      grpc.close().await(10, TimeUnit.SECONDS);
      runtime.stop(Duration.ofSeconds(20)).await(30, TimeUnit.SECONDS);
    }
  }

  private static byte[] grpcOrder(String key) {
    return PlaceOrderRequest.newBuilder()
        .setUserId("u1")
        .setIdempotencyKey(key)
        .addItems(io.courier.contract.v1.LineItem.newBuilder().setSku("sku-0001").setQuantity(1))
        .build()
        .toByteArray();
  }

  private JsonObject shippedPolicies() throws Exception {
    return new JsonObject(Files.readString(Path.of("../../conf/resilience.json")));
  }

  private CourierRuntime start(EmbeddedKafkaBroker kafka, JsonObject policies) throws Exception {
    Path file = dir.resolve("resilience.json");
    Files.writeString(file, policies.encodePrettily());
    Map<String, String> props = new HashMap<>();
    props.put("courier.kafka.bootstrapServers", kafka.bootstrapServers());
    props.put("courier.roles", "gateway");
    props.put("courier.gateway.port", "0");
    props.put("courier.gateway.grpcPort", "0");
    props.put("courier.gateway.auth.mode", "none");
    props.put("courier.resilience.policyFile", file.toString());
    CourierConfig config = Roles.configLoader(Map.of(), props, Roles.available()).load(null);
    return CourierRuntime.start(config, Roles.available()).await(60, TimeUnit.SECONDS);
  }

  /** The order service's stand-in: holds every placement until the test lets it answer. */
  private static void holdPlacements(
      CourierRuntime runtime, Queue<Message<PlaceOrderRequest>> held, Semaphore arrived)
      throws Exception {
    for (int p = 0; p < KafkaConfig.TopicsConfig.DEFAULTS.partitions(); p++) {
      runtime
          .vertx()
          .eventBus()
          .<PlaceOrderRequest>consumer(
              Addresses.of(Addresses.ORDER_PLACE, p),
              message -> {
                held.add(message);
                arrived.release();
              })
          .completion()
          .await(10, TimeUnit.SECONDS);
    }
  }

  private static void answerHeld(CourierRuntime runtime, Queue<Message<PlaceOrderRequest>> held) {
    runtime
        .vertx()
        .runOnContext(
            v -> {
              for (Message<PlaceOrderRequest> message; (message = held.poll()) != null; ) {
                message.reply(
                    PlaceOrderResponse.newBuilder()
                        .setOrderId("order-" + message.body().getIdempotencyKey())
                        .setStatus(OrderStatus.ORDER_STATUS_PENDING)
                        .build());
              }
            });
  }

  private static HttpRequest placement(URI orders, String key) {
    return HttpRequest.newBuilder(orders)
        .timeout(Duration.ofSeconds(30))
        .header("Content-Type", "application/json")
        .header("Idempotency-Key", key)
        .POST(
            HttpRequest.BodyPublishers.ofString(
                "{\"userId\":\"u1\",\"items\":[{\"sku\":\"sku-0001\",\"quantity\":1}]}"))
        .build();
  }

  /** The proxy's bulkhead refusals of calls to the order service. */
  private static double rejections(CourierRuntime runtime) {
    return counted(runtime, "courier.resilience.bulkhead.rejections", "target", "order-service");
  }

  /** The gateway's own admission refusals. */
  private static double inboundRejections(CourierRuntime runtime) {
    return counted(
        runtime, "courier.resilience.inbound.rejected", "service", EdgeAdmission.SERVICE);
  }

  private static double counted(CourierRuntime runtime, String name, String tag, String value) {
    return runtime.meters().registry().find(name).tag(tag, value).counters().stream()
        .mapToDouble(Counter::count)
        .sum();
  }
}
