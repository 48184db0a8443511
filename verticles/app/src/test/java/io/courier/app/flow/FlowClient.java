package io.courier.app.flow;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Semaphore;
import java.util.function.BooleanSupplier;

/** A REST client of the gateway for the flow tests, plus a poll-until-true with a deadline. */
final class FlowClient {

  private final String base;
  private final String token;
  private final HttpClient http =
      HttpClient.newBuilder()
          .connectTimeout(Duration.ofSeconds(5))
          .version(HttpClient.Version.HTTP_1_1)
          .build();

  FlowClient(String base) {
    this(base, null);
  }

  /** A client sending {@code token} as its bearer token on every API call (null: none). */
  FlowClient(String base, String token) {
    this(base, token, java.util.Map::of);
  }

  /** Sends {@code headers} too, asked anew for every request (e.g. a forwarded address each). */
  FlowClient(
      String base,
      String token,
      java.util.function.Supplier<java.util.Map<String, String>> headers) {
    this.base = base;
    this.token = token;
    this.headers = headers;
  }

  private final java.util.function.Supplier<java.util.Map<String, String>> headers;

  String token() {
    return token;
  }

  /**
   * A token with every scope (admin), signed with the development key in {@code keyDir}: what the
   * tests' gateways started with {@code gateway.auth.devKeyDir = keyDir} trust.
   */
  static String adminToken(java.nio.file.Path keyDir) throws IOException {
    return token(keyDir, "flow-test", java.util.Set.of("admin"));
  }

  /** A token for {@code subject} with {@code scopes}, signed with the development key. */
  static String token(java.nio.file.Path keyDir, String subject, java.util.Set<String> scopes)
      throws IOException {
    return io.courier.gateway.DevSigningKey.loadOrCreate(keyDir)
        .mint("courier-dev", "courier-api", subject, scopes, Duration.ofHours(1));
  }

  /** One order line. */
  record Line(String sku, int quantity) {}

  /** The answer to one POST. */
  record Placed(int status, String orderId, JsonObject body) {}

  static String orderBody(String userId, List<Line> lines) {
    JsonArray items = new JsonArray();
    lines.forEach(
        l -> items.add(new JsonObject().put("sku", l.sku()).put("quantity", l.quantity())));
    return new JsonObject().put("userId", userId).put("items", items).encode();
  }

  CompletableFuture<Placed> place(String key, String body) {
    HttpRequest.Builder request =
        HttpRequest.newBuilder(URI.create(base + "/api/v1/orders"))
            .timeout(Duration.ofSeconds(30))
            .header("Content-Type", "application/json")
            .header("Idempotency-Key", key)
            .POST(HttpRequest.BodyPublishers.ofString(body));
    if (token != null) {
      request.header("Authorization", "Bearer " + token);
    }
    headers.get().forEach(request::header);
    return http.sendAsync(request.build(), HttpResponse.BodyHandlers.ofString())
        .thenApply(
            response -> {
              JsonObject json = new JsonObject(response.body());
              return new Placed(response.statusCode(), json.getString("orderId"), json);
            });
  }

  HttpResponse<String> send(HttpRequest.Builder request) throws IOException, InterruptedException {
    return http.send(
        request.timeout(Duration.ofSeconds(30)).build(), HttpResponse.BodyHandlers.ofString());
  }

  HttpRequest.Builder request(String path) {
    HttpRequest.Builder request = HttpRequest.newBuilder(URI.create(base + path));
    headers.get().forEach(request::header);
    return token == null ? request : request.header("Authorization", "Bearer " + token);
  }

  /** The JSON of a 200 answer to {@code GET path}; null for any other answer or a failure. */
  CompletableFuture<JsonObject> getJsonOrNull(String path) {
    return http.sendAsync(
            request(path).timeout(Duration.ofSeconds(30)).GET().build(),
            HttpResponse.BodyHandlers.ofString())
        .handle(
            (response, error) ->
                error == null && response.statusCode() == 200
                    ? new JsonObject(response.body())
                    : null);
  }

  JsonObject getJson(String path) throws IOException, InterruptedException {
    HttpResponse<String> response = send(request(path).GET());
    if (response.statusCode() != 200) {
      throw new IllegalStateException(
          "GET " + path + " -> " + response.statusCode() + " " + response.body());
    }
    return new JsonObject(response.body());
  }

  /**
   * Places {@code count} random orders with at most {@code concurrency} in flight.
   *
   * @return every answer, keyed by idempotency key
   */
  Map<String, Placed> placeMany(
      int count, int concurrency, List<String> users, List<String> skus, long seed)
      throws InterruptedException {
    Random random = new Random(seed);
    Semaphore permits = new Semaphore(concurrency);
    Map<String, Placed> answers = new ConcurrentHashMap<>();
    List<CompletableFuture<?>> all = new ArrayList<>();
    for (int i = 0; i < count; i++) {
      List<Line> lines = new ArrayList<>();
      int n = 1 + random.nextInt(3);
      for (int j = 0; j < n; j++) {
        lines.add(new Line(skus.get(random.nextInt(skus.size())), 1 + random.nextInt(3)));
      }
      String key = "flow-" + seed + "-" + i;
      String body = orderBody(users.get(random.nextInt(users.size())), lines);
      permits.acquire();
      all.add(
          place(key, body)
              .whenComplete(
                  (placed, error) -> {
                    permits.release();
                    answers.put(
                        key,
                        error == null
                            ? placed
                            : new Placed(
                                -1, null, new JsonObject().put("error", error.toString())));
                  }));
    }
    CompletableFuture.allOf(all.toArray(CompletableFuture[]::new)).join();
    return answers;
  }

  /** Checks {@code condition} every 200 ms until it holds; fails when {@code deadline} passes. */
  static void awaitUntil(String what, Duration deadline, BooleanSupplier condition) {
    long end = System.nanoTime() + deadline.toNanos();
    while (!condition.getAsBoolean()) {
      if (System.nanoTime() > end) {
        throw new AssertionError("not within " + deadline + ": " + what);
      }
      CompletableFuture.runAsync(
              () -> {},
              CompletableFuture.delayedExecutor(200, java.util.concurrent.TimeUnit.MILLISECONDS))
          .join();
    }
  }
}
