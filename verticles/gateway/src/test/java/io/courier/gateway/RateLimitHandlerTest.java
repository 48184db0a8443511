package io.courier.gateway;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.courier.contract.v1.OrderServiceGrpcService;
import io.courier.contract.v1.OrderServiceService;
import io.courier.contract.v1.PlaceOrderRequest;
import io.courier.contract.v1.PlaceOrderResponse;
import io.courier.gateway.GatewayConfig.RateLimitConfig;
import io.courier.gateway.GatewayConfig.RouteRateLimitConfig;
import io.courier.service.CallerIdentity;
import io.courier.service.GrpcServers;
import io.github.bucket4j.Bandwidth;
import io.github.bucket4j.BucketConfiguration;
import io.github.bucket4j.TimeMeter;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.HttpServer;
import io.vertx.core.json.JsonObject;
import io.vertx.core.net.SocketAddress;
import io.vertx.ext.auth.User;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.client.HttpRequest;
import io.vertx.ext.web.client.HttpResponse;
import io.vertx.ext.web.client.WebClient;
import io.vertx.ext.web.client.WebClientOptions;
import io.vertx.ext.web.handler.BodyHandler;
import io.vertx.ext.web.impl.UserContextInternal;
import io.vertx.grpc.client.GrpcClient;
import io.vertx.grpc.common.GrpcStatus;
import io.vertx.openapi.contract.OpenAPIContract;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The rate-limit handler in a router like the gateway's, with local buckets on a clock the test
 * moves: placeOrder allows 3 at once and 1 per second, every other operation 5 and 5 per second.
 */
@DisplayName("The gateway's rate limit")
@Timeout(30)
class RateLimitHandlerTest {

  private static final String ORDER_BODY =
      "{\"userId\":\"u-1\",\"items\":[{\"sku\":\"sku-1\",\"quantity\":1}]}";

  private final Vertx vertx = Vertx.vertx();
  private final AtomicLong nanos = new AtomicLong(1_000_000_000_000L);
  private final SimpleMeterRegistry registry = new SimpleMeterRegistry();
  private OpenAPIContract contract;
  private HttpServer server;
  private WebClient web;

  @BeforeEach
  void contract() throws Exception {
    contract = ApiContract.load(vertx).await(10, TimeUnit.SECONDS);
  }

  @AfterEach
  void close() throws Exception {
    vertx.close().await(10, TimeUnit.SECONDS);
  }

  @Test
  @DisplayName(
      "answers 429 with Retry-After, RateLimit-* headers and a problem once the burst is spent")
  void shouldAnswer429OnceBurstIsSpent() throws Exception {
    serve(limits(true), Future.succeededFuture(new LocalRateLimiter(1_000, clock())));

    for (int remaining = 2; remaining >= 0; remaining--) {
      HttpResponse<Buffer> ok = placeOrder("alpha");
      assertThat(ok.statusCode()).isEqualTo(200);
      assertThat(ok.getHeader("RateLimit-Limit")).isEqualTo("3");
      assertThat(ok.getHeader("RateLimit-Remaining")).isEqualTo(Integer.toString(remaining));
    }
    HttpResponse<Buffer> limited = placeOrder("alpha");

    assertThat(limited.statusCode()).isEqualTo(429);
    assertThat(limited.getHeader("Retry-After")).isEqualTo("1");
    assertThat(limited.getHeader("RateLimit-Limit")).isEqualTo("3");
    assertThat(limited.getHeader("RateLimit-Remaining")).isEqualTo("0");
    assertThat(limited.getHeader("RateLimit-Reset")).isEqualTo("3");
    assertThat(limited.getHeader("Content-Type")).isEqualTo(Problems.CONTENT_TYPE);
    JsonObject problem = limited.bodyAsJsonObject();
    assertThat(problem.getString("type")).isEqualTo(Problems.TYPE_BASE + "rate-limited");
    assertThat(problem.getInteger("status")).isEqualTo(429);
    assertThat(problem.getString("title")).isEqualTo("Too Many Requests");
    assertThat(problem.getString("instance")).isEqualTo("/api/v1/orders");
    assertThat(problem.getString("detail")).contains("placeOrder").doesNotContain("alpha");
    assertThat(rejected("placeOrder")).isEqualTo(1.0);

    nanos.addAndGet(Duration.ofSeconds(1).toNanos());
    HttpResponse<Buffer> refilled = placeOrder("alpha");
    assertThat(refilled.statusCode()).isEqualTo(200);
    assertThat(refilled.getHeader("RateLimit-Remaining")).isEqualTo("0");
    assertThat(placeOrder("alpha").statusCode()).isEqualTo(429);
  }

