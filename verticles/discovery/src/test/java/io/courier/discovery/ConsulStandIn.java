package io.courier.discovery;

import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpServer;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import io.vertx.ext.web.handler.BodyHandler;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * A stand-in for the part of a Consul agent's HTTP API that Courier uses, answering as Consul's
 * documentation specifies: service registration with a TTL check and {@code
 * DeregisterCriticalServiceAfter}, deregistration, passing a TTL check, and {@code GET
 * /v1/health/service/:name?passing} with {@code X-Consul-Index} and blocking queries ({@code
 * index}, {@code wait}), {@code GET /v1/catalog/services} (every service name with its tags, as the
 * Consul bridge reads it), the KV store's {@code GET|PUT|DELETE /v1/kv/:key} (one key at a time,
 * blocking {@code GET}s, values base64 in the answer as Consul gives them), and {@code GET
 * /v1/status/leader} (readiness). Anything else answers 404 and is recorded, so a test sees when
 * the client needs more of the API than this implements. Bound to 127.0.0.1 only.
 */
public final class ConsulStandIn {

  /** How the health endpoint misbehaves on command. */
  enum Fault {
    NONE,
    SERVER_ERROR,
    MALFORMED_JSON,
    EMPTY_LIST,
    MISSING_FIELDS
  }

  private final Vertx vertx;
  private final Map<String, Registration> services = new ConcurrentHashMap<>();
  private final List<String> unknownRequests = new CopyOnWriteArrayList<>();
  private final List<Runnable> waiters = new CopyOnWriteArrayList<>();
  private final java.util.concurrent.atomic.AtomicLong catalogReads =
      new java.util.concurrent.atomic.AtomicLong();
  private volatile long index = 1;
  private volatile Fault fault = Fault.NONE;
  private HttpServer server;
  private volatile String requiredToken;
  private long expiry = -1;
  private int port;

  private static final class Registration {
    final JsonObject service;
    final String checkId;
    final long ttlMs;
    final long deregisterAfterMs;
    volatile long lastPassMs;

    Registration(JsonObject service, String checkId, long ttlMs, long deregisterAfterMs) {
      this.service = service;
      this.checkId = checkId;
      this.ttlMs = ttlMs;
      this.deregisterAfterMs = deregisterAfterMs;
      this.lastPassMs = -1;
    }

    String status(long now) {
      if (ttlMs <= 0) {
        return "passing";
      }
      return lastPassMs >= 0 && now - lastPassMs <= ttlMs ? "passing" : "critical";
    }
  }

  public ConsulStandIn(Vertx vertx) {
    this.vertx = vertx;
  }

  public Future<Integer> start(int requestedPort) {
    return start(requestedPort, new io.vertx.core.http.HttpServerOptions());
  }

  /**
   * Demands this ACL token in {@code X-Consul-Token} on every API call but the leader status, and
   * answers 403 "ACL not found" without it, as an agent with default-deny ACLs does.
   */
  public void requireToken(String token) {
    this.requiredToken = token;
  }

  /** Starts on the port with these server options (TLS, for instance). */
  public Future<Integer> start(int requestedPort, io.vertx.core.http.HttpServerOptions options) {
    Router router = Router.router(vertx);
    router.route().handler(BodyHandler.create());
    router.route("/v1/agent/*").handler(this::checkToken);
    router.route("/v1/health/*").handler(this::checkToken);
    router.route("/v1/catalog/*").handler(this::checkToken);
    router.route("/v1/kv/*").handler(this::checkToken);
    router.get("/v1/kv/*").handler(this::kvGet);
    router.put("/v1/kv/*").handler(this::kvPut);
    router.delete("/v1/kv/*").handler(this::kvDelete);
    router.get("/v1/catalog/services").handler(this::catalog);
    router.put("/v1/agent/service/register").handler(this::register);
    router.put("/v1/agent/service/deregister/:id").handler(this::deregister);
    router.put("/v1/agent/check/pass/:checkId").handler(this::pass);
    router.get("/v1/health/service/:name").handler(this::health);
    // A one-server cluster: the leader is the agent itself (a JSON string, as Consul answers).
    router
        .get("/v1/status/leader")
        .handler(
            ctx ->
                ctx.response()
                    .putHeader("Content-Type", "application/json")
                    .end("\"127.0.0.1:8300\""));
    router
        .route()
        .last()
        .handler(
            ctx -> {
              unknownRequests.add(ctx.request().method() + " " + ctx.request().uri());
              ctx.response().setStatusCode(404).end();
            });
    if (expiry < 0) {
      // Checks keep lapsing while stopped, as they do on an agent its clients cannot reach.
      expiry = vertx.setPeriodic(100, t -> expire());
    }
    return vertx
        .createHttpServer(options)
        .requestHandler(router)
        .listen(requestedPort, "127.0.0.1")
        .map(
            listening -> {
              server = listening;
              port = listening.actualPort();
              return port;
            });
  }

