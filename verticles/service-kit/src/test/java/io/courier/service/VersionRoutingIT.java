package io.courier.service;

import static org.assertj.core.api.Assertions.assertThat;

import io.courier.codec.flow.Services;
import io.courier.contract.v1.GetStockRequest;
import io.courier.contract.v1.GetStockResponse;
import io.courier.contract.v1.GetUserRequest;
import io.courier.contract.v1.GetUserResponse;
import io.courier.contract.v1.InventoryServiceGrpcClient;
import io.courier.contract.v1.InventoryServiceGrpcService;
import io.courier.contract.v1.InventoryServiceService;
import io.courier.contract.v1.StockLevel;
import io.courier.contract.v1.User;
import io.courier.contract.v1.UserServiceGrpcClient;
import io.courier.contract.v1.UserServiceGrpcService;
import io.courier.contract.v1.UserServiceService;
import io.courier.discovery.ConsulStandIn;
import io.courier.discovery.ServiceInstance;
import io.courier.resilience.Deadline;
import io.courier.resilience.PolicyFileWatcher;
import io.courier.resilience.ResilienceConfig;
import io.courier.runtime.admin.AdminSections;
import io.courier.runtime.metrics.Meters;
import io.courier.runtime.security.MutualTls;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.eventbus.MessageConsumer;
import io.vertx.core.http.HttpServer;
import io.vertx.core.json.JsonObject;
import io.vertx.core.net.SocketAddress;
import io.vertx.grpc.client.GrpcClient;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Two versions of the inventory service on loopback, found through Consul (the stand-in): {@code
 * 1a} (version 1, zone a), {@code 1b} (version 1, zone b) and {@code 2b} (version 2, zone b), each
 * a real gRPC server that counts its calls and records the {@code x-courier-version} it received.
 * In front of them a middle hop (a user-service gRPC server whose GetUser asks the inventory
 * through a {@link GrpcPeer}), so a version asked for at the first hop is seen to hold one hop
 * further. The caller runs in zone a; the routing policy changes by rewriting the policy file.
 */
@DisplayName("Version routing over two versions of the inventory service")
class VersionRoutingIT extends ConsulPeerFixture {

  private static final long PERIOD_MS = 50;

  @TempDir Path dir;

  private final Map<String, AtomicInteger> served = new TreeMap<>();
  private final List<String> headersAt2 = new CopyOnWriteArrayList<>();
  private final AtomicBoolean sick1a = new AtomicBoolean();

