package io.courier.app.flow;

import static org.assertj.core.api.Assertions.assertThat;

import io.courier.codec.flow.Services;
import io.courier.contract.v1.GetStockRequest;
import io.courier.contract.v1.GetStockResponse;
import io.courier.contract.v1.InventoryServiceGrpcService;
import io.courier.contract.v1.InventoryServiceService;
import io.courier.contract.v1.ReservationStatus;
import io.courier.contract.v1.ReserveStockRequest;
import io.courier.contract.v1.ReserveStockResponse;
import io.courier.contract.v1.StockLevel;
import io.courier.discovery.EmbeddedDiscovery;
import io.courier.discovery.ServiceInstance;
import io.courier.kafka.embedded.EmbeddedKafkaBroker;
import io.courier.kafka.embedded.SharedKafkaBroker;
import io.courier.runtime.CourierRuntime;
import io.courier.runtime.Roles;
import io.courier.service.GrpcServers;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpServer;
import io.vertx.core.json.JsonObject;
import java.net.URI;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/**
 * Degraded answers where the domain allows them: an order placed for a recently seen user while the
 * user service is down (answered from the cached profile, marked {@code Courier-Degraded}), and
 * stock reads hedged after their p95 to another inventory instance, while stock writes never are.
 */
@ExtendWith(SharedKafkaBroker.class)
@DisplayName("Degraded answers: the user-profile fallback and hedged stock reads")
class DegradedAnswersIT {

  /** The cached profile's age bound in the test's policy file (the shipped one says 60 s). */
  private static final long MAX_AGE_MS = 5_000;

  /** How long the slow inventory instance takes to answer GetStock. */
  private static final long SLOW_MS = 2_000;

  @TempDir Path work;
  private CourierRuntime runtime;
  private Vertx servers;

  @AfterEach
  void stop() throws Exception {
    if (runtime != null) {
      runtime.stop(Duration.ofSeconds(20)).await(30, TimeUnit.SECONDS);
    }
    if (servers != null) {
      servers.close().await(10, TimeUnit.SECONDS);
    }
  }