  /** Stops answering (connections refused) until {@link #start} is called again on the port. */
  public Future<Void> stop() {
    return server.close();
  }

  private void checkToken(RoutingContext ctx) {
    String token = requiredToken;
    if (token != null && !token.equals(ctx.request().getHeader("X-Consul-Token"))) {
      ctx.response().setStatusCode(403).end("ACL not found");
      return;
    }
    ctx.next();
  }

  /** The KV store: key to its value and the index it was last written at. */
  private final Map<String, JsonObject> kv = new ConcurrentHashMap<>();

  /** The key, %-decoded as Consul decodes it (vertx-consul-client sends {@code a%2Fb}). */
  private static String kvKey(RoutingContext ctx) {
    String raw = ctx.request().path().substring("/v1/kv/".length());
    return java.net.URLDecoder.decode(
        raw.replace("+", "%2B"), java.nio.charset.StandardCharsets.UTF_8);
  }

  /** {@code GET /v1/kv/:key}, a blocking query like the health one. */
  private void kvGet(RoutingContext ctx) {
    blocking(ctx, this::kvAnswer);
  }

  private void kvAnswer(RoutingContext ctx) {
    if (ctx.response().ended()) {
      return;
    }
    if (fault == Fault.SERVER_ERROR) {
      ctx.response().setStatusCode(500).end("rpc error: No cluster leader");
      return;
    }
    JsonObject entry = kv.get(kvKey(ctx));
    ctx.response().putHeader("X-Consul-Index", Long.toString(index));
    if (entry == null) {
      ctx.response().setStatusCode(404).end();
      return;
    }
    ctx.response()
        .putHeader("Content-Type", "application/json")
        .end(new JsonArray().add(entry).encode());
  }

  /** {@code PUT /v1/kv/:key} with the raw value as body; answers {@code true}. */
  private void kvPut(RoutingContext ctx) {
    String key = kvKey(ctx);
    byte[] value = ctx.body().buffer() == null ? new byte[0] : ctx.body().buffer().getBytes();
    long at = index + 1;
    JsonObject old = kv.get(key);
    kv.put(
        key,
        new JsonObject()
            .put("LockIndex", 0)
            .put("Key", key)
            .put("Flags", 0)
            .put("Value", java.util.Base64.getEncoder().encodeToString(value))
            .put("CreateIndex", old == null ? at : old.getLong("CreateIndex"))
            .put("ModifyIndex", at));
    changed();
    ctx.response().putHeader("Content-Type", "application/json").end("true");
  }

  private void kvDelete(RoutingContext ctx) {
    kv.remove(kvKey(ctx));
    changed();
    ctx.response().putHeader("Content-Type", "application/json").end("true");
  }

  /** How many times {@code GET /v1/catalog/services} was answered. */
  public long catalogReads() {
    return catalogReads.get();
  }

