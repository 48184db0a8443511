package io.courier.app.flow;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowable;

import io.courier.app.flow.FlowClient.Line;
import io.courier.codec.flow.Addresses;
import io.courier.codec.flow.Partitions;
import io.courier.codec.flow.Topics;
import io.courier.contract.v1.GetOrderRequest;
import io.courier.contract.v1.GetUserRequest;
import io.courier.contract.v1.LineItem;
import io.courier.contract.v1.PlaceOrderRequest;
import io.courier.contract.v1.ReleaseStockRequest;
import io.courier.gateway.DevSigningKey;
import io.courier.kafka.embedded.EmbeddedKafkaBroker;
import io.courier.runtime.CourierRuntime;
import io.courier.runtime.Roles;
import io.courier.runtime.config.ConfigException;
import io.courier.runtime.config.ConfigLoader;
import io.courier.runtime.config.ConfigSection;
import io.courier.runtime.config.IdentityConfig;
import io.courier.runtime.config.KafkaConfig;
import io.courier.runtime.kafka.DeadLetters;
import io.courier.runtime.kafka.DeliveryHeaders;
import io.courier.runtime.security.DevCertificates;
import io.courier.runtime.security.IdentitySeal;
import io.courier.service.CallerIdentity;
import io.vertx.core.Future;
import io.vertx.core.MultiMap;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.eventbus.DeliveryOptions;
import io.vertx.core.eventbus.ReplyException;
import io.vertx.core.http.HttpClientOptions;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.HttpVersion;
import io.vertx.core.http.RequestOptions;
import io.vertx.core.json.JsonObject;
import io.vertx.core.net.PemKeyCertOptions;
import io.vertx.core.net.PemTrustOptions;
import io.vertx.core.net.SocketAddress;
import io.vertx.grpc.client.GrpcClient;
import io.vertx.grpc.client.GrpcClientRequest;
import io.vertx.grpc.client.InvalidStatusException;
import io.vertx.grpc.common.GrpcStatus;
import java.io.IOException;
import java.io.InputStream;
import java.net.Socket;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Stream;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.header.internals.RecordHeaders;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.DynamicNode;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestFactory;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * The attack battery of docs/security.md: one platform in this process, hardened as production
 * would run it (JWT at the edge, identities sealed and required inside, mutual TLS with a
 * per-method allow-list between services, rate limits before and after authentication, its own
 * Kafka broker), and more than 60 attacks across REST, the gRPC edge, the services' gRPC servers,
 * the event bus, Kafka records and configuration. Each attack must get a clear refusal; after each,
 * the platform must still answer; at the end, a real order still completes and every order accepted
 * during the battery is accounted for in Kafka and in the stock (nothing lost, nothing applied
 * twice: {@link FlowAudit}).
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
@DisplayName("The attack battery")
class AttackBatteryIT {

  @TempDir static Path work;

  private final String run = "a" + UUID.randomUUID().toString().substring(0, 6) + "-";
  private final Map<String, String> accepted = new ConcurrentHashMap<>();
  private final AtomicInteger addresses = new AtomicInteger();
  private final AtomicInteger cases = new AtomicInteger();
  private EmbeddedKafkaBroker kafka;
  private CourierRuntime runtime;
  private FlowSeeds seeds;
  private Path keys;
  private DevCertificates ca;
  private DevCertificates.Issued process;
  private Path certs;
  private Vertx vertx;
  private io.vertx.core.http.HttpClient http;
  private int port;
  private SocketAddress grpcEdge;
  private SocketAddress users;
  private SocketAddress inventory;
  private String alice;
  private String bob;
  private String aliceToken;
  private String bobToken;

  @BeforeAll
  void start() throws Exception {
    kafka =
        EmbeddedKafkaBroker.builder()
            .dataDir(work.resolve("kafka"))
            .property("message.max.bytes", "1048588")
            .build()
            .start();
    keys = work.resolve("keys");
    DevSigningKey.loadOrCreate(keys);
    seeds = FlowSeeds.write(work, run, 10, 5, 1_000);
    alice = seeds.userIds().get(0);
    bob = seeds.userIds().get(1);
    certs = work.resolve("certs");
    ca = DevCertificates.authority("battery CA " + UUID.randomUUID(), Duration.ofDays(1));
    ca.writeCertificate(certs.resolve("ca.pem"));
    // The process runs every role, so its certificate names them all; the inventory's ReleaseStock
    // and ReserveStock admit only the order service, which this process is too.
    process =
        ca.issue(
            "courier-all",
            List.of(
                "gateway",
                "user-service",
                "inventory-service",
                "order-service",
                "payment-service",
                "notification-service"),
            Duration.ofHours(1),
            certs);
    Map<String, String> props = new HashMap<>();
    props.put("courier.gateway.auth.mode", "jwt");
    props.put("courier.gateway.auth.devKeyDir", keys.toString());
    props.put("courier.security.identity.devKeyDir", keys.toString());
    props.put("courier.security.identity.required", "true");
    props.put("courier.security.mtls.enabled", "true");
    props.put("courier.security.mtls.certFile", process.certificate().toString());
    props.put("courier.security.mtls.keyFile", process.key().toString());
    props.put("courier.security.mtls.caFile", certs.resolve("ca.pem").toString());
    props.put(
        "courier.security.mtls.allowedPeers",
        "inventory-service/ReleaseStock=order-service,inventory-service/ReserveStock=order-service");
    props.put("courier.gateway.rateLimit.enabled", "true");
    props.put("courier.gateway.rateLimit.requestsPerSecond", "200");
    props.put("courier.gateway.rateLimit.burst", "400");
    props.put("courier.gateway.rateLimit.preAuth.requestsPerSecond", "1");
    props.put("courier.gateway.rateLimit.preAuth.burst", "12");
    // The test's own connections arrive through 127.0.0.1, its "ingress": each attack comes
    // from an address of its own (X-Forwarded-For), so one attack's flood limits only itself.
    props.put("courier.gateway.rateLimit.trustedProxies", "127.0.0.1/32");
    props.put("courier.gateway.headerTimeoutMs", "1500");
    props.put("courier.gateway.idleTimeoutMs", "3000");
    props.put("courier.gateway.requestTimeoutMs", "5000");
    props.put("courier.gateway.grpcMaxMessageBytes", "4096");
    props.put("courier.services.user.grpcPort", "0");
    props.put("courier.services.inventory.grpcPort", "0");
    runtime =
        CourierRuntime.start(OrderFlowIT.config(kafka, seeds, props), Roles.available())
            .await(120, TimeUnit.SECONDS);
    port = URI.create(runtime.endpoints().get("gateway")).getPort();
    grpcEdge = address(runtime.endpoints().get("gateway (gRPC)"));
    users = address(runtime.endpoints().get("user-service (gRPC)"));
    inventory = address(runtime.endpoints().get("inventory-service (gRPC)"));
    vertx = Vertx.vertx();
    // A connection per request: an attack's connection never carries the next one.
    http =
        vertx.createHttpClient(
            new HttpClientOptions().setDefaultHost("127.0.0.1").setKeepAlive(false));
    aliceToken = FlowClient.token(keys, alice, Set.of("orders:write", "orders:read"));
    bobToken = FlowClient.token(keys, bob, Set.of("orders:write", "orders:read"));
  }