  @Test
  @DisplayName("keeps one bucket per client: API key, authenticated subject, remote address")
  void shouldLeaveOtherClientsUnaffected() throws Exception {
    serve(limits(true), Future.succeededFuture(new LocalRateLimiter(1_000, clock())));

    for (int i = 0; i < 5; i++) {
      assertThat(send(get("/api/v1/inventory/sku-1").putHeader("X-API-Key", "alpha")).statusCode())
          .isEqualTo(200);
    }
    assertThat(send(get("/api/v1/inventory/sku-1").putHeader("X-API-Key", "alpha")).statusCode())
        .isEqualTo(429);

    assertThat(send(get("/api/v1/inventory/sku-1").putHeader("X-API-Key", "beta")).statusCode())
        .isEqualTo(200);
    assertThat(send(get("/api/v1/inventory/sku-1")).statusCode()).isEqualTo(200);
    // The subject wins over the API key it came with.
    assertThat(
            send(get("/api/v1/inventory/sku-1")
                    .putHeader("X-API-Key", "alpha")
                    .putHeader("X-Test-Subject", "alice"))
                .statusCode())
        .isEqualTo(200);
    for (int i = 0; i < 4; i++) {
      send(get("/api/v1/inventory/sku-1").putHeader("X-Test-Subject", "alice"));
    }
    assertThat(
            send(get("/api/v1/inventory/sku-1").putHeader("X-Test-Subject", "alice")).statusCode())
        .isEqualTo(429);
    assertThat(send(get("/api/v1/inventory/sku-1").putHeader("X-Test-Subject", "bob")).statusCode())
        .isEqualTo(200);
    assertThat(rejected("getStock")).isEqualTo(2.0);

    // Verified tokens count by their sub, even when they share another claim User#subject() reads.
    for (int i = 0; i < 5; i++) {
      assertThat(
              send(get("/api/v1/inventory/sku-1").putHeader("X-Test-Verified", "carol"))
                  .statusCode())
          .isEqualTo(200);
    }
    assertThat(
            send(get("/api/v1/inventory/sku-1").putHeader("X-Test-Verified", "carol")).statusCode())
        .isEqualTo(429);
    assertThat(
            send(get("/api/v1/inventory/sku-1").putHeader("X-Test-Verified", "dave")).statusCode())
        .as("dave's token shares carol's username claim, not her bucket")
        .isEqualTo(200);
  }

  @Test
  @DisplayName("limits each operation on its own, with the limit configured for it")
  void shouldLimitEachOperationOnItsOwn() throws Exception {
    serve(limits(true), Future.succeededFuture(new LocalRateLimiter(1_000, clock())));
    for (int i = 0; i < 3; i++) {
      placeOrder("alpha");
    }
    assertThat(placeOrder("alpha").statusCode()).isEqualTo(429);

    HttpResponse<Buffer> user = send(get("/api/v1/users/u-1").putHeader("X-API-Key", "alpha"));
    assertThat(user.statusCode()).isEqualTo(200);
    assertThat(user.getHeader("RateLimit-Limit")).isEqualTo("5");
    assertThat(user.getHeader("RateLimit-Remaining")).isEqualTo("4");
    for (int i = 0; i < 4; i++) {
      assertThat(send(get("/api/v1/orders/o-" + i).putHeader("X-API-Key", "alpha")).statusCode())
          .isEqualTo(200);
    }
    assertThat(rejected("getOrder")).isZero();
    assertThat(rejected("getUser")).isZero();
  }

