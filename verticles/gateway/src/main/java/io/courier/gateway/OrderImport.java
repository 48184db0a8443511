package io.courier.gateway;

import io.courier.contract.v1.PlaceOrderResponse;
import io.courier.resilience.Deadline;
import io.courier.service.Reply;
import io.courier.service.RequestedVersion;
import io.courier.service.ServiceError;
import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpHeaders;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.FileUpload;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import io.vertx.ext.web.handler.BodyHandler;
import io.vertx.ext.web.handler.TimeoutHandler;
import io.vertx.openapi.contract.OpenAPIContract;
import io.vertx.openapi.validation.RequestParameter;
import io.vertx.openapi.validation.ValidatableRequest;
import java.time.Duration;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.regex.Pattern;

/**
 * {@code POST /api/v1/orders:import}: a {@code multipart/form-data} body whose {@code file} part
 * holds orders as CSV or NDJSON ({@link ImportLines}). The file is streamed by its own {@link
 * BodyHandler} to a temporary file under {@link ImportConfig#uploadsDir()}, bounded by {@code
 * maxFileBytes}, then read with the async file API; each line is validated by the same contract
 * operation as {@code POST /api/v1/orders} (by the edge's {@link EdgeValidation}, on the event
 * loop) and placed through the same {@link OrderClient}, at most {@code concurrency} at once, with
 * the Idempotency-Key {@code <key>#<line>}. The answer lists each line's result. The temporary file
 * is removed however the request ends: by the body handler when the upload fails or is too large,
 * and here when the context ends (answered, timed out, or the client gone).
 */
final class OrderImport {

  /** The operation's path; the Router reads a ':' as a path parameter, so it is matched as text. */
  static final String PATH = "/api/v1/orders:import";

  private static final String PATH_REGEX = Pattern.quote(PATH);
  private static final String MULTIPART = "multipart/form-data";
  private static final String FILE = "file";
  private static final String FORMAT = "format";
  private static final int MAX_KEY = 100;

  private final Vertx vertx;
  private final ImportConfig config;
  private final Backends backends;
  private final Duration timeout;
  private final EdgeValidation validation;
  private final Problems problems;

  OrderImport(
      Vertx vertx,
      ImportConfig config,
      Backends backends,
      Duration timeout,
      OpenAPIContract contract,
      EdgeValidation validation) {
    this.vertx = vertx;
    this.config = config;
    this.backends = backends;
    this.timeout = timeout;
    this.validation = validation;
    this.problems = new Problems(contract);
  }

  /** Whether the request is an import, which {@link #mount} gives handlers of its own. */
  static boolean isImport(RoutingContext routing) {
    return PATH.equals(routing.normalizedPath());
  }

  /**
   * An import's timeout and body handler: mount where the API's own are, before authentication (as
   * they are, so the request is read from its first byte).
   */
  void mount(Router router) {
    router
        .routeWithRegex(HttpMethod.POST, PATH_REGEX)
        .handler(TimeoutHandler.create(config.timeoutMs(), 503))
        .handler(
            BodyHandler.create(false)
                .setHandleFileUploads(true)
                .setUploadsDirectory(config.uploadsDir())
                .setBodyLimit(config.maxFileBytes())
                .setDeleteUploadedFilesOnEnd(true));
  }