  @AfterAll
  void stop() throws Exception {
    if (runtime != null) {
      runtime.stop(Duration.ofSeconds(20)).await(30, TimeUnit.SECONDS);
    }
    if (vertx != null) {
      vertx.close().await(10, TimeUnit.SECONDS);
    }
    if (kafka != null) {
      kafka.close();
    }
  }

  // ---------------------------------------------------------------------------------------------
  // REST

  @TestFactory
  @Order(1)
  @DisplayName("REST")
  Stream<DynamicNode> rest() {
    return Stream.of(
        attack(
            "no bearer token: 401 with a problem",
            () -> assertProblem(send(get("/api/v1/users/" + alice)), 401)),
        attack(
            "a bearer value that is no JWT: 401",
            () ->
                assertProblem(
                    send(get("/api/v1/users/" + alice).putHeader("Authorization", "Bearer x.y")),
                    401)),
        attack(
            "alg none: 401",
            () ->
                assertProblem(
                    send(
                        get("/api/v1/users/" + alice)
                            .putHeader("Authorization", "Bearer " + unsigned("none"))),
                    401)),
        attack(
            "HS256 signed with the public key's bytes (key confusion): 401",
            () ->
                assertProblem(
                    send(
                        get("/api/v1/users/" + alice)
                            .putHeader("Authorization", "Bearer " + keyConfusion())),
                    401)),
        attack(
            "a token signed by a key the platform does not trust: 401",
            () ->
                assertProblem(
                    send(
                        get("/api/v1/users/" + alice)
                            .putHeader("Authorization", "Bearer " + foreignToken(alice))),
                    401)),
        attack(
            "an expired token: 401",
            () ->
                assertProblem(
                    send(
                        get("/api/v1/users/" + alice)
                            .putHeader(
                                "Authorization",
                                "Bearer "
                                    + DevSigningKey.loadOrCreate(keys)
                                        .mint(
                                            "courier-dev",
                                            "courier-api",
                                            alice,
                                            Set.of("orders:read"),
                                            Duration.ofSeconds(-120)))),
                    401)),
        attack(
            "control characters in kid and alg: 401, echoed sanitised",
            () -> {
              Answer answer =
                  send(
                      get("/api/v1/users/" + alice)
                          .putHeader(
                              "Authorization",
                              "Bearer "
                                  + jwt(
                                      new JsonObject()
                                          .put("alg", "ES256\u0007")
                                          .put("kid", "k\r\nSet-Cookie: x=1"),
                                      claims(alice),
                                      "sig")));
              assertProblem(answer, 401);
              assertThat(answer.headers().names()).doesNotContain("Set-Cookie");
              assertThat(String.valueOf(answer.getHeader("WWW-Authenticate")))
                  .doesNotContain("\r", "\n", "\u0007");
            }),
        attack(
            "a token without the scope the operation needs: 403 naming it",
            () -> {
              Answer answer =
                  send(
                      get("/api/v1/orders/" + UUID.randomUUID())
                          .putHeader(
                              "Authorization",
                              "Bearer " + FlowClient.token(keys, alice, Set.of("orders:write"))));
              assertProblem(answer, 403);
              assertThat(answer.bodyAsString()).contains("orders:read");
            }),
        attack(
            "an order placed for another user: 403",
            () ->
                assertProblem(
                    placeRest(bobToken, "other-" + UUID.randomUUID(), orderBody(alice, 1)), 403)),
        attack(
            "identity headers claimed in the clear next to a valid token are ignored",
            () -> {
              Answer answer =
                  send(
                      post("/api/v1/orders", bobToken, "forged-" + UUID.randomUUID())
                          .putHeader("courier-subject", alice)
                          .putHeader("courier-scopes", "admin")
                          .putHeader("X-Courier-Subject", alice),
                      orderBody(alice, 1));
              assertProblem(answer, 403);
            }),
        attack(
            "another user's order: 403, never its content",
            () -> {
              String id = placeAccepted(aliceToken, alice);
              Answer answer =
                  send(
                      get("/api/v1/orders/" + id).putHeader("Authorization", "Bearer " + bobToken));
              assertProblem(answer, 403);
              assertThat(answer.bodyAsString()).doesNotContain(seeds.skus().get(0));
            }),
        attack(
            "an Idempotency-Key reused with another body: 409 idempotency-key-reused",
            () -> {
              String key = "reuse-" + UUID.randomUUID();
              Answer first = placeRest(aliceToken, key, orderBody(alice, 1));
              assertThat(first.statusCode()).as(first.bodyAsString()).isEqualTo(202);
              accepted.put(key, first.bodyAsJsonObject().getString("orderId"));
              Answer second = placeRest(aliceToken, key, orderBody(alice, 2));
              assertProblem(second, 409);
              assertThat(second.bodyAsJsonObject().getString("type"))
                  .endsWith("/idempotency-key-reused");
            }),
        attack(
            "another user's Idempotency-Key neither blocks nor reveals their order",
            () -> {
              String key = "shared-" + UUID.randomUUID();
              Answer mine = placeRest(aliceToken, key, orderBody(alice, 1));
              Answer theirs = placeRest(bobToken, key, orderBody(bob, 2));
              assertThat(mine.statusCode()).isEqualTo(202);
              assertThat(theirs.statusCode()).as(theirs.bodyAsString()).isEqualTo(202);
              accepted.put(key + "@alice", mine.bodyAsJsonObject().getString("orderId"));
              accepted.put(key + "@bob", theirs.bodyAsJsonObject().getString("orderId"));
              assertThat(theirs.bodyAsJsonObject().getString("orderId"))
                  .isNotEqualTo(mine.bodyAsJsonObject().getString("orderId"));
            }),
        attack(
            "percent-encoded keys are not decoded: %41 and A are two keys",
            () -> {
              String suffix = UUID.randomUUID().toString();
              Answer encoded = placeRest(aliceToken, "%41-" + suffix, orderBody(alice, 1));
              Answer plain = placeRest(aliceToken, "A-" + suffix, orderBody(alice, 2));
              assertThat(encoded.statusCode()).as(encoded.bodyAsString()).isEqualTo(202);
              assertThat(plain.statusCode()).as(plain.bodyAsString()).isEqualTo(202);
              accepted.put("%41-" + suffix, encoded.bodyAsJsonObject().getString("orderId"));
              accepted.put("A-" + suffix, plain.bodyAsJsonObject().getString("orderId"));
            }),
        attack(
            "an Idempotency-Key with a control character: 400",
            () -> {
              String body = orderBody(alice, 1);
              assertThat(
                      raw(
                          "POST /api/v1/orders HTTP/1.1\r\nHost: x\r\nX-Forwarded-For: "
                              + nextAddress()
                              + "\r\nAuthorization: Bearer "
                              + aliceToken
                              + "\r\nContent-Type: application/json\r\nIdempotency-Key: k\u0001ey"
                              + "\r\nConnection: close\r\nContent-Length: "
                              + body.getBytes(UTF_8).length
                              + "\r\n\r\n"
                              + body))
                  .startsWith("HTTP/1.1 400");
            }),
        attack(
            "an Idempotency-Key of 1,000 characters: 400",
            () ->
                assertProblem(placeRest(aliceToken, "k".repeat(1_000), orderBody(alice, 1)), 400)),
        attack(
            "JSON nested 5,000 deep: 400",
            () ->
                assertProblem(
                    placeRest(
                        aliceToken,
                        "deep-" + UUID.randomUUID(),
                        "[".repeat(5_000) + "]".repeat(5_000)),
                    400)),
        attack(
            "a negative quantity: 400 naming the field",
            () -> {
              Answer answer =
                  placeRest(
                      aliceToken,
                      "neg-" + UUID.randomUUID(),
                      FlowClient.orderBody(alice, List.of(new Line(seeds.skus().get(0), -5))));
              assertProblem(answer, 400);
              assertThat(answer.bodyAsString()).contains("quantity");
            }),
        attack(
            "a quantity of 1e999999: 400",
            () ->
                assertProblem(
                    placeRest(
                        aliceToken,
                        "huge-" + UUID.randomUUID(),
                        "{\"userId\":\""
                            + alice
                            + "\",\"items\":[{\"sku\":\""
                            + seeds.skus().get(0)
                            + "\",\"quantity\":1e999999}]}"),
                    400)),
        attack(
            "200 order lines where the contract allows 100: 400",
            () -> {
              List<Line> lines = new ArrayList<>();
              for (int i = 0; i < 200; i++) {
                lines.add(new Line(seeds.skus().get(0), 1));
              }
              assertProblem(
                  placeRest(
                      aliceToken, "lines-" + UUID.randomUUID(), FlowClient.orderBody(alice, lines)),
                  400);
            }),
        attack(
            "a body that is not JSON, sent as text/plain: 415 or 400",
            () -> {
              Answer answer =
                  post("/api/v1/orders", aliceToken, "text-" + UUID.randomUUID())
                      .putHeader("Content-Type", "text/plain")
                      .sendBuffer(Buffer.buffer("DROP TABLE orders;"))
                      .await(10, TimeUnit.SECONDS);
              assertThat(answer.statusCode()).isIn(400, 415);
              assertThat(answer.getHeader("Content-Type")).startsWith("application/problem+json");
            }),
        attack(
            "a path escaping its segment: no 200, no 500",
            () -> {
              Answer answer =
                  send(
                      get("/api/v1/inventory/..%2F..%2Fadmin")
                          .putHeader("Authorization", "Bearer " + aliceToken));
              assertThat(answer.statusCode()).isIn(400, 403, 404);
            }),
        attack(
            "a declared 10 MB body: 413 without reading it",
            () ->
                assertThat(
                        raw(
                            "POST /api/v1/orders HTTP/1.1\r\nHost: x\r\nX-Forwarded-For: "
                                + nextAddress()
                                + "\r\nAuthorization: Bearer "
                                + aliceToken
                                + "\r\nContent-Type: application/json\r\nIdempotency-Key: big\r\n"
                                + "Content-Length: 10485760\r\n\r\n{"))
                    .startsWith("HTTP/1.1 413")),
        attack(
            "a header over the limit: 431",
            () ->
                assertThat(
                        raw(
                            "GET /api/v1/users/x HTTP/1.1\r\nHost: x\r\nX-Big: "
                                + "a".repeat(20_000)
                                + "\r\nConnection: close\r\n\r\n"))
                    .startsWith("HTTP/1.1 431")),
        attack(
            "two different Content-Length headers (smuggling): 400",
            () ->
                assertThat(
                        raw(
                            "POST /api/v1/orders HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\n"
                                + "Content-Length: 40\r\nConnection: close\r\n\r\n{}"))
                    .startsWith("HTTP/1.1 400")),
        attack(
            "headers dripped a byte every 50 ms (slow-loris): closed at the header deadline",
            () -> {
              io.vertx.core.Promise<Long> closed = io.vertx.core.Promise.promise();
              long started = System.nanoTime();
              vertx
                  .createNetClient()
                  .connect(port, "127.0.0.1")
                  .onSuccess(
                      socket -> {
                        String drip =
                            "GET /health/live HTTP/1.1\r\nHost: x\r\nX-Slow: " + "a".repeat(400);
                        AtomicInteger next = new AtomicInteger();
                        long timer =
                            vertx.setPeriodic(
                                50,
                                id -> {
                                  int at = next.getAndIncrement();
                                  if (at < drip.length()) {
                                    socket.write(Buffer.buffer(drip.substring(at, at + 1)));
                                  }
                                });
                        socket.closeHandler(
                            v -> {
                              vertx.cancelTimer(timer);
                              closed.tryComplete((long) next.get());
                            });
                      })
                  .onFailure(closed::tryFail);
              long written = closed.future().await(15, TimeUnit.SECONDS);
              assertThat(written)
                  .as("bytes dripped before the server closed; all of them would take 20 s")
                  .isLessThan(300);
              assertThat(Duration.ofNanos(System.nanoTime() - started))
                  .isLessThan(Duration.ofSeconds(15));
            }),
        attack(
            "a flood before authentication from one address: 429 with Retry-After, others served",
            () -> {
              String flooder = nextAddress();
              int limited = 0;
              for (int i = 0; i < 20; i++) {
                Answer answer =
                    new Req(HttpMethod.GET, port, "/api/v1/users/" + alice)
                        .putHeader("X-Forwarded-For", flooder)
                        .putHeader("Authorization", "Bearer not-a-token-" + i)
                        .send()
                        .await(10, TimeUnit.SECONDS);
                if (answer.statusCode() == 429) {
                  limited++;
                  assertThat(answer.getHeader("Retry-After")).isNotBlank();
                } else {
                  assertThat(answer.statusCode()).isEqualTo(401);
                }
              }
              assertThat(limited).isGreaterThanOrEqualTo(5);
              assertThat(
                      send(get("/api/v1/users/" + alice)
                              .putHeader("Authorization", "Bearer " + aliceToken))
                          .statusCode())
                  .isEqualTo(200);
            }),
        attack(
            "X-API-Key rotated per request buys no fresh bucket",
            () -> {
              String flooder = nextAddress();
              int limited = 0;
              for (int i = 0; i < 20; i++) {
                int status =
                    new Req(HttpMethod.GET, port, "/api/v1/users/" + alice)
                        .putHeader("X-Forwarded-For", flooder)
                        .putHeader("X-API-Key", "rotated-" + i)
                        .send()
                        .await(10, TimeUnit.SECONDS)
                        .statusCode();
                limited += status == 429 ? 1 : 0;
              }
              assertThat(limited).isGreaterThanOrEqualTo(5);
            }),
        attack(
            "a forged leftmost X-Forwarded-For hop cannot spend a victim's bucket",
            () -> {
              String victim = nextAddress();
              String attacker = nextAddress();
              for (int i = 0; i < 20; i++) {
                new Req(HttpMethod.GET, port, "/api/v1/users/" + alice)
                    .putHeader("X-Forwarded-For", victim + ", " + attacker)
                    .send()
                    .await(10, TimeUnit.SECONDS);
              }
              assertThat(
                      new Req(HttpMethod.GET, port, "/api/v1/users/" + alice)
                          .putHeader("X-Forwarded-For", victim)
                          .putHeader("Authorization", "Bearer " + aliceToken)
                          .send()
                          .await(10, TimeUnit.SECONDS)
                          .statusCode())
                  .isEqualTo(200);
            }));
  }