  @Test
  @DisplayName("lets requests through, counted, when no decision comes within the timeout")
  void shouldLetRequestsThroughWhenNoDecisionComes() throws Exception {
    RateLimiter silent =
        (key, bucket) -> Promise.<io.github.bucket4j.ConsumptionProbe>promise().future();
    serve(limits(true), Future.succeededFuture(silent));

    HttpResponse<Buffer> response = placeOrder("alpha");

    assertThat(response.statusCode()).isEqualTo(200);
    assertThat(response.getHeader("RateLimit-Limit")).isNull();
    assertThat(
            registry
                .get("courier.gateway.rate.limit.failures")
                .tag("route", "placeOrder")
                .counter()
                .count())
        .isEqualTo(1.0);
  }

  @Test
  @DisplayName("limits nothing and adds no headers when disabled")
  void shouldLimitNothingWhenDisabled() throws Exception {
    serve(limits(false), Future.failedFuture("disabled"));

    for (int i = 0; i < 10; i++) {
      HttpResponse<Buffer> response = placeOrder("alpha");
      assertThat(response.statusCode()).isEqualTo(200);
      assertThat(response.getHeader("RateLimit-Limit")).isNull();
    }
  }

  @Test
  @DisplayName("refuses a route that names no operation of the contract, naming the key")
  void shouldRefuseUnknownOperation() {
    RateLimitConfig config =
        new RateLimitConfig(
            true,
            5,
            5,
            10,
            100,
            Map.of("placeOrdr", new RouteRateLimitConfig(1, 1)),
            RateLimitConfig.DEFAULTS.preAuth(),
            List.of(),
            List.of());

    assertThatThrownBy(
            () -> new RateLimitHandler(config, contract, Future.failedFuture("unused"), registry))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("gateway.rateLimit.routes.placeOrdr")
        .hasMessageContaining("placeOrder");
  }

  @Test
  @DisplayName(
      "counts an X-API-Key only when it is a configured key: rotating unknown keys share the"
          + " address's bucket")
  void shouldNotTrustUnconfiguredApiKeys() throws Exception {
    serve(limits(true), Future.succeededFuture(new LocalRateLimiter(1_000, clock())));

    for (int i = 0; i < 5; i++) {
      assertThat(
              send(get("/api/v1/inventory/sku-1").putHeader("X-API-Key", "rotated-" + i))
                  .statusCode())
          .isEqualTo(200);
    }
    HttpResponse<Buffer> limited =
        send(get("/api/v1/inventory/sku-1").putHeader("X-API-Key", "rotated-5"));
    assertThat(limited.statusCode()).as("a sixth fresh key buys no fresh bucket").isEqualTo(429);
    assertThat(send(get("/api/v1/inventory/sku-1")).statusCode())
        .as("the same address without a key")
        .isEqualTo(429);
    assertThat(send(get("/api/v1/inventory/sku-1").putHeader("X-API-Key", "alpha")).statusCode())
        .as("a configured key is a client of its own")
        .isEqualTo(200);
  }