  /** The {@code importOrders} operation, once the caller is authenticated and admitted. */
  void handle(RoutingContext routing) {
    // Whatever ends this context (an answer, the timeout, the client going away), the files go.
    routing.addEndHandler(ended -> removeUploads(routing.fileUploads()));
    if (!PATH.equals(routing.normalizedPath())) {
      // The contract's router reads ':import' as a path parameter: /api/v1/ordersX lands here.
      Problems.send(routing, Problems.generic(404), List.of());
      return;
    }
    String key = routing.request().getHeader(OrdersApi.IDEMPOTENCY_KEY);
    try {
      checkKey(key);
      versionOf(routing); // a malformed x-courier-version refuses the whole import
      String type = routing.request().getHeader(HttpHeaders.CONTENT_TYPE);
      if (type == null || !type.toLowerCase(Locale.ROOT).startsWith(MULTIPART)) {
        throw new ServiceError(
                415, "unsupported-media-type", "an import's body must be " + MULTIPART, "")
            .failure();
      }
      if (!type.toLowerCase(Locale.ROOT).contains("boundary=")) {
        // Without one, the decoder reads the body as a URL-encoded form.
        throw ServiceError.badField(
                "malformed-body", "", "a multipart/form-data body needs a boundary parameter")
            .failure();
      }
      FileUpload file = filePart(routing);
      String named = routing.request().getFormAttribute(FORMAT);
      ImportLines.Format format = ImportLines.Format.of(named, file.contentType());
      if (named != null && format == null) {
        throw ServiceError.badField(
                "invalid-body", FORMAT, "the field format must be csv or ndjson")
            .failure();
      }
      if (format == null) {
        throw new ServiceError(
                415,
                "unsupported-media-type",
                "the file part must be text/csv or application/x-ndjson, or the field format must"
                    + " say csv or ndjson",
                FILE)
            .failure();
      }
      vertx
          .fileSystem()
          .readFile(file.uploadedFileName())
          .map(content -> ImportLines.read(content, format, config.maxLines()))
          .compose(read -> placeAll(routing, key, read))
          .onComplete(
              done -> {
                if (done.failed()) {
                  Problems.send(routing, ServiceError.of(done.cause()), List.of());
                } else {
                  routing
                      .response()
                      .putHeader(HttpHeaders.CONTENT_TYPE, "application/json")
                      .end(done.result().encode());
                }
              });
    } catch (ServiceError.Failure refused) {
      Problems.send(routing, refused.error(), List.of());
    }
  }

  private static void checkKey(String key) {
    if (key == null) {
      throw ServiceError.badField(
              "missing-header", OrdersApi.IDEMPOTENCY_KEY, "the header Idempotency-Key is required")
          .failure();
    }
    int length = key.codePointCount(0, key.length());
    if (length < 1 || length > MAX_KEY) {
      throw ServiceError.badField(
              "invalid-header",
              OrdersApi.IDEMPOTENCY_KEY,
              "an import's Idempotency-Key must be 1 to " + MAX_KEY + " characters, was " + length)
          .failure();
    }
  }

  /** The one {@code file} part; any other part or field is refused. */
  private static FileUpload filePart(RoutingContext routing) {
    for (String field : routing.request().formAttributes().names()) {
      if (!field.equals(FORMAT)) {
        throw unknownPart(field);
      }
    }
    FileUpload file = null;
    for (FileUpload upload : routing.fileUploads()) {
      if (!upload.name().equals(FILE) || file != null) {
        throw unknownPart(upload.name());
      }
      file = upload;
    }
    if (file == null) {
      throw ServiceError.badField(
              "missing-part", FILE, "an import needs a file part named 'file' (CSV or NDJSON)")
          .failure();
    }
    return file;
  }

  private static ServiceError.Failure unknownPart(String name) {
    String shown = name.length() > 32 ? name.substring(0, 32) + "..." : name;
    return ServiceError.badField(
            "unknown-part",
            shown,
            "an import takes one part named 'file' and the field 'format', not '" + shown + "'")
        .failure();
  }

  /** Places every line, at most {@code concurrency} at once, and collects their results. */
  private Future<JsonObject> placeAll(RoutingContext routing, String key, ImportLines.Read read) {
    List<ImportLines.Line> lines = read.orders();
    JsonObject[] results = new JsonObject[lines.size()];
    Promise<Void> all = Promise.promise();
    new Pump(vertx.getOrCreateContext(), routing, key, lines, results, all).run();
    return all.future()
        .map(
            done -> {
              JsonArray list = new JsonArray();
              int placed = 0;
              for (JsonObject result : results) {
                list.add(result);
                placed += result.getInteger("status") == 202 ? 1 : 0;
              }
              return new JsonObject()
                  .put("lines", read.lines())
                  .put("placed", placed)
                  .put("failed", results.length - placed)
                  .put("results", list);
            });
  }

  /**
   * Starts lines while fewer than {@code concurrency} are in flight; each one ending starts the
   * next from a fresh task on the context, so lines that end at once never nest.
   */
  private final class Pump {
    private final Context context;
    private final RoutingContext routing;
    private final String key;
    private final List<ImportLines.Line> lines;
    private final JsonObject[] results;
    private final Promise<Void> all;
    private int next;
    private int inFlight;