  // ---------------------------------------------------------------------------------------------
  // The gRPC edge

  @TestFactory
  @Order(2)
  @DisplayName("the gRPC edge")
  Stream<DynamicNode> grpcEdge() {
    return Stream.of(
        attack(
            "no token: UNAUTHENTICATED",
            () ->
                assertThat(edgeCall(placeOrder(alice, 1), Map.of()))
                    .startsWith(GrpcStatus.UNAUTHENTICATED.toString())),
        attack(
            "a token from an untrusted key: UNAUTHENTICATED",
            () ->
                assertThat(
                        edgeCall(
                            placeOrder(alice, 1),
                            Map.of("authorization", "Bearer " + foreignToken(alice))))
                    .startsWith(GrpcStatus.UNAUTHENTICATED.toString())),
        attack(
            "alg none: UNAUTHENTICATED",
            () ->
                assertThat(
                        edgeCall(
                            placeOrder(alice, 1),
                            Map.of("authorization", "Bearer " + unsigned("none"))))
                    .startsWith(GrpcStatus.UNAUTHENTICATED.toString())),
        attack(
            "placing for another user: PERMISSION_DENIED",
            () ->
                assertThat(
                        edgeCall(
                            placeOrder(alice, 1), Map.of("authorization", "Bearer " + bobToken)))
                    .startsWith(GrpcStatus.PERMISSION_DENIED.toString())),
        attack(
            "identity metadata claimed next to a token is ignored",
            () ->
                assertThat(
                        edgeCall(
                            placeOrder(alice, 1),
                            Map.of(
                                "authorization",
                                "Bearer " + bobToken,
                                "courier-subject",
                                alice,
                                "courier-scopes",
                                "admin")))
                    .startsWith(GrpcStatus.PERMISSION_DENIED.toString())),
        attack(
            "an undecodable message: INVALID_ARGUMENT",
            () ->
                assertThat(
                        edgeRaw(
                            "courier.v1.OrderService/PlaceOrder",
                            new byte[] {0x0f, 1, 2},
                            Map.of("authorization", "Bearer " + aliceToken)))
                    .startsWith(GrpcStatus.INVALID_ARGUMENT.toString())),
        attack(
            "a message over grpcMaxMessageBytes: RESOURCE_EXHAUSTED",
            () ->
                assertThat(
                        edgeRaw(
                            "courier.v1.OrderService/PlaceOrder",
                            new byte[10_000],
                            Map.of("authorization", "Bearer " + aliceToken)))
                    .startsWith(GrpcStatus.RESOURCE_EXHAUSTED.toString())),
        attack(
            "a method the edge does not serve: UNIMPLEMENTED",
            () ->
                assertThat(
                        edgeRaw(
                            "courier.v1.InventoryService/ReleaseStock",
                            ReleaseStockRequest.newBuilder().setOrderId("x").build().toByteArray(),
                            Map.of("authorization", "Bearer " + aliceToken)))
                    .startsWith(GrpcStatus.UNIMPLEMENTED.toString())),
        attack(
            "an invalid order (negative quantity): INVALID_ARGUMENT",
            () ->
                assertThat(
                        edgeCall(
                            placeOrder(alice, -3), Map.of("authorization", "Bearer " + aliceToken)))
                    .startsWith(GrpcStatus.INVALID_ARGUMENT.toString())),
        attack(
            "a flood before authentication from one address: RESOURCE_EXHAUSTED",
            () -> {
              String flooder = nextAddress();
              int limited = 0;
              for (int i = 0; i < 20; i++) {
                String status =
                    edgeCall(
                        placeOrder(alice, 1),
                        Map.of("authorization", "Bearer junk-" + i, "x-forwarded-for", flooder));
                limited += status.startsWith(GrpcStatus.RESOURCE_EXHAUSTED.toString()) ? 1 : 0;
              }
              assertThat(limited).isGreaterThanOrEqualTo(5);
            }),
        attack(
            "a gRPC-Web call whose message does not decode: INVALID_ARGUMENT",
            () -> {
              Answer answer =
                  new Req(HttpMethod.POST, grpcEdge.port(), "/courier.v1.OrderService/PlaceOrder")
                      .putHeader("Content-Type", "application/grpc-web+proto")
                      .putHeader("Authorization", "Bearer " + aliceToken)
                      .putHeader("X-Forwarded-For", nextAddress())
                      .sendBuffer(Buffer.buffer(new byte[] {0, 0, 0, 0, 3, 0x0f, 1, 2}))
                      .await(10, TimeUnit.SECONDS);
              assertThat(answer.getHeader("grpc-status"))
                  .isEqualTo(Integer.toString(GrpcStatus.INVALID_ARGUMENT.code));
            }),
        attack(
            "a connection that never sends a request is closed at the idle timeout",
            () -> {
              try (Socket socket = new Socket("127.0.0.1", grpcEdge.port())) {
                socket.setSoTimeout(15_000);
                InputStream in = socket.getInputStream();
                int read;
                do {
                  read = in.read();
                } while (read != -1);
                assertThat(read).isEqualTo(-1);
              }
            }));
  }

