package io.courier.runtime.impl;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.LoggerContext;
import io.courier.runtime.admin.AdminSections;
import io.courier.runtime.chaos.Faults;
import io.courier.runtime.config.impl.AdminTokens;
import io.courier.runtime.kafka.DeadLetters;
import io.courier.runtime.metrics.Meters;
import io.micrometer.core.instrument.MeterRegistry;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpHeaders;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.http.HttpServerResponse;
import io.vertx.core.internal.VertxInternal;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.core.shareddata.AsyncMap;
import io.vertx.core.spi.cluster.ClusterManager;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.function.Supplier;
import java.util.regex.Pattern;
import org.slf4j.ILoggerFactory;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The operator's view of a process and its cluster, on a port of its own:
 *
 * <ul>
 *   <li>{@code GET /admin}: this process (roles, state, endpoints), the cluster's members and every
 *       member process's roles and endpoints, breaker states, consumer lag per group and partition,
 *       and the sections parts of the process add ({@link AdminSections}, e.g. the instances each
 *       gRPC client has discovered);
 *   <li>{@code GET /admin/loggers/{name}} and {@code PUT /admin/loggers/{name}} with {@code
 *       {"level": "DEBUG"}}: log levels at run time (Logback);
 *   <li>{@code GET /admin/faults}, {@code PUT /admin/faults/{point}} with {@code {"latencyMs":
 *       2000, "errorRatio": 0.5}} and {@code DELETE /admin/faults/{point}}: the chaos tests' fault
 *       points ({@link Faults}), 409 unless the process runs with {@code admin.faultInjection};
 *   <li>{@code GET /admin/dlt}: the topics with a dead-letter topic; {@code GET
 *       /admin/dlt/{topic}?errorClass=&since=&max=}: its parked records with headers, payload as
 *       JSON and whether a replay moved them; {@code POST /admin/dlt/{topic}/replay} with {@code
 *       {"ids": [...], "errorClass": ..., "since": ..., "dryRun": false}}: {@link DeadLetters}'
 *       replay, ledger included (Kafka's clients run on worker threads);
 *   <li>{@code GET /console}: the operator's console, a page that polls the endpoints above.
 * </ul>
 *
 * With a token ({@code admin.tokenFile}) every {@code /admin} request must carry {@code
 * Authorization: Bearer <token>}, or is answered 401 with a problem body; the console's static
 * files hold no data and are served to anyone. A request that changes something (PUT, POST, DELETE)
 * must come from no other origin than the server's own.
 *
 * <p>Every process announces itself in the cluster-wide map {@value #PROCESSES} once ready and
 * leaves it when it drains; entries of members that are gone are not shown.
 */
public final class AdminServer extends JsonHttpServer {

  /** Cluster-wide map of running processes: member id to their announcement. */
  public static final String PROCESSES = "courier.admin.processes";

  private static final Logger LOG = LoggerFactory.getLogger(AdminServer.class);
  private static final Pattern LOGGER_NAME = Pattern.compile("[A-Za-z0-9_.$-]{1,200}");
  private static final Set<String> LEVELS =
      Set.of("TRACE", "DEBUG", "INFO", "WARN", "ERROR", "OFF");

  private static final String PROBLEM_TYPE = "https://courier.dev/problems/";

  /** Where the console's files are on the classpath. */
  private static final String CONSOLE = "/io/courier/runtime/console/";

  private static final Map<String, String> ASSETS =
      Map.of(
          "index.html", "text/html; charset=utf-8",
          "console.js", "text/javascript; charset=utf-8",
          "console.css", "text/css; charset=utf-8");

  private final Supplier<JsonObject> self;
  private final Meters meters;
  private final AdminSections sections;
  private final Faults faults;
  private final String tokenFile;
  private final AdminDeadLetters deadLetters;
  private final Map<String, Buffer> console = new java.util.concurrent.ConcurrentHashMap<>();
  private volatile byte[] token;

  /**
   * @param self this process's announcement: roles, state, endpoints
   * @param meters where breaker states and consumer lag are read from
   * @param sections what parts of the process add to the view
   * @param faults the process's fault points
   */
  public AdminServer(
      Vertx vertx,
      Supplier<JsonObject> self,
      Meters meters,
      AdminSections sections,
      Faults faults) {
    this(vertx, self, meters, sections, faults, "", null);
  }

  /**
   * @param tokenFile the file holding the bearer token every {@code /admin} request must carry;
   *     empty for none
   * @param deadLetters the dead letters the DLT endpoints read and replay (made per request: the
   *     brokers may be known only once the process has started them); null for none
   */
  public AdminServer(
      Vertx vertx,
      Supplier<JsonObject> self,
      Meters meters,
      AdminSections sections,
      Faults faults,
      String tokenFile,
      Supplier<DeadLetters> deadLetters) {
    super(vertx);
    this.self = self;
    this.meters = meters;
    this.sections = sections;
    this.faults = faults;
    this.tokenFile = tokenFile == null ? "" : tokenFile;
    this.deadLetters = new AdminDeadLetters(deadLetters);
  }

  /** Reads the token and the console's files (on a worker thread), then listens. */
  @Override
  public Future<Integer> listen(String host, int port) {
    return vertx
        .executeBlocking(
            () -> {
              if (!tokenFile.isEmpty()) {
                String read = AdminTokens.readOrThrow(tokenFile);
                if (read.length() < AdminTokens.MIN_LENGTH || !AdminTokens.headerSafe(read)) {
                  throw new IllegalStateException(
                      "admin.tokenFile "
                          + tokenFile
                          + " holds no usable token (at least "
                          + AdminTokens.MIN_LENGTH
                          + " printable characters)");
                }
                token = read.getBytes(StandardCharsets.US_ASCII);
              }
              for (String asset : ASSETS.keySet()) {
                try (InputStream in = AdminServer.class.getResourceAsStream(CONSOLE + asset)) {
                  if (in == null) {
                    throw new IllegalStateException("the console's " + asset + " is missing");
                  }
                  console.put(asset, Buffer.buffer(in.readAllBytes()));
                }
              }
              return null;
            },
            false)
        .compose(read -> super.listen(host, port));
  }

  /** Puts this process in the cluster-wide map (done once the process is ready). */
  public static Future<Void> announce(Vertx vertx, JsonObject process) {
    return processes(vertx).compose(map -> map.put(memberId(vertx), process));
  }

  /** Takes this process out of the cluster-wide map (done when draining starts). */
  public static Future<Void> withdraw(Vertx vertx) {
    return processes(vertx).compose(map -> map.remove(memberId(vertx))).mapEmpty();
  }

  @Override
  protected void handle(HttpServerRequest request) {
    String path = request.path();
    if (path.equals("/console") || path.equals("/console/") || path.startsWith("/console/")) {
      consoleFile(request, path);
      return;
    }
    if (!authorized(request)) {
      problem(
          request,
          401,
          "unauthorized",
          "Unauthorized",
          "this admin server wants Authorization: Bearer <the token of admin.tokenFile>");
      return;
    }
    if (request.method() != HttpMethod.GET && !sameOrigin(request)) {
      problem(
          request,
          403,
          "cross-origin",
          "Forbidden",
          "a request that changes something must come from the admin server's own origin");
      return;
    }
    if (path.equals("/admin") && request.method() == HttpMethod.GET) {
      view()
          .onSuccess(view -> answer(request, 200, view))
          .onFailure(e -> answer(request, 500, new JsonObject().put("error", e.getMessage())));
    } else if (path.startsWith("/admin/loggers/")) {
      logger(request, path.substring("/admin/loggers/".length()));
    } else if (path.equals("/admin/faults") || path.startsWith("/admin/faults/")) {
      AdminFaults.handle(
          faults,
          request,
          path.equals("/admin/faults") ? "" : path.substring("/admin/faults/".length()));
    } else if (path.equals("/admin/dlt") || path.startsWith("/admin/dlt/")) {
      deadLetters.handle(
          request, path.equals("/admin/dlt") ? "" : path.substring("/admin/dlt/".length()));
    } else {
      answer(
          request,
          404,
          new JsonObject()
              .put("error", "no such path")
              .put(
                  "paths",
                  "GET /admin, GET|PUT /admin/loggers/{name}, GET /admin/faults,"
                      + " PUT|DELETE /admin/faults/{point}, GET /admin/dlt,"
                      + " GET /admin/dlt/{topic}, POST /admin/dlt/{topic}/replay, GET /console"));
    }
  }

  /** True without a token, or when the request carries it (compared in constant time). */
  private boolean authorized(HttpServerRequest request) {
    byte[] expected = token;
    if (expected == null) {
      return true;
    }
    String header = request.getHeader(HttpHeaders.AUTHORIZATION);
    if (header == null || !header.regionMatches(true, 0, "Bearer ", 0, 7)) {
      return false;
    }
    return MessageDigest.isEqual(
        expected, header.substring(7).strip().getBytes(StandardCharsets.US_ASCII));
  }

  /** No Origin header (a command line), or the one of this server. */
  private static boolean sameOrigin(HttpServerRequest request) {
    String origin = request.getHeader(HttpHeaders.ORIGIN);
    String host = request.getHeader(HttpHeaders.HOST);
    return origin == null || (host != null && origin.equals("http://" + host));
  }

  private void consoleFile(HttpServerRequest request, String path) {
    if (request.method() != HttpMethod.GET) {
      answer(request, 405, new JsonObject().put("error", "GET"));
      return;
    }
    String name =
        path.equals("/console") || path.equals("/console/")
            ? "index.html"
            : path.substring("/console/".length());
    Buffer file = console.get(name);
    if (file == null) {
      answer(request, 404, new JsonObject().put("error", "no such file: " + name));
      return;
    }
    request
        .response()
        .putHeader(HttpHeaders.CONTENT_TYPE, ASSETS.get(name))
        .putHeader(HttpHeaders.CACHE_CONTROL, "no-store")
        .putHeader(
            "Content-Security-Policy",
            "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self';"
                + " img-src 'self' data:; frame-ancestors 'none'; base-uri 'none'")
        .putHeader("X-Content-Type-Options", "nosniff")
        .putHeader("Referrer-Policy", "no-referrer")
        .end(file.copy());
  }

  /** Answers with an {@code application/problem+json} body. */
  static void problem(
      HttpServerRequest request, int status, String type, String title, String detail) {
    HttpServerResponse response =
        request
            .response()
            .setStatusCode(status)
            .putHeader(HttpHeaders.CONTENT_TYPE, "application/problem+json")
            .putHeader(HttpHeaders.CACHE_CONTROL, "no-store");
    if (status == 401) {
      response.putHeader("WWW-Authenticate", "Bearer realm=\"courier-admin\"");
    }
    response.end(
        new JsonObject()
            .put("type", PROBLEM_TYPE + type)
            .put("title", title)
            .put("status", status)
            .put("detail", detail)
            .encodePrettily());
  }

  private Future<JsonObject> view() {
    JsonObject view = new JsonObject().put("process", self.get());
    MeterRegistry registry = meters.registry();
    view.put("breakers", AdminMeterViews.breakers(registry));
    view.put("bulkheads", AdminMeterViews.bulkheads(registry));
    view.put("consumers", AdminMeterViews.consumers(registry));
    JsonObject added = new JsonObject();
    for (Map.Entry<String, Supplier<Object>> section : sections.all().entrySet()) {
      added.put(section.getKey(), section.getValue().get());
    }
    view.put("sections", added);
    List<String> members = members();
    view.put("cluster", new JsonObject().put("self", memberId(vertx)).put("members", members));
    return processes(vertx)
        .compose(AsyncMap::entries)
        .map(
            all -> {
              JsonArray processes = new JsonArray();
              new TreeMap<>(all)
                  .forEach(
                      (member, process) -> {
                        if (members.contains(member)) {
                          processes.add(((JsonObject) process).copy().put("member", member));
                        }
                      });
              view.getJsonObject("cluster").put("processes", processes);
              return view;
            });
  }

  private List<String> members() {
    ClusterManager cluster = ((VertxInternal) vertx).clusterManager();
    return cluster == null ? List.of(memberId(vertx)) : List.copyOf(cluster.getNodes());
  }

  private static String memberId(Vertx vertx) {
    ClusterManager cluster = ((VertxInternal) vertx).clusterManager();
    return cluster == null ? "local" : cluster.getNodeId();
  }

  private static Future<AsyncMap<String, Object>> processes(Vertx vertx) {
    return vertx.sharedData().getAsyncMap(PROCESSES);
  }

  private void logger(HttpServerRequest request, String name) {
    ILoggerFactory factory = LoggerFactory.getILoggerFactory();
    if (!(factory instanceof LoggerContext logback)) {
      answer(request, 501, new JsonObject().put("error", "log levels need Logback"));
      return;
    }
    if (!LOGGER_NAME.matcher(name).matches()) {
      answer(request, 400, new JsonObject().put("error", "not a logger name: " + name));
      return;
    }
    if (request.method() == HttpMethod.GET) {
      answer(request, 200, level(logback, name));
    } else if (request.method() == HttpMethod.PUT) {
      request
          .body()
          .onSuccess(
              body -> {
                String level;
                try {
                  level = body.toJsonObject().getString("level", "");
                } catch (RuntimeException e) {
                  answer(
                      request, 400, new JsonObject().put("error", "body must be {\"level\": ...}"));
                  return;
                }
                String upper = level.toUpperCase(Locale.ROOT);
                if (!LEVELS.contains(upper)) {
                  answer(
                      request,
                      400,
                      new JsonObject()
                          .put("error", "unknown level '" + level + "'")
                          .put("levels", new JsonArray(List.copyOf(new TreeSet<>(LEVELS)))));
                  return;
                }
                logback.getLogger(name).setLevel(Level.toLevel(upper));
                answer(request, 200, level(logback, name));
              });
    } else {
      answer(request, 405, new JsonObject().put("error", "GET or PUT"));
    }
  }

  private static JsonObject level(LoggerContext logback, String name) {
    ch.qos.logback.classic.Logger logger = logback.getLogger(name);
    return new JsonObject()
        .put("logger", name)
        .put("level", logger.getLevel() == null ? null : logger.getLevel().toString())
        .put("effectiveLevel", logger.getEffectiveLevel().toString());
  }
}