  /**
   * {@code GET /v1/catalog/services}: {@code {"name": ["tag", ...], ...}} over every registration,
   * whatever its checks say, with {@code X-Consul-Index}; the health fault applies here too.
   */
  private void catalog(RoutingContext ctx) {
    catalogReads.incrementAndGet();
    if (fault == Fault.SERVER_ERROR) {
      ctx.response().setStatusCode(500).end("rpc error: No cluster leader");
      return;
    }
    JsonObject result = new JsonObject();
    for (Registration registration : services.values()) {
      String name = registration.service.getString("Service");
      JsonArray tags = result.getJsonArray(name, new JsonArray());
      registration
          .service
          .getJsonArray("Tags")
          .forEach(
              tag -> {
                if (!tags.contains(tag)) {
                  tags.add(tag);
                }
              });
      result.put(name, tags);
    }
    ctx.response()
        .putHeader("X-Consul-Index", Long.toString(index))
        .putHeader("Content-Type", "application/json")
        .end(result.encode());
  }

  public int port() {
    return port;
  }

  void fault(Fault fault) {
    this.fault = fault;
  }

  public List<String> unknownRequests() {
    return unknownRequests;
  }

  private void register(RoutingContext ctx) {
    JsonObject body = ctx.body().asJsonObject();
    String id = body.getString("ID", body.getString("Name"));
    JsonObject check = body.getJsonObject("Check");
    if (check == null
        && body.getJsonArray("Checks") != null
        && !body.getJsonArray("Checks").isEmpty()) {
      check = body.getJsonArray("Checks").getJsonObject(0);
    }
    String checkId = "service:" + id;
    long ttl = 0;
    long deregisterAfter = 0;
    if (check != null) {
      checkId = check.getString("CheckID", check.getString("ID", checkId));
      ttl = durationMs(check.getString("TTL"));
      deregisterAfter = durationMs(check.getString("DeregisterCriticalServiceAfter"));
    }
    JsonObject service =
        new JsonObject()
            .put("ID", id)
            .put("Service", body.getString("Name"))
            .put("Tags", body.getJsonArray("Tags", new JsonArray()))
            .put("Address", body.getString("Address", ""))
            .put("Meta", body.getJsonObject("Meta", new JsonObject()))
            .put("Port", body.getInteger("Port", 0));
    services.put(id, new Registration(service, checkId, ttl, deregisterAfter));
    changed();
    ctx.response().setStatusCode(200).end();
  }

  private void deregister(RoutingContext ctx) {
    if (services.remove(ctx.pathParam("id")) == null) {
      ctx.response().setStatusCode(404).end("Unknown service ID \"" + ctx.pathParam("id") + "\"");
      return;
    }
    changed();
    ctx.response().setStatusCode(200).end();
  }

  private void pass(RoutingContext ctx) {
    String checkId = ctx.pathParam("checkId");
    for (Registration registration : services.values()) {
      if (registration.checkId.equals(checkId)) {
        String before = registration.status(System.currentTimeMillis());
        registration.lastPassMs = System.currentTimeMillis();
        if (!before.equals("passing")) {
          changed();
        }
        ctx.response().setStatusCode(200).end();
        return;
      }
    }
    ctx.response()
        .setStatusCode(404)
        .end("CheckID \"" + checkId + "\" does not have associated TTL");
  }

  private void health(RoutingContext ctx) {
    blocking(ctx, this::answer);
  }

  /**
   * A blocking query: answered at once, or, with an {@code index} the agent has reached and a
   * {@code wait}, at the next change or when the wait ends.
   */
  private void blocking(RoutingContext ctx, java.util.function.Consumer<RoutingContext> answer) {
    long requested = parseLong(ctx.queryParams().get("index"), 0);
    long waitMs = Math.min(durationMs(ctx.queryParams().get("wait")), 600_000);
    if (requested > 0 && requested >= index && waitMs > 0) {
      long timer = vertx.setTimer(waitMs, t -> answer.accept(ctx));
      waiters.add(
          () -> {
            if (vertx.cancelTimer(timer)) {
              answer.accept(ctx);
            }
          });
      return;
    }
    answer.accept(ctx);
  }