  @Test
  @Timeout(120)
  @DisplayName(
      "places an order for a user seen before while the user service fails, marked degraded; refuses"
          + " an unseen user 503; stops once the profile is older than maxAgeMs")
  void shouldPlaceForASeenUserFromTheCachedProfile(EmbeddedKafkaBroker kafka) throws Exception {
    FlowSeeds seeds = FlowSeeds.write(work, "deg-", 2, 1, 1_000);
    Path policies = work.resolve("resilience.json");
    String shipped = Files.readString(Path.of("../../conf/resilience.json"));
    Files.writeString(
        policies, shipped.replace("\"maxAgeMs\": 60000", "\"maxAgeMs\": " + MAX_AGE_MS));
    assertThat(Files.readString(policies)).contains("\"maxAgeMs\": " + MAX_AGE_MS);
    FlowClient client =
        start(
            kafka,
            seeds,
            Map.of(
                "courier.roles", "user-service,inventory-service,order-service,gateway",
                "courier.resilience.policyFile", policies.toString(),
                "courier.admin.faultInjection", "true"));
    String seen = seeds.userIds().get(0);
    String unseen = seeds.userIds().get(1);
    String sku = seeds.skus().get(0);

    long beforeFirst = System.nanoTime(); // the profile is cached after this
    HttpResponse<String> first = place(client, "deg-1", seen, sku);
    assertThat(first.statusCode()).as(first.body()).isEqualTo(202);
    assertThat(first.headers().firstValue("Courier-Degraded")).isEmpty();

    String fault = runtime.endpoints().get("admin") + "/faults/user-service";
    HttpResponse<String> set =
        client.send(
            HttpRequest.newBuilder(URI.create(fault))
                .PUT(HttpRequest.BodyPublishers.ofString("{\"errorRatio\": 1}")));
    assertThat(set.statusCode()).as(set.body()).isEqualTo(200);

    HttpResponse<String> degraded = place(client, "deg-2", seen, sku);
    assertThat(degraded.statusCode()).as(degraded.body()).isEqualTo(202);
    assertThat(degraded.headers().firstValue("Courier-Degraded")).hasValue("user-service");
    String orderId = new JsonObject(degraded.body()).getString("orderId");
    assertThat(client.getJson("/api/v1/orders/" + orderId).getString("userId")).isEqualTo(seen);
    assertThat(metric("courier_resilience_fallbacks_total{mode=\"cache\",target=\"user-service\"}"))
        .isGreaterThanOrEqualTo(1);

    io.vertx.grpc.client.GrpcClientResponse<?, ?> overGrpc = placeOverGrpc("deg-grpc", seen, sku);
    assertThat(overGrpc.status()).isEqualTo(io.vertx.grpc.common.GrpcStatus.OK);
    assertThat(overGrpc.headers().get("courier-degraded")).isEqualTo("user-service");

    // A bulk import's line and a PlaceOrders item say so too, each in its own result.
    HttpResponse<String> imported =
        client.send(
            client
                .request("/api/v1/orders:import")
                .header("Content-Type", BodiesClient.MULTIPART)
                .header("Idempotency-Key", "deg-import")
                .POST(
                    HttpRequest.BodyPublishers.ofString(
                        BodiesClient.multipartBody(
                            new BodiesClient.Part(
                                "file",
                                "orders",
                                "application/x-ndjson",
                                FlowClient.orderBody(
                                    seen, List.of(new FlowClient.Line(sku, 1))))))));
    assertThat(imported.statusCode()).as(imported.body()).isEqualTo(200);
    JsonObject line = new JsonObject(imported.body()).getJsonArray("results").getJsonObject(0);
    assertThat(line.getInteger("status")).as(line.encode()).isEqualTo(202);
    assertThat(line.getString("degradedBy")).isEqualTo("user-service");
    io.courier.contract.v1.PlaceOrdersResponse item = placeOneInBulk("deg-bulk", seen, sku);
    assertThat(item.hasPlaced()).as(item.toString()).isTrue();
    assertThat(item.getDegradedBy()).isEqualTo("user-service");

    HttpResponse<String> refused = place(client, "deg-3", unseen, sku);
    assertThat(refused.statusCode()).as(refused.body()).isEqualTo(503);
    assertThat(new JsonObject(refused.body()).getString("type"))
        .isEqualTo("https://courier.dev/problems/dependency-unavailable");

    AtomicInteger attempt = new AtomicInteger();
    FlowClient.awaitUntil(
        "a placement for the seen user refused once its cached profile is too old",
        Duration.ofSeconds(30),
        () -> {
          HttpResponse<String> answer =
              place(client, "deg-late-" + attempt.incrementAndGet(), seen, sku);
          if (answer.statusCode() == 202) {
            assertThat(answer.headers().firstValue("Courier-Degraded")).hasValue("user-service");
            return false;
          }
          assertThat(answer.statusCode()).as(answer.body()).isEqualTo(503);
          return true;
        });
    assertThat(TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - beforeFirst))
        .as("the profile served until it was maxAgeMs old")
        .isGreaterThanOrEqualTo(MAX_AGE_MS);
  }

  @Test
  @Timeout(120)
  @DisplayName(
      "answers a stock read from the fast instance long before the slow one would, hedging it, and"
          + " never hedges a placement's ReserveStock")
  void shouldHedgeStockReadsOnlyToTheOtherInstance(EmbeddedKafkaBroker kafka) throws Exception {
    FlowSeeds seeds = FlowSeeds.write(work, "hedge-", 1, 1, 1_000);
    String sku = seeds.skus().get(0);
    servers = Vertx.vertx();
    Inventory slow = new Inventory(servers, SLOW_MS);
    Inventory fast = new Inventory(servers, 0);
    FlowClient client =
        start(kafka, seeds, Map.of("courier.roles", "user-service,order-service,gateway"));
    EmbeddedDiscovery registry = new EmbeddedDiscovery(runtime.vertx());
    for (Inventory each : List.of(slow, fast)) {
      registry
          .register(
              new ServiceInstance(
                  null,
                  Services.INVENTORY,
                  "127.0.0.1",
                  each.listen().await(10, TimeUnit.SECONDS).actualPort(),
                  Map.of("role", Services.INVENTORY)))
          .await(10, TimeUnit.SECONDS);
    }

    List<Long> latencies = new ArrayList<>();
    FlowClient.awaitUntil(
        "three reads reached the slow instance",
        Duration.ofSeconds(30),
        () -> {
          long start = System.nanoTime();
          JsonObject stock = client.getJsonOrNull("/api/v1/inventory/" + sku).join();
          latencies.add(TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start));
          assertThat(stock).isNotNull();
          assertThat(stock.getLong("available")).isEqualTo(7);
          return slow.reads.get() >= 3;
        });
    assertThat(latencies)
        .as("every read answered well before the slow instance's %d ms", SLOW_MS)
        .allSatisfy(ms -> assertThat(ms).isLessThan(SLOW_MS / 2));
    assertThat(metric("courier_resilience_hedges_total{target=\"inventory-reads\"}"))
        .isGreaterThanOrEqualTo(3);

    for (int i = 0; i < 3; i++) {
      HttpResponse<String> placed = place(client, "hedge-" + i, seeds.userIds().get(0), sku);
      assertThat(placed.statusCode()).as(placed.body()).isEqualTo(202);
    }
    assertThat(slow.reserves.get() + fast.reserves.get())
        .as("one ReserveStock per placement, though each takes longer than a read's hedge delay")
        .isEqualTo(3);
    assertThat(metric("courier_resilience_hedges_total{target=\"inventory-service\"}")).isZero();
  }

  /**
   * An inventory instance: GetStock answers 7 in stock after {@code readDelayMs}; ReserveStock
   * reserves after 300 ms (longer than the reads' largest hedge delay, 200 ms).
   */
  private static final class Inventory extends InventoryServiceService {
    final AtomicInteger reads = new AtomicInteger();
    final AtomicInteger reserves = new AtomicInteger();
    private final Vertx vertx;
    private final long readDelayMs;

    Inventory(Vertx vertx, long readDelayMs) {
      this.vertx = vertx;
      this.readDelayMs = readDelayMs;
    }

    Future<HttpServer> listen() {
      return GrpcServers.builder(vertx)
          .host("127.0.0.1")
          .port(0)
          .service(InventoryServiceGrpcService.of(this))
          .listen();
    }

    @Override
    public Future<GetStockResponse> getStock(GetStockRequest request) {
      reads.incrementAndGet();
      return after(
          readDelayMs,
          GetStockResponse.newBuilder()
              .setStock(StockLevel.newBuilder().setSku(request.getSku()).setAvailable(7))
              .build());
    }

    @Override
    public Future<ReserveStockResponse> reserveStock(ReserveStockRequest request) {
      reserves.incrementAndGet();
      return after(
          300,
          ReserveStockResponse.newBuilder()
              .setOrderId(request.getOrderId())
              .setStatus(ReservationStatus.RESERVATION_STATUS_RESERVED)
              .addAllItems(request.getItemsList())
              .build());
    }

    private <T> Future<T> after(long delayMs, T answer) {
      if (delayMs == 0) {
        return Future.succeededFuture(answer);
      }
      Promise<T> promise = Promise.promise();
      vertx.setTimer(delayMs, id -> promise.complete(answer));
      return promise.future();
    }
  }

  private static HttpResponse<String> place(
      FlowClient client, String key, String user, String sku) {
    try {
      return client.send(
          client
              .request("/api/v1/orders")
              .header("Content-Type", "application/json")
              .header("Idempotency-Key", key)
              .POST(
                  HttpRequest.BodyPublishers.ofString(
                      FlowClient.orderBody(user, List.of(new FlowClient.Line(sku, 1))))));
    } catch (Exception e) {
      throw new AssertionError("POST /api/v1/orders failed", e);
    }
  }

  /** PlaceOrder on the gateway's gRPC edge; the response, its message read to the end. */
  private io.vertx.grpc.client.GrpcClientResponse<?, ?> placeOverGrpc(
      String key, String user, String sku) throws Exception {
    String[] hostPort = runtime.endpoints().get("gateway (gRPC)").split(":");
    io.vertx.grpc.client.GrpcClient grpc = io.vertx.grpc.client.GrpcClient.client(runtime.vertx());
    try {
      return grpc.request(
              io.vertx.core.net.SocketAddress.inetSocketAddress(
                  Integer.parseInt(hostPort[1]), hostPort[0]),
              io.courier.contract.v1.OrderServiceGrpcClient.PlaceOrder)
          .compose(
              call ->
                  call.send(
                          io.courier.contract.v1.PlaceOrderRequest.newBuilder()
                              .setUserId(user)
                              .setIdempotencyKey(key)
                              .addItems(
                                  io.courier.contract.v1.LineItem.newBuilder()
                                      .setSku(sku)
                                      .setQuantity(1))
                              .build())
                      .compose(response -> response.last().map(placed -> response)))
          .await(30, TimeUnit.SECONDS);
    } finally {
      grpc.close().await(10, TimeUnit.SECONDS);
    }
  }

  /** One item through the gateway's PlaceOrders stream: its one result. */
  private io.courier.contract.v1.PlaceOrdersResponse placeOneInBulk(
      String key, String user, String sku) throws Exception {
    String[] hostPort = runtime.endpoints().get("gateway (gRPC)").split(":");
    io.vertx.grpc.client.GrpcClient grpc = io.vertx.grpc.client.GrpcClient.client(runtime.vertx());
    try {
      List<io.courier.contract.v1.PlaceOrdersResponse> results =
          new java.util.concurrent.CopyOnWriteArrayList<>();
      return grpc.request(
              io.vertx.core.net.SocketAddress.inetSocketAddress(
                  Integer.parseInt(hostPort[1]), hostPort[0]),
              io.courier.contract.v1.OrderServiceGrpcClient.PlaceOrders)
          .compose(
              call -> {
                call.end(
                    io.courier.contract.v1.PlaceOrdersRequest.newBuilder()
                        .setItemId("item-1")
                        .setOrder(
                            io.courier.contract.v1.PlaceOrderRequest.newBuilder()
                                .setUserId(user)
                                .setIdempotencyKey(key)
                                .addItems(
                                    io.courier.contract.v1.LineItem.newBuilder()
                                        .setSku(sku)
                                        .setQuantity(1)))
                        .build());
                return call.response();
              })
          .compose(
              response -> {
                Promise<io.courier.contract.v1.PlaceOrdersResponse> one = Promise.promise();
                response.handler(results::add);
                response.endHandler(
                    v -> {
                      if (results.size() == 1) {
                        one.complete(results.get(0));
                      } else {
                        one.fail("expected one result, got " + results + ", " + response.status());
                      }
                    });
                response.exceptionHandler(one::tryFail);
                return one.future();
              })
          .await(30, TimeUnit.SECONDS);
    } finally {
      grpc.close().await(10, TimeUnit.SECONDS);
    }
  }

  /** The value of one series on the runtime's /metrics, 0 when it is absent. */
  private double metric(String series) throws Exception {
    String url = runtime.endpoints().get("health").replace("/health/ready", "/metrics");
    String text =
        java.net.http.HttpClient.newHttpClient()
            .send(
                HttpRequest.newBuilder(URI.create(url)).build(),
                HttpResponse.BodyHandlers.ofString())
            .body();
    return text.lines()
        .filter(line -> line.startsWith(series + " "))
        .mapToDouble(line -> Double.parseDouble(line.substring(series.length() + 1).trim()))
        .sum();
  }

  private FlowClient start(
      EmbeddedKafkaBroker kafka, FlowSeeds seeds, Map<String, String> overrides) throws Exception {
    Map<String, String> props = new java.util.HashMap<>(overrides);
    props.put("courier.gateway.auth.mode", "none");
    runtime =
        CourierRuntime.start(OrderFlowIT.config(kafka, seeds, props), Roles.available())
            .await(120, TimeUnit.SECONDS);
    return new FlowClient(runtime.endpoints().get("gateway"));
  }
}