    Pump(
        Context context,
        RoutingContext routing,
        String key,
        List<ImportLines.Line> lines,
        JsonObject[] results,
        Promise<Void> all) {
      this.context = context;
      this.routing = routing;
      this.key = key;
      this.lines = lines;
      this.results = results;
      this.all = all;
    }

    void run() {
      if (routing.response().ended() || routing.response().closed()) {
        // Answered by the timeout, or the client is gone: start nothing more.
        all.tryFail(ServiceError.unavailable("timeout", "the import took too long").failure());
        return;
      }
      while (inFlight < config.concurrency() && next < lines.size()) {
        int index = next++;
        inFlight++;
        place(routing, key, lines.get(index))
            .onComplete(
                result -> {
                  results[index] = result.result();
                  inFlight--;
                  context.runOnContext(v -> run());
                });
      }
      if (inFlight == 0 && next >= lines.size()) {
        all.tryComplete();
      }
    }
  }

  /** One line's result: its order, or its problem. Never fails. */
  /** The version the request asks for (x-courier-version), or null; malformed: a 400 failure. */
  private static RequestedVersion versionOf(RoutingContext routing) {
    try {
      return RequestedVersion.from(routing.request().headers()).orElse(null);
    } catch (IllegalArgumentException malformed) {
      throw ServiceError.badField("invalid-header", RequestedVersion.HEADER, malformed.getMessage())
          .failure();
    }
  }

  private Future<JsonObject> place(RoutingContext routing, String key, ImportLines.Line line) {
    JsonObject result = new JsonObject().put("line", line.number());
    String instance = PATH + "#line-" + line.number();
    if (line.problem() != null) {
      return Future.succeededFuture(problem(result, line.problem(), List.of(), instance));
    }
    String lineKey = key + "#" + line.number();
    return validation
        .validate(new LineRequest(lineKey, line.order()), "placeOrder")
        .compose(
            validated ->
                backends.orders.place(
                    OrdersApi.placeOrderRequest(validated, lineKey),
                    Deadline.after(timeout),
                    EdgeAuth.identity(routing),
                    versionOf(routing)))
        .map(placed -> placed(result, placed))
        .otherwise(
            failure -> {
              Problems.Problem refused = problems.of(failure);
              return problem(result, refused.error(), refused.errors(), instance);
            });
  }

  private static JsonObject placed(JsonObject result, Reply<PlaceOrderResponse> reply) {
    PlaceOrderResponse placed = reply.body();
    result
        .put("status", 202)
        .put("orderId", placed.getOrderId())
        .put("orderStatus", OrdersApi.status(placed.getStatus()));
    // As a single placement's Courier-Degraded header.
    return reply.degraded() ? result.put("degradedBy", reply.degradedBy()) : result;
  }

  private static JsonObject problem(
      JsonObject result, ServiceError error, List<Problems.FieldError> errors, String instance) {
    ServiceError shown = Problems.forCaller(error, "POST " + instance);
    return result
        .put("status", shown.status())
        .put("problem", Problems.json(shown, errors, instance));
  }

  private void removeUploads(List<FileUpload> uploads) {
    for (FileUpload upload : uploads) {
      // The body handler may have removed it first; a file already gone is what was wanted.
      vertx
          .fileSystem()
          .delete(upload.uploadedFileName())
          .recover(gone -> Future.succeededFuture());
    }
  }

  /** One line as the contract's placeOrder request: its key, and its order as a JSON body. */
  private record LineRequest(String key, JsonObject order) implements ValidatableRequest {

    @Override
    public Map<String, RequestParameter> getCookies() {
      return Map.of();
    }

    @Override
    public Map<String, RequestParameter> getPathParameters() {
      return Map.of();
    }

    @Override
    public Map<String, RequestParameter> getQuery() {
      return Map.of();
    }

    @Override
    public Map<String, RequestParameter> getHeaders() {
      return Map.of(OrdersApi.IDEMPOTENCY_KEY, () -> key);
    }

    @Override
    public RequestParameter getBody() {
      return order::toBuffer;
    }

    @Override
    public String getContentType() {
      return "application/json";
    }
  }
}