  @Test
  @DisplayName(
      "limits every API request per client address before authentication, refusals included,"
          + " taking the address from X-Forwarded-For only behind a trusted proxy")
  void shouldLimitBeforeAuthentication() throws Exception {
    serve(
        limits(true, new RouteRateLimitConfig(1, 3), List.of("127.0.0.0/8")),
        Future.succeededFuture(new LocalRateLimiter(1_000, clock())));

    for (int i = 0; i < 3; i++) {
      assertThat(send(get("/api/v1/inventory/sku-1").putHeader("X-Test-Reject", "y")).statusCode())
          .as("refused by authentication, counted before it")
          .isEqualTo(401);
    }
    HttpResponse<Buffer> flooded =
        send(get("/api/v1/inventory/sku-1").putHeader("X-Test-Reject", "y"));
    assertThat(flooded.statusCode()).isEqualTo(429);
    assertThat(flooded.getHeader("Retry-After")).isEqualTo("1");
    assertThat(flooded.getHeader("Content-Type")).isEqualTo(Problems.CONTENT_TYPE);
    assertThat(flooded.bodyAsJsonObject().getString("detail"))
        .startsWith("too many requests from this address");
    assertThat(
            send(get("/api/v1/inventory/sku-1").putHeader("X-Test-Subject", "alice")).statusCode())
        .as("an authenticated request from the same address is over it too")
        .isEqualTo(429);
    assertThat(rejected(RateLimitHandler.PRE_AUTH)).isEqualTo(2.0);

    // Behind the trusted proxy (the test's own 127.0.0.1), the client is the forwarded address.
    assertThat(
            send(get("/api/v1/inventory/sku-1")
                    .putHeader("X-Forwarded-For", "203.0.113.9, 127.0.0.5")
                    .putHeader("X-Test-Reject", "y"))
                .statusCode())
        .isEqualTo(401);
    nanos.addAndGet(Duration.ofSeconds(1).toNanos());
    HttpResponse<Buffer> refilled = send(get("/api/v1/inventory/sku-1"));
    assertThat(refilled.statusCode()).isEqualTo(200);
    assertThat(refilled.getHeader("RateLimit-Limit"))
        .as("an admitted request carries the operation's limit, not the address's")
        .isEqualTo("5");
  }

  @Test
  @DisplayName("ignores X-Forwarded-For from a peer that is not a trusted proxy")
  void shouldIgnoreForwardedForFromUntrustedPeers() throws Exception {
    serve(
        limits(true, new RouteRateLimitConfig(1, 2), List.of("10.0.0.0/8")),
        Future.succeededFuture(new LocalRateLimiter(1_000, clock())));

    for (int i = 0; i < 2; i++) {
      assertThat(
              send(get("/api/v1/inventory/sku-1")
                      .putHeader("X-Forwarded-For", "198.51.100." + i)
                      .putHeader("X-Test-Reject", "y"))
                  .statusCode())
          .isEqualTo(401);
    }
    assertThat(
            send(get("/api/v1/inventory/sku-1")
                    .putHeader("X-Forwarded-For", "198.51.100.99")
                    .putHeader("X-Test-Reject", "y"))
                .statusCode())
        .as("a forged forwarded address buys no fresh bucket")
        .isEqualTo(429);
  }

  @Test
  @DisplayName("keeps authenticated clients' buckets when a flood of anonymous keys arrives")
  void shouldNotLetAnonymousBucketsEvictAuthenticatedOnes() throws Exception {
    LocalRateLimiter limiter = new LocalRateLimiter(2, clock());
    BucketConfiguration one =
        BucketConfiguration.builder()
            .addLimit(Bandwidth.builder().capacity(1).refillGreedy(1, Duration.ofHours(1)).build())
            .build();

    assertThat(consumed(limiter, "getStock|sub:alice", one)).isTrue();
    for (int i = 0; i < 50; i++) {
      assertThat(consumed(limiter, "getStock|ip:192.0.2." + i, one)).isTrue();
    }

    assertThat(consumed(limiter, "getStock|sub:alice", one))
        .as("alice's spent bucket is still there, not evicted and refilled")
        .isFalse();
    assertThat(limiter.size()).isEqualTo(3);
  }

  @Test
  @DisplayName("keeps at most its bound of local buckets, forgetting the least recently used")
  void shouldForgetLeastRecentlyUsedBuckets() throws Exception {
    LocalRateLimiter limiter = new LocalRateLimiter(2, clock());
    BucketConfiguration one =
        BucketConfiguration.builder()
            .addLimit(Bandwidth.builder().capacity(1).refillGreedy(1, Duration.ofHours(1)).build())
            .build();

    assertThat(consumed(limiter, "a", one)).isTrue();
    assertThat(consumed(limiter, "b", one)).isTrue();
    assertThat(consumed(limiter, "a", one)).isFalse();
    assertThat(consumed(limiter, "c", one)).isTrue();

    assertThat(limiter.size()).isEqualTo(2);
    assertThat(consumed(limiter, "a", one)).isFalse();
    assertThat(consumed(limiter, "b", one)).as("b was forgotten, so it starts full").isTrue();
  }