  @Test
  @Timeout(60)
  @DisplayName(
      "routes by header one hop further, splits by weight, prefers the caller's zone, refuses an"
          + " unknown version and follows a reloaded policy")
  void shouldRouteByVersion() throws Exception {
    ConsulStandIn consul = new ConsulStandIn(vertx);
    int consulPort = consul.start(0).await(10, TimeUnit.SECONDS);
    inventory(consulPort, "1a", "1", "a");
    inventory(consulPort, "1b", "1", "b");
    inventory(consulPort, "2b", "2", "b");
    Path file = dir.resolve("resilience.json");
    Files.writeString(file, policies("{\"weights\": {\"1\": 80, \"2\": 20}}"));
    Policies policies =
        Policies.load(
                vertx,
                new ResilienceConfig(file.toString(), PERIOD_MS, ""),
                null,
                Meters.none(),
                new AdminSections(),
                "a")
            .await(10, TimeUnit.SECONDS);
    GrpcClient client = GrpcClients.create(vertx, MutualTls.disabled(), Services.INVENTORY);
    GrpcPeer peer =
        policies.grpcPeer(
            discovery(consulPort, Duration.ofSeconds(5)),
            Services.INVENTORY,
            Services.INVENTORY,
            client);
    SocketAddress middle = middle(peer);

    // 1. Weights 80/20 without a header: about a fifth of the calls reach version 2.
    assertThat(calls(peer, 500, null)).isEmpty();
    double toTwo = served.get("2b").get() / 500.0;
    assertThat(toTwo).as("share of version 2").isBetween(0.13, 0.27);
    assertThat(headersAt2).as("no header was sent").isEmpty();

    // 2. x-courier-version: 2 at the first hop: every call reaches version 2, carrying the header.
    reset();
    for (int i = 0; i < 20; i++) {
      assertThat(throughMiddle(client, middle, "2")).isEqualTo("OK 2b");
    }
    assertThat(counts()).containsEntry("2b", 20).containsEntry("1a", 0).containsEntry("1b", 0);
    assertThat(headersAt2).hasSize(20).containsOnly("2");

    // 3. An unknown version is refused, naming target and version; no instance sees the call.
    reset();
    assertThat(throughMiddle(client, middle, "9"))
        .startsWith("FAILED_PRECONDITION ")
        .contains("version-unavailable")
        .contains("no instance of version '9' of inventory-service is known");
    Throwable direct =
        call(peer, "9").map(ok -> (Throwable) null).otherwise(e -> e).await(10, TimeUnit.SECONDS);
    assertThat(direct)
        .isInstanceOfSatisfying(
            ServiceError.Failure.class,
            failure -> assertThat(failure.error().status()).isEqualTo(503));
    assertThat(throughMiddle(client, middle, "bad version"))
        .startsWith("INVALID_ARGUMENT ")
        .contains("x-courier-version must match");
    assertThat(counts()).containsOnly(Map.entry("1a", 0), Map.entry("1b", 0), Map.entry("2b", 0));

    // 4. Reloaded: version 1 only, in the caller's zone first; zone b once zone a's one is sick.
    reload(file, "{\"weights\": {\"1\": 100, \"2\": 0}, \"preferZone\": true}");
    reset();
    assertThat(calls(peer, 60, null)).isEmpty();
    assertThat(counts()).containsEntry("1a", 60).containsEntry("1b", 0).containsEntry("2b", 0);
    sick1a.set(true);
    assertThat(calls(peer, 60, null)).as("failures while 1a is sick").isEmpty();
    assertThat(served.get("1b").get()).as("calls served in zone b").isPositive();
    assertThat(served.get("2b").get()).as("calls that left version 1").isZero();

    // 5. A bad routing value is refused naming its key, and the policy in force stays.
    sick1a.set(false);
    JsonObject refused = rewrite(file, "{\"weights\": {\"1\": -1, \"2\": 1}}");
    assertThat(refused.getBoolean("applied")).isFalse();
    assertThat(refused.getString("error"))
        .contains("key 'targets.inventory-service.routing.weights.1' must be 0..1000000, was -1");
    reset();
    assertThat(calls(peer, 20, null)).isEmpty();
    assertThat(served.get("2b").get()).as("calls to version 2 under the kept policy").isZero();

    // 6. Reloaded again: all of it to version 2, without a restart.
    reload(file, "{\"weights\": {\"2\": 1}}");
    reset();
    assertThat(calls(peer, 40, null)).isEmpty();
    assertThat(counts()).containsEntry("2b", 40).containsEntry("1a", 0).containsEntry("1b", 0);
    assertThat(consul.unknownRequests()).isEmpty();
    policies.close();
  }

  /** A policy file whose inventory target routes by {@code routing}. */
  private static String policies(String routing) {
    return """
        {
          "policies": {
            "p": {
              "attemptTimeoutMs": 1000,
              "retry": {"maxAttempts": 3, "baseDelayMs": 1, "maxDelayMs": 5},
              "budget": {"ratio": 1.0, "minRetries": 10000, "windowMs": 10000},
              "breaker": {"failureRatio": 1.0, "slowCallRatio": 1.0, "slowCallMs": 5000,
                          "minCalls": 1000, "windowMs": 10000, "openMs": 1000},
              "bulkhead": {"maxConcurrent": 64, "maxQueued": 256}
            }
          },
          "targets": {
            "inventory-service": {"address": "grpc:inventory-service", "policy": "p",
                                  "idempotent": true, "deadlineMs": 5000, "routing": %s}
          }
        }
        """
        .formatted(routing);
  }

  /** Starts and registers one inventory instance named {@code name}. */
  private void inventory(int consulPort, String name, String version, String zone)
      throws Exception {
    AtomicInteger count = new AtomicInteger();
    served.put(name, count);
    InventoryServiceService service =
        new InventoryServiceService() {
          @Override
          public Future<GetStockResponse> getStock(GetStockRequest request) {
            count.incrementAndGet();
            if ("2".equals(version)) {
              RequestedVersion.current().ifPresent(asked -> headersAt2.add(asked.value()));
            }
            if ("1a".equals(name) && sick1a.get()) {
              return Future.failedFuture(ServiceError.unavailable("sick", "on command").toGrpc());
            }
            return Future.succeededFuture(
                GetStockResponse.newBuilder()
                    .setStock(StockLevel.newBuilder().setSku(name))
                    .build());
          }
        };
    HttpServer server =
        GrpcServers.builder(vertx)
            .host("127.0.0.1")
            .port(0)
            .service(InventoryServiceGrpcService.of(service))
            .listen()
            .await(10, TimeUnit.SECONDS);
    discovery(consulPort, Duration.ofSeconds(5))
        .register(
            new ServiceInstance(
                null,
                Services.INVENTORY,
                "127.0.0.1",
                server.actualPort(),
                Map.of("version", version, "zone", zone)))
        .await(10, TimeUnit.SECONDS);
  }