  private void answer(RoutingContext ctx) {
    if (ctx.response().ended()) {
      return;
    }
    switch (fault) {
      case SERVER_ERROR -> {
        ctx.response().setStatusCode(500).end("rpc error: No cluster leader");
        return;
      }
      case MALFORMED_JSON -> {
        ctx.response()
            .putHeader("X-Consul-Index", Long.toString(index))
            .putHeader("Content-Type", "application/json")
            .end("[{\"Node\": ");
        return;
      }
      case EMPTY_LIST -> {
        ctx.response()
            .putHeader("X-Consul-Index", Long.toString(index))
            .putHeader("Content-Type", "application/json")
            .end("[]");
        return;
      }
      case MISSING_FIELDS -> {
        ctx.response()
            .putHeader("X-Consul-Index", Long.toString(index))
            .putHeader("Content-Type", "application/json")
            .end("[{\"Node\": {}}]");
        return;
      }
      default -> {}
    }
    String name = ctx.pathParam("name");
    boolean passingOnly = ctx.queryParams().contains("passing");
    long now = System.currentTimeMillis();
    JsonArray result = new JsonArray();
    for (Registration registration : services.values()) {
      if (!registration.service.getString("Service").equals(name)) {
        continue;
      }
      String status = registration.status(now);
      if (passingOnly && !status.equals("passing")) {
        continue;
      }
      result.add(
          new JsonObject()
              .put(
                  "Node",
                  new JsonObject()
                      .put("ID", "stand-in")
                      .put("Node", "stand-in")
                      .put("Address", "127.0.0.1")
                      .put("Datacenter", "dc1"))
              .put("Service", registration.service.copy())
              .put(
                  "Checks",
                  new JsonArray()
                      .add(
                          new JsonObject()
                              .put("Node", "stand-in")
                              .put("CheckID", registration.checkId)
                              .put("Name", "Service TTL")
                              .put("Status", status)
                              .put("ServiceID", registration.service.getString("ID"))
                              .put("ServiceName", name))));
    }
    ctx.response()
        .putHeader("X-Consul-Index", Long.toString(index))
        .putHeader("Content-Type", "application/json")
        .end(result.encode());
  }

  /** Turns stale TTL checks critical (bumping the index) and removes long-critical services. */
  private void expire() {
    long now = System.currentTimeMillis();
    List<String> gone = new ArrayList<>();
    boolean statusChanged = false;
    for (Map.Entry<String, Registration> entry : services.entrySet()) {
      Registration registration = entry.getValue();
      if (registration.ttlMs <= 0 || registration.lastPassMs < 0) {
        continue;
      }
      long criticalFor = now - registration.lastPassMs - registration.ttlMs;
      if (criticalFor > 0 && criticalFor <= 100) {
        statusChanged = true;
      }
      if (registration.deregisterAfterMs > 0 && criticalFor > registration.deregisterAfterMs) {
        gone.add(entry.getKey());
      }
    }
    gone.forEach(services::remove);
    if (statusChanged || !gone.isEmpty()) {
      changed();
    }
  }

  private void changed() {
    index++;
    List<Runnable> ready = new ArrayList<>(waiters);
    waiters.clear();
    ready.forEach(Runnable::run);
  }

  private static long parseLong(String value, long fallback) {
    try {
      return value == null ? fallback : Long.parseLong(value);
    } catch (NumberFormatException e) {
      return fallback;
    }
  }

  /** Go durations as Consul takes them: 500ms, 10s, 1m, 1h. */
  static long durationMs(String value) {
    if (value == null || value.isBlank()) {
      return 0;
    }
    String v = value.trim();
    if (v.endsWith("ms")) {
      return Long.parseLong(v.substring(0, v.length() - 2));
    }
    long amount = Long.parseLong(v.substring(0, v.length() - 1));
    return switch (v.charAt(v.length() - 1)) {
      case 's' -> amount * 1_000;
      case 'm' -> amount * 60_000;
      case 'h' -> amount * 3_600_000;
      default -> throw new IllegalArgumentException("not a duration: " + value);
    };
  }
}