  // ---------------------------------------------------------------------------------------------
  // The services' gRPC servers (mutual TLS, sealed identities)

  @TestFactory
  @Order(3)
  @DisplayName("gRPC between services")
  Stream<DynamicNode> grpcInside() {
    return Stream.of(
        attack(
            "no client certificate: the TLS handshake is refused",
            () ->
                assertThat(
                        internalCall(
                            users,
                            "courier.v1.UserService/GetUser",
                            GetUserRequest.newBuilder().setUserId(alice).build().toByteArray(),
                            tlsClient(null),
                            Map.of()))
                    .startsWith("failed")),
        attack(
            "a certificate from another CA: the TLS handshake is refused",
            () -> {
              DevCertificates other =
                  DevCertificates.authority("rogue CA " + UUID.randomUUID(), Duration.ofDays(1));
              DevCertificates.Issued rogue =
                  other.issue("order-service", Duration.ofHours(1), work.resolve("rogue"));
              assertThat(
                      internalCall(
                          users,
                          "courier.v1.UserService/GetUser",
                          GetUserRequest.newBuilder().setUserId(alice).build().toByteArray(),
                          tlsClient(rogue),
                          Map.of()))
                  .startsWith("failed");
            }),
        attack(
            "plaintext to a mutual-TLS server: refused",
            () ->
                assertThat(
                        internalCall(
                            users,
                            "courier.v1.UserService/GetUser",
                            GetUserRequest.newBuilder().setUserId(alice).build().toByteArray(),
                            GrpcClient.client(vertx),
                            Map.of()))
                    .doesNotStartWith(GrpcStatus.OK.toString())),
        attack(
            "a valid certificate of a peer the method does not allow: PERMISSION_DENIED",
            () -> {
              DevCertificates.Issued gateway =
                  ca.issue("gateway", Duration.ofHours(1), work.resolve("gw-" + UUID.randomUUID()));
              assertThat(
                      internalCall(
                          inventory,
                          "courier.v1.InventoryService/ReleaseStock",
                          ReleaseStockRequest.newBuilder()
                              .setOrderId(UUID.randomUUID().toString())
                              .build()
                              .toByteArray(),
                          tlsClient(gateway),
                          Map.of()))
                  .startsWith(GrpcStatus.PERMISSION_DENIED.toString());
            }),
        attack(
            "a user-facing call asserting no identity (identities required): UNAUTHENTICATED",
            () ->
                assertThat(
                        internalCall(
                            users,
                            "courier.v1.UserService/GetUser",
                            GetUserRequest.newBuilder().setUserId(alice).build().toByteArray(),
                            tlsClient(platformCertificate()),
                            Map.of()))
                    .startsWith(GrpcStatus.UNAUTHENTICATED.toString())),
        attack(
            "a subject and scopes claimed in the clear: UNAUTHENTICATED",
            () ->
                assertThat(
                        internalCall(
                            users,
                            "courier.v1.UserService/GetUser",
                            GetUserRequest.newBuilder().setUserId(alice).build().toByteArray(),
                            tlsClient(platformCertificate()),
                            Map.of("courier-subject", alice, "courier-scopes", "admin")))
                    .startsWith(GrpcStatus.UNAUTHENTICATED.toString())),
        attack(
            "an identity sealed with another key: UNAUTHENTICATED",
            () -> {
              MultiMap headers =
                  new CallerIdentity(alice, Set.of("admin"))
                      .sealedWith(foreignSeal())
                      .writeTo(MultiMap.caseInsensitiveMultiMap());
              Map<String, String> metadata = new HashMap<>();
              headers.forEach(metadata::put);
              assertThat(
                      internalCall(
                          users,
                          "courier.v1.UserService/GetUser",
                          GetUserRequest.newBuilder().setUserId(alice).build().toByteArray(),
                          tlsClient(platformCertificate()),
                          metadata))
                  .startsWith(GrpcStatus.UNAUTHENTICATED.toString());
            }),
        attack(
            "an undecodable message to a service: INVALID_ARGUMENT",
            () ->
                assertThat(
                        internalCall(
                            users,
                            "courier.v1.UserService/GetUser",
                            new byte[] {0x0f, 1, 2},
                            tlsClient(platformCertificate()),
                            sealed(alice)))
                    .startsWith(GrpcStatus.INVALID_ARGUMENT.toString())));
  }