  @Test
  @DisplayName(
      "limits the gRPC edge with the REST edge's buckets: RESOURCE_EXHAUSTED over a limit, the"
          + " limit per address before authentication runs")
  void shouldLimitTheGrpcEdgeWithTheSameBuckets() throws Exception {
    Future<RateLimiter> limiter = Future.succeededFuture(new LocalRateLimiter(1_000, clock()));
    RateLimitConfig config = limits(true, new RouteRateLimitConfig(1, 9), List.of());
    serve(config, limiter);
    RateLimitHandler grpcLimits = RateLimitHandler.forGrpc(config, limiter, registry);
    AtomicLong authentications = new AtomicLong();
    HttpServer grpcServer =
        GrpcServers.builder(vertx)
            .service(
                OrderServiceGrpcService.of(
                    new OrderServiceService() {
                      @Override
                      public Future<PlaceOrderResponse> placeOrder(PlaceOrderRequest request) {
                        return Future.succeededFuture(
                            PlaceOrderResponse.newBuilder().setOrderId("o-1").build());
                      }
                    }))
            .entryGuard(
                request ->
                    grpcLimits.admitGrpc(
                        request,
                        admitted -> {
                          // As EdgeAuth admits a bearer token, or refuses the call.
                          authentications.incrementAndGet();
                          return admitted.getHeader("x-test-reject") != null
                              ? Future.failedFuture("no valid token")
                              : Future.succeededFuture(null);
                        }))
            .listen()
            .await(10, TimeUnit.SECONDS);
    SocketAddress edge = SocketAddress.inetSocketAddress(grpcServer.actualPort(), "127.0.0.1");
    GrpcClient grpc = GrpcClient.client(vertx);

    for (int i = 0; i < 3; i++) {
      assertThat(placeOrder(grpc, edge, Map.of("x-api-key", "alpha")))
          .isEqualTo(GrpcStatus.OK + " ");
    }
    assertThat(placeOrder(grpc, edge, Map.of("x-api-key", "alpha")))
        .startsWith(GrpcStatus.RESOURCE_EXHAUSTED + " ")
        .contains("rate-limited", "too many requests for placeOrder from this client");
    assertThat(placeOrder("alpha").statusCode())
        .as("the REST edge draws on the bucket the gRPC calls spent")
        .isEqualTo(429);
    assertThat(placeOrder(grpc, edge, Map.of("x-api-key", "beta")))
        .as("another client's bucket is full")
        .isEqualTo(GrpcStatus.OK + " ");
    // 6 calls from this address so far; 3 more spend the limit per address, refused by the guard.
    for (int i = 0; i < 3; i++) {
      assertThat(placeOrder(grpc, edge, Map.of("x-test-reject", "y")))
          .startsWith(GrpcStatus.UNAUTHENTICATED + " ");
    }
    long checked = authentications.get();
    assertThat(placeOrder(grpc, edge, Map.of("x-test-reject", "y")))
        .startsWith(GrpcStatus.RESOURCE_EXHAUSTED + " ")
        .contains("too many requests from this address");
    assertThat(authentications.get())
        .as("a call over the limit per address is refused before its token is checked")
        .isEqualTo(checked);
    assertThat(rejected("placeOrder")).isEqualTo(2.0);
    assertThat(rejected(RateLimitHandler.PRE_AUTH)).isEqualTo(1.0);

    nanos.addAndGet(Duration.ofSeconds(1).toNanos());
    assertThat(placeOrder(grpc, edge, Map.of("x-api-key", "alpha")))
        .as("a second later, a token of each bucket is back")
        .isEqualTo(GrpcStatus.OK + " ");
  }

  /** The status and message a gRPC PlaceOrder with {@code headers} ends with. */
  private static String placeOrder(GrpcClient grpc, SocketAddress edge, Map<String, String> headers)
      throws Exception {
    return GrpcRaw.call(
        grpc,
        edge,
        "courier.v1.OrderService/PlaceOrder",
        PlaceOrderRequest.newBuilder()
            .setUserId("u-1")
            .setIdempotencyKey("k-1")
            .build()
            .toByteArray(),
        headers);
  }