  /** The middle hop: GetUser answers with the SKU (the instance) its stock call reached. */
  private SocketAddress middle(GrpcPeer peer) throws Exception {
    UserServiceService users =
        new UserServiceService() {
          @Override
          public Future<GetUserResponse> getUser(GetUserRequest request) {
            return peer.<GetStockRequest, GetStockResponse>call(
                    Deadline.after(Duration.ofSeconds(3)),
                    InventoryServiceGrpcClient.GetStock,
                    GetStockRequest.newBuilder().setSku("sku-1").build())
                .map(
                    stock ->
                        GetUserResponse.newBuilder()
                            .setUser(User.newBuilder().setId(stock.getStock().getSku()))
                            .build())
                .recover(error -> Future.failedFuture(ServiceError.of(error).toGrpc()));
          }
        };
    HttpServer server =
        GrpcServers.builder(vertx)
            .host("127.0.0.1")
            .port(0)
            .service(UserServiceGrpcService.of(users))
            .listen()
            .await(10, TimeUnit.SECONDS);
    return SocketAddress.inetSocketAddress(server.actualPort(), "127.0.0.1");
  }

  /** GetUser on the middle hop with {@code version} as its header: the status and its message. */
  private static String throughMiddle(GrpcClient client, SocketAddress middle, String version)
      throws Exception {
    return client
        .request(middle, UserServiceGrpcClient.GetUser)
        .compose(
            call -> {
              call.headers().set(RequestedVersion.HEADER, version);
              call.timeout(5, TimeUnit.SECONDS);
              return call.end(GetUserRequest.newBuilder().setUserId("u").build())
                  .compose(v -> call.response());
            })
        .compose(
            // last() takes the answer as it arrives (a handler set after the headers can miss it)
            response ->
                response
                    .last()
                    .transform(
                        done ->
                            Future.succeededFuture(
                                response.status().name()
                                    + " "
                                    + (done.succeeded()
                                        ? done.result().getUser().getId()
                                        : response.statusMessage()))))
        .await(10, TimeUnit.SECONDS);
  }

  private static Future<GetStockResponse> call(GrpcPeer peer, String version) {
    return peer.call(
        Deadline.after(Duration.ofSeconds(3)),
        InventoryServiceGrpcClient.GetStock,
        GetStockRequest.newBuilder().setSku("sku-1").build(),
        null,
        version == null ? null : new RequestedVersion(version));
  }

  /** {@code count} calls, 10 at a time; the failures. */
  private static List<String> calls(GrpcPeer peer, int count, String version) throws Exception {
    List<String> failures = new ArrayList<>();
    for (int done = 0; done < count; done += 10) {
      List<Future<GetStockResponse>> batch = new ArrayList<>();
      for (int i = 0; i < 10; i++) {
        batch.add(call(peer, version));
      }
      for (Future<GetStockResponse> one : batch) {
        Throwable error =
            one.map(answer -> (Throwable) null).otherwise(e -> e).await(10, TimeUnit.SECONDS);
        if (error != null) {
          failures.add(error.toString());
        }
      }
    }
    return failures;
  }

  private Map<String, Integer> counts() {
    Map<String, Integer> counts = new TreeMap<>();
    served.forEach((name, count) -> counts.put(name, count.get()));
    return counts;
  }

  private void reset() {
    served.values().forEach(count -> count.set(0));
    headersAt2.clear();
  }

  /** Rewrites the policy file with {@code routing} and waits until it is applied. */
  private void reload(Path file, String routing) throws Exception {
    JsonObject judged = rewrite(file, routing);
    assertThat(judged.getString("error")).isNull();
    assertThat(judged.getBoolean("applied")).isTrue();
  }

  /** Rewrites the policy file with {@code routing}; how the watcher judged it. */
  private JsonObject rewrite(Path file, String routing) throws Exception {
    Promise<JsonObject> judged = Promise.promise();
    MessageConsumer<JsonObject> consumer =
        vertx
            .eventBus()
            .consumer(PolicyFileWatcher.RELOAD_ADDRESS, m -> judged.tryComplete(m.body()));
    consumer.completion().await(5, TimeUnit.SECONDS);
    Files.writeString(file, policies(routing));
    try {
      return judged.future().await(10, TimeUnit.SECONDS);
    } finally {
      consumer.unregister().await(5, TimeUnit.SECONDS);
    }
  }
}