  // ---------------------------------------------------------------------------------------------
  // The event bus

  @TestFactory
  @Order(4)
  @DisplayName("the event bus")
  Stream<DynamicNode> eventBus() {
    return Stream.of(
        attack(
            "placing an order with no identity (identities required): 401",
            () -> assertThat(busPlace(placeOrder(alice, 1), new DeliveryOptions())).isEqualTo(401)),
        attack(
            "identity headers claimed in the clear: 401",
            () ->
                assertThat(
                        busPlace(
                            placeOrder(alice, 1),
                            new DeliveryOptions()
                                .addHeader("courier-subject", alice)
                                .addHeader("courier-scopes", "admin")))
                    .isEqualTo(401)),
        attack(
            "an identity sealed with another key: 401",
            () ->
                assertThat(
                        busPlace(
                            placeOrder(alice, 1),
                            new CallerIdentity(alice, Set.of("admin"))
                                .sealedWith(foreignSeal())
                                .writeTo(new DeliveryOptions())))
                    .isEqualTo(401)),
        attack(
            "a sealed user placing for another user: 403",
            () ->
                assertThat(
                        busPlace(
                            placeOrder(alice, 1),
                            new CallerIdentity(bob, Set.of("orders:write"))
                                .sealedWith(platformSeal())
                                .writeTo(new DeliveryOptions())))
                    .isEqualTo(403)),
        attack(
            "a body of the wrong type: a clear failure reply",
            () -> {
              Object answer =
                  runtime
                      .vertx()
                      .eventBus()
                      .request(
                          placeAddress(alice, "wrong-body"),
                          new JsonObject().put("userId", alice),
                          new DeliveryOptions().setSendTimeout(10_000))
                      .<Object>map(reply -> "answered: " + reply.body())
                      .otherwise(e -> e)
                      .await(20, TimeUnit.SECONDS);
              assertThat(answer).isInstanceOf(ReplyException.class);
              assertThat(((ReplyException) answer).failureCode()).isIn(400, 415, -1);
            }),
        attack(
            "an invalid order sealed as its user: 400",
            () ->
                assertThat(
                        busPlace(
                            placeOrder(alice, -1),
                            new CallerIdentity(alice, Set.of("orders:write"))
                                .sealedWith(platformSeal())
                                .writeTo(new DeliveryOptions())))
                    .isEqualTo(400)),
        attack(
            "reading another user's order over the bus: 403",
            () -> {
              String id = placeAccepted(aliceToken, alice);
              Object answer =
                  runtime
                      .vertx()
                      .eventBus()
                      .request(
                          Addresses.of(
                              Addresses.ORDER_GET,
                              Partitions.of(id, KafkaConfig.TopicsConfig.DEFAULTS.partitions())),
                          GetOrderRequest.newBuilder().setOrderId(id).build(),
                          new CallerIdentity(bob, Set.of("orders:read"))
                              .sealedWith(platformSeal())
                              .writeTo(new DeliveryOptions().setSendTimeout(10_000)))
                      .<Object>map(reply -> "answered")
                      .otherwise(e -> e instanceof ReplyException r ? r.failureCode() : e)
                      .await(20, TimeUnit.SECONDS);
              assertThat(answer).isEqualTo(403);
            }));
  }