  private static boolean consumed(RateLimiter limiter, String key, BucketConfiguration bucket)
      throws Exception {
    return limiter.tryConsume(key, bucket).await(5, TimeUnit.SECONDS).isConsumed();
  }

  /** alpha and beta are configured API keys; no limit before authentication. */
  private static RateLimitConfig limits(boolean enabled) {
    return limits(enabled, new RouteRateLimitConfig(0, 0), List.of());
  }

  private static RateLimitConfig limits(
      boolean enabled, RouteRateLimitConfig preAuth, List<String> trustedProxies) {
    return new RateLimitConfig(
        enabled,
        5,
        5,
        1_000,
        100,
        Map.of("placeOrder", new RouteRateLimitConfig(1, 3)),
        preAuth,
        trustedProxies,
        List.of(sha256("alpha"), sha256("beta")));
  }

  private static String sha256(String value) throws RuntimeException {
    try {
      return java.util.HexFormat.of()
          .formatHex(
              java.security.MessageDigest.getInstance("SHA-256")
                  .digest(value.getBytes(java.nio.charset.StandardCharsets.UTF_8)));
    } catch (java.security.NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }

  private TimeMeter clock() {
    return new TimeMeter() {
      @Override
      public long currentTimeNanos() {
        return nanos.get();
      }

      @Override
      public boolean isWallClockBased() {
        return false;
      }
    };
  }

  private double rejected(String route) {
    return registry.get("courier.gateway.rate.limited").tag("route", route).counter().count();
  }

  /** The gateway's order of handlers, with a stand-in for authentication and for the API. */
  private void serve(RateLimitConfig config, Future<RateLimiter> limiter) throws Exception {
    Router router = Router.router(vertx);
    RateLimitHandler limits = new RateLimitHandler(config, contract, limiter, registry);
    router.route("/api/*").handler(BodyHandler.create(false));
    router.route("/api/*").handler(limits.beforeAuthentication());
    router
        .route("/api/*")
        .handler(
            routing -> {
              // As EdgeAuth refuses a request without a valid token.
              if (routing.request().getHeader("X-Test-Reject") != null) {
                routing.response().setStatusCode(401).end();
                return;
              }
              String subject = routing.request().getHeader("X-Test-Subject");
              if (subject != null) {
                ((UserContextInternal) routing.userContext())
                    .setUser(User.create(new JsonObject().put("sub", subject)));
              }
              // As EdgeAuth does for a verified token; the user's username claim must not count.
              String verified = routing.request().getHeader("X-Test-Verified");
              if (verified != null) {
                ((UserContextInternal) routing.userContext())
                    .setUser(
                        User.create(
                            new JsonObject().put("sub", verified).put("username", "shared")));
                EdgeAuth.attach(routing, new CallerIdentity(verified, Set.of()));
              }
              routing.next();
            });
    router.route("/api/*").handler(limits);
    router.route("/api/*").handler(routing -> routing.response().end("ok"));
    router.route().failureHandler(new Problems(contract)::onFailure);
    server =
        vertx
            .createHttpServer()
            .requestHandler(router)
            .listen(0, "127.0.0.1")
            .await(10, TimeUnit.SECONDS);
    web =
        WebClient.create(
            vertx,
            new WebClientOptions().setDefaultHost("127.0.0.1").setDefaultPort(server.actualPort()));
  }

  private HttpRequest<Buffer> get(String path) {
    return web.request(HttpMethod.GET, path);
  }

  private HttpResponse<Buffer> placeOrder(String apiKey) throws Exception {
    return web.post("/api/v1/orders")
        .putHeader("X-API-Key", apiKey)
        .putHeader("Idempotency-Key", "k-1")
        .putHeader("Content-Type", "application/json")
        .sendBuffer(Buffer.buffer(ORDER_BODY))
        .await(10, TimeUnit.SECONDS);
  }

  private static HttpResponse<Buffer> send(HttpRequest<Buffer> request) throws Exception {
    return request.send().await(10, TimeUnit.SECONDS);
  }
}