  // ---------------------------------------------------------------------------------------------
  // Kafka records

  @TestFactory
  @Order(5)
  @DisplayName("Kafka records")
  Stream<DynamicNode> kafkaRecords() {
    return Stream.of(
        attack(
            "an undecodable payment outcome: parked in the DLT with its error, the rest go on",
            () -> {
              String key = "poison-" + UUID.randomUUID();
              produce(Topics.PAYMENTS, key, new byte[] {(byte) 0xff, 0x13, 0x37}, Map.of());
              awaitDeadLetter(Topics.PAYMENTS, key);
            }),
        attack(
            "a record claiming an unknown event type: parked, not applied",
            () -> {
              String key = "unknown-type-" + UUID.randomUUID();
              produce(
                  Topics.PAYMENTS,
                  key,
                  "{}".getBytes(UTF_8),
                  Map.of("ce_specversion", "1.0", "ce_type", "courier.v1.Nope", "ce_id", key));
              awaitDeadLetter(Topics.PAYMENTS, key);
            }),
        attack(
            "a record of 1 MB on the orders topic: parked or refused, never applied",
            () -> {
              String key = "big-" + UUID.randomUUID();
              Throwable refused =
                  catchThrowable(() -> produce(Topics.ORDERS, key, new byte[1_000_000], Map.of()));
              if (refused == null) {
                awaitDeadLetter(Topics.ORDERS, key);
              }
            }),
        attack(
            "a dead letter claiming another origin is not replayed anywhere",
            () -> {
              String topic = Topics.NOTIFICATIONS;
              String key = "planted-" + UUID.randomUUID();
              produce(
                  topic + DeliveryHeaders.DLT_SUFFIX,
                  key,
                  new byte[] {8, 1},
                  Map.of(
                      DeliveryHeaders.ORIGINAL_TOPIC,
                      Topics.PAYMENTS,
                      DeliveryHeaders.ERROR_CLASS,
                      "java.lang.IllegalStateException"));
              DeadLetters.replayBlocking(kafka.bootstrapServers(), topic);
              assertThat(TopicKeys.of(kafka.bootstrapServers(), Topics.PAYMENTS).contains(key))
                  .as("written to the topic the record named")
                  .isFalse();
              assertThat(TopicKeys.of(kafka.bootstrapServers(), topic).contains(key))
                  .as("written to the DLT's own topic")
                  .isFalse();
            }),
        attack(
            "garbage in the processed-ids topic: skipped, real events still handled",
            () -> {
              produce(
                  "courier.processed.order-service",
                  "garbage",
                  new byte[] {(byte) 0xde, (byte) 0xad},
                  Map.of());
              placeAccepted(aliceToken, alice);
            }));
  }

  // ---------------------------------------------------------------------------------------------
  // Configuration

  @TestFactory
  @Order(6)
  @DisplayName("configuration")
  Stream<DynamicNode> configuration() {
    return Stream.of(
        refused(
            "production with mutual TLS off",
            Map.of("COURIER_SECURITY_MTLS_ENABLED", "false"),
            "security.mtls.enabled"),
        refused(
            "production with embedded Kafka",
            Map.of("COURIER_KAFKA_EMBEDDED_ENABLED", "true"),
            "kafka.embedded.enabled"),
        refused(
            "production with the admin API off loopback",
            Map.of("COURIER_ADMIN_HOST", "0.0.0.0"),
            "admin.host"),
        refused(
            "production with identities not required",
            Map.of("COURIER_SECURITY_IDENTITY_REQUIRED", "false"),
            "security.identity.required"),
        refused(
            "production with a JWKS over http",
            Map.of("COURIER_GATEWAY_AUTH_JWKS_URL", "http://auth.example.com/jwks.json"),
            "gateway.auth.jwksUrl"),
        refused(
            "production with fault injection",
            Map.of("COURIER_ADMIN_FAULT_INJECTION", "true"),
            "admin.faultInjection"),
        refused(
            "an unknown COURIER_ variable",
            Map.of("COURIER_GATEWAY_PORTT", "1"),
            "COURIER_GATEWAY_PORTT"),
        refused(
            "a port that is not a number",
            Map.of("COURIER_GATEWAY_PORT", "80; rm"),
            "gateway.port"),
        attack(
            "the service-link variables of a namespace are ignored",
            () -> {
              Map<String, String> env = production();
              env.put("COURIER_GATEWAY_PORT", "tcp://10.96.0.10:8080");
              env.put("COURIER_GATEWAY_SERVICE_HOST", "10.96.0.10");
              env.put("COURIER_USER_SERVICE_PORT_9091_TCP_ADDR", "10.96.0.11");
              assertThat(loader(env).load(Path.of("../../conf/prod.json")).prod()).isTrue();
            }));
  }

  // ---------------------------------------------------------------------------------------------
  // After the battery

  @Test
  @Order(7)
  @Timeout(240)
  @DisplayName(
      "ran more than 60 attacks, still serves a real order, and lost or doubled nothing accepted")
  void shouldStillServeAndHaveLostNothing() throws Exception {
    assertThat(cases.get()).isGreaterThanOrEqualTo(60);
    String id = placeAccepted(aliceToken, alice);
    // The audit's many reads come each from an address of its own, as through an ingress.
    FlowClient admin =
        new FlowClient(
            runtime.endpoints().get("gateway"),
            FlowClient.adminToken(keys),
            () -> Map.of("X-Forwarded-For", nextAddress()));
    FlowClient.awaitUntil(
        "the last order reaches a final state",
        Duration.ofSeconds(60),
        () -> {
          JsonObject order = FlowAudit.getOrNull(admin, "/api/v1/orders/" + id);
          return order != null && !"PENDING".equals(order.getString("status"));
        });
    Answer stock =
        send(
            new Req(HttpMethod.GET, port, "/api/v1/inventory/" + seeds.skus().get(0))
                .putHeader("Authorization", "Bearer " + FlowClient.adminToken(keys)));
    assertThat(stock.statusCode()).as(stock.bodyAsString()).isEqualTo(200);
    FlowAudit.verify(admin, seeds, accepted, kafka.bootstrapServers());
  }

  // ---------------------------------------------------------------------------------------------
  // Helpers

  /** A named attack; afterwards the gateway must still answer its liveness probe. */
  private DynamicTest attack(String name, Attack attack) {
    return DynamicTest.dynamicTest(
        name,
        () -> {
          cases.incrementAndGet();
          attack.run();
          assertThat(raw("GET /health/live HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"))
              .as("the gateway still answers after: " + name)
              .startsWith("HTTP/1.1 200");
        });
  }

  @FunctionalInterface
  private interface Attack {
    void run() throws Exception;
  }

  private DynamicNode refused(String name, Map<String, String> change, String naming) {
    return attack(
        name + ": refused, naming " + naming,
        () -> {
          Map<String, String> env = production();
          env.putAll(change);
          Throwable failure =
              catchThrowable(() -> loader(env).load(Path.of("../../conf/prod.json")));
          assertThat(failure).isInstanceOf(ConfigException.class);
          assertThat(((ConfigException) failure).problems())
              .anySatisfy(problem -> assertThat(problem).contains(naming));
        });
  }

  private static ConfigLoader loader(Map<String, String> env) {
    Map<String, List<ConfigSection<?>>> sections = Roles.configSections(Roles.available().values());
    return new ConfigLoader(env, Map.of(), sections, Roles.defaults(Roles.available().values()));
  }

  /** What a production pod's environment gives conf/prod.json (as ShippedProfilesTest has it). */
  private Map<String, String> production() throws Exception {
    Path dir = work.resolve("prod-certs");
    if (!Files.exists(dir.resolve("tls.crt"))) {
      DevCertificates.Issued gateway = ca.issue("gateway", Duration.ofHours(1), dir);
      Files.move(gateway.certificate(), dir.resolve("tls.crt"));
      Files.move(gateway.key(), dir.resolve("tls.key"));
      ca.writeCertificate(dir.resolve("ca.crt"));
    }
    Map<String, String> env = new HashMap<>();
    env.put("COURIER_KAFKA_BOOTSTRAP_SERVERS", "kafka-0.kafka:9092");
    env.put("COURIER_DISCOVERY_CONSUL_HOST", "consul.consul");
    env.put("COURIER_CLUSTER_PUBLIC_HOST", "10.1.2.3");
    env.put("COURIER_GATEWAY_AUTH_JWKS_URL", "https://auth.example.com/.well-known/jwks.json");
    env.put(
        "COURIER_SECURITY_IDENTITY_KEY",
        Base64.getEncoder().encodeToString("0123456789abcdef0123456789abcdef".getBytes(UTF_8)));
    env.put("COURIER_SECURITY_MTLS_CERT_FILE", dir.resolve("tls.crt").toString());
    env.put("COURIER_SECURITY_MTLS_KEY_FILE", dir.resolve("tls.key").toString());
    env.put("COURIER_SECURITY_MTLS_CA_FILE", dir.resolve("ca.crt").toString());
    return env;
  }

  private String nextAddress() {
    int n = addresses.incrementAndGet();
    return "198.51." + (100 + n / 250) + "." + (1 + n % 250);
  }

  private Req get(String path) {
    return new Req(HttpMethod.GET, port, path).putHeader("X-Forwarded-For", nextAddress());
  }

  private Req post(String path, String token, String key) {
    return new Req(HttpMethod.POST, port, path)
        .putHeader("X-Forwarded-For", nextAddress())
        .putHeader("Authorization", "Bearer " + token)
        .putHeader("Idempotency-Key", key)
        .putHeader("Content-Type", "application/json");
  }

  private static Answer send(Req request) throws Exception {
    return request.send().await(10, TimeUnit.SECONDS);
  }

  private static Answer send(Req request, String body) throws Exception {
    return request.sendBuffer(Buffer.buffer(body)).await(10, TimeUnit.SECONDS);
  }

  /** An answer read whole. */
  private record Answer(int statusCode, MultiMap headers, Buffer body) {
    String getHeader(String name) {
      return headers.get(name);
    }

    String bodyAsString() {
      return body.toString(UTF_8);
    }

    JsonObject bodyAsJsonObject() {
      return new JsonObject(body);
    }
  }

  /** A request to the edge on {@code port} over HTTP/1.1 (vertx-web-client is not the app's). */
  private final class Req {
    private final RequestOptions options;

    Req(HttpMethod method, int port, String path) {
      options =
          new RequestOptions()
              .setMethod(method)
              .setHost("127.0.0.1")
              .setPort(port)
              .setURI(path)
              .setHeaders(MultiMap.caseInsensitiveMultiMap());
    }

    Req putHeader(String name, String value) {
      options.getHeaders().set(name, value);
      return this;
    }

    Future<Answer> send() {
      return sendBuffer(Buffer.buffer());
    }

    Future<Answer> sendBuffer(Buffer body) {
      return http.request(options)
          .compose(request -> request.send(body))
          .compose(
              response ->
                  response
                      .body()
                      .map(read -> new Answer(response.statusCode(), response.headers(), read)));
    }
  }

  private Answer placeRest(String token, String key, String body) throws Exception {
    return send(post("/api/v1/orders", token, key), body);
  }

  /** Places one unit for {@code user} and remembers it for the audit; returns its id. */
  private String placeAccepted(String token, String user) throws Exception {
    String key = "ok-" + UUID.randomUUID();
    Answer answer = placeRest(token, key, orderBody(user, 1));
    assertThat(answer.statusCode()).as(answer.bodyAsString()).isEqualTo(202);
    String id = answer.bodyAsJsonObject().getString("orderId");
    accepted.put(key, id);
    return id;
  }

  private String orderBody(String user, int quantity) {
    return FlowClient.orderBody(user, List.of(new Line(seeds.skus().get(0), quantity)));
  }

  private static void assertProblem(Answer answer, int status) {
    assertThat(answer.statusCode()).as(answer.bodyAsString()).isEqualTo(status);
    assertThat(answer.getHeader("Content-Type")).startsWith("application/problem+json");
    assertThat(answer.bodyAsJsonObject().getString("type")).isNotBlank();
    assertThat(answer.bodyAsString())
        .as("no exception class or internal address in the answer")
        .doesNotContain("Exception", "at io.", "127.0.0.1:");
  }

  private PlaceOrderRequest placeOrder(String user, int quantity) {
    return PlaceOrderRequest.newBuilder()
        .setUserId(user)
        .setIdempotencyKey("grpc-" + UUID.randomUUID())
        .addItems(LineItem.newBuilder().setSku(seeds.skus().get(0)).setQuantity(quantity))
        .build();
  }

  private String edgeCall(PlaceOrderRequest request, Map<String, String> metadata)
      throws Exception {
    return edgeRaw("courier.v1.OrderService/PlaceOrder", request.toByteArray(), metadata);
  }

  private String edgeRaw(String method, byte[] message, Map<String, String> metadata)
      throws Exception {
    Map<String, String> headers = new HashMap<>(metadata);
    headers.putIfAbsent("x-forwarded-for", nextAddress());
    return call(GrpcClient.client(vertx), grpcEdge, method, message, headers);
  }

  private String internalCall(
      SocketAddress server,
      String method,
      byte[] message,
      GrpcClient client,
      Map<String, String> metadata) {
    try {
      return call(client, server, method, message, metadata);
    } catch (Exception e) {
      return "failed: " + e;
    } finally {
      client.close();
    }
  }

  /** The status and message a unary call ends with, or {@code failed: ...} without a status. */
  private static String call(
      GrpcClient grpc,
      SocketAddress server,
      String method,
      byte[] message,
      Map<String, String> metadata)
      throws Exception {
    return grpc.request(server)
        .compose(
            request -> {
              GrpcClientRequest<Buffer, Buffer> call = request;
              call.fullMethodName(method);
              metadata.forEach(call.headers()::set);
              call.end(Buffer.buffer(message));
              return call.response()
                  .compose(
                      response ->
                          response
                              .end()
                              .transform(
                                  ended ->
                                      Future.succeededFuture(
                                          response.status() + " " + response.statusMessage())));
            })
        .recover(
            e ->
                e instanceof InvalidStatusException status
                    ? Future.succeededFuture(status.actualStatus() + " " + status.getMessage())
                    : Future.succeededFuture("failed: " + e))
        .await(20, TimeUnit.SECONDS);
  }

  private GrpcClient tlsClient(DevCertificates.Issued identity) {
    HttpClientOptions options =
        new HttpClientOptions()
            .setProtocolVersion(HttpVersion.HTTP_2)
            .setSsl(true)
            .setUseAlpn(true)
            .setVerifyHost(false)
            .setTrustOptions(new PemTrustOptions().addCertPath(certs.resolve("ca.pem").toString()));
    if (identity != null) {
      options.setKeyCertOptions(
          new PemKeyCertOptions()
              .setCertPath(identity.certificate().toString())
              .setKeyPath(identity.key().toString()));
    }
    return GrpcClient.client(vertx, options);
  }

  /** The process's own certificate: a peer every server of the platform admits. */
  private DevCertificates.Issued platformCertificate() {
    return process;
  }

  private IdentitySeal platformSeal() {
    return IdentitySeal.load(new IdentityConfig(true, "", keys.toString(), 60_000));
  }

  private static IdentitySeal foreignSeal() {
    return IdentitySeal.of(
        "a key that is not the platform's key at all".getBytes(UTF_8),
        false,
        60_000,
        Clock.systemUTC());
  }

  private Map<String, String> sealed(String user) {
    MultiMap headers =
        new CallerIdentity(user, Set.of("orders:read"))
            .sealedWith(platformSeal())
            .writeTo(MultiMap.caseInsensitiveMultiMap());
    Map<String, String> metadata = new HashMap<>();
    headers.forEach(metadata::put);
    return metadata;
  }

  private String placeAddress(String user, String key) {
    String id = io.courier.codec.flow.OrderIds.of(user, key);
    return Addresses.of(
        Addresses.ORDER_PLACE, Partitions.of(id, KafkaConfig.TopicsConfig.DEFAULTS.partitions()));
  }

  /** Sends PlaceOrder over the event bus as a co-located verticle would; the failure code. */
  private Object busPlace(PlaceOrderRequest request, DeliveryOptions options) throws Exception {
    return runtime
        .vertx()
        .eventBus()
        .request(
            placeAddress(request.getUserId(), request.getIdempotencyKey()),
            request,
            options.setSendTimeout(10_000))
        .<Object>map(reply -> "answered: " + reply.body())
        .otherwise(e -> e instanceof ReplyException r ? r.failureCode() : e.toString())
        .await(20, TimeUnit.SECONDS);
  }

  private void produce(String topic, String key, byte[] value, Map<String, String> headers)
      throws Exception {
    RecordHeaders recordHeaders = new RecordHeaders();
    headers.forEach((name, text) -> recordHeaders.add(name, text.getBytes(UTF_8)));
    try (KafkaProducer<String, byte[]> producer =
        new KafkaProducer<>(
            Map.of(
                ProducerConfig.BOOTSTRAP_SERVERS_CONFIG,
                kafka.bootstrapServers(),
                ProducerConfig.MAX_REQUEST_SIZE_CONFIG,
                2_000_000),
            new StringSerializer(),
            new ByteArraySerializer())) {
      producer
          .send(new ProducerRecord<>(topic, null, key, value, recordHeaders))
          .get(20, TimeUnit.SECONDS);
    }
  }

  /** Waits until a record of {@code key} is parked in {@code topic}'s DLT with its error. */
  private void awaitDeadLetter(String topic, String key) {
    FlowClient.awaitUntil(
        "a dead letter of " + key + " in " + topic + DeliveryHeaders.DLT_SUFFIX,
        Duration.ofSeconds(60),
        () ->
            DeadLetters.listBlocking(kafka.bootstrapServers(), topic, 10_000).stream()
                .anyMatch(
                    letter ->
                        key.equals(letter.key())
                            && letter.headers().containsKey(DeliveryHeaders.ERROR_CLASS)));
  }

  private static SocketAddress address(String endpoint) {
    return SocketAddress.inetSocketAddress(
        Integer.parseInt(endpoint.substring(endpoint.lastIndexOf(':') + 1)), "127.0.0.1");
  }

  /** Writes raw bytes to the REST edge and reads until it closes or stays silent for 4 s. */
  private String raw(String request) throws IOException {
    return RawHttp.exchange(port, request);
  }

  private static JsonObject claims(String subject) {
    long now = System.currentTimeMillis() / 1000;
    return new JsonObject()
        .put("iss", "courier-dev")
        .put("aud", "courier-api")
        .put("sub", subject)
        .put("scope", "orders:read orders:write admin")
        .put("iat", now)
        .put("exp", now + 3600);
  }

  private static String jwt(JsonObject header, JsonObject claims, String signature) {
    Base64.Encoder b64 = Base64.getUrlEncoder().withoutPadding();
    return b64.encodeToString(header.encode().getBytes(UTF_8))
        + "."
        + b64.encodeToString(claims.encode().getBytes(UTF_8))
        + "."
        + signature;
  }

  private String unsigned(String alg) {
    return jwt(new JsonObject().put("alg", alg).put("typ", "JWT"), claims(alice), "");
  }

  /** HS256 with the trusted public key's JWK bytes as the HMAC secret. */
  private String keyConfusion() throws Exception {
    DevSigningKey trusted = DevSigningKey.loadOrCreate(keys);
    String unsigned =
        jwt(new JsonObject().put("alg", "HS256").put("kid", trusted.kid()), claims(alice), "")
            .replaceAll("\\.$", "");
    javax.crypto.Mac mac = javax.crypto.Mac.getInstance("HmacSHA256");
    mac.init(
        new javax.crypto.spec.SecretKeySpec(
            trusted.publicJwk().encode().getBytes(UTF_8), "HmacSHA256"));
    return unsigned
        + "."
        + Base64.getUrlEncoder()
            .withoutPadding()
            .encodeToString(mac.doFinal(unsigned.getBytes(UTF_8)));
  }

  /** A well-formed ES256 token for {@code subject} from a key the platform never saw. */
  private String foreignToken(String subject) throws Exception {
    return DevSigningKey.loadOrCreate(work.resolve("foreign-keys-" + UUID.randomUUID()))
        .mint("courier-dev", "courier-api", subject, Set.of("orders:write"), Duration.ofHours(1));
  }
}
