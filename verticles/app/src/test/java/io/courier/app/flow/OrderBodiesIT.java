package io.courier.app.flow;

import static io.courier.app.flow.BodiesClient.FORM;
import static io.courier.app.flow.BodiesClient.MULTIPART;
import static io.courier.app.flow.BodiesClient.form;
import static io.courier.app.flow.BodiesClient.multipartBody;
import static org.assertj.core.api.Assertions.assertThat;

import io.courier.app.flow.BodiesClient.Answer;
import io.courier.app.flow.BodiesClient.Part;
import io.courier.kafka.embedded.EmbeddedKafkaBroker;
import io.courier.kafka.embedded.SharedKafkaBroker;
import io.courier.runtime.CourierRuntime;
import io.courier.runtime.Roles;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpClient;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.io.IOException;
import java.io.OutputStream;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code POST /api/v1/orders} as a form and {@code POST /api/v1/orders:import} as a multipart
 * upload, against one process with the user, inventory, order and gateway roles on the shared
 * broker (no payment role, so placed orders stay PENDING and their stock stays reserved). After
 * every case the uploads directory is empty.
 */
@ExtendWith(SharedKafkaBroker.class)
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@DisplayName("Form and multipart bodies at the REST edge")
class OrderBodiesIT {

  private static final long STOCK = 50;
  private static final int MAX_FILE_BYTES = 4_096;

  @TempDir static Path work;

  private final String run = "b" + UUID.randomUUID().toString().substring(0, 8) + "-";
  private final Vertx vertx = Vertx.vertx();
  private CourierRuntime runtime;
  private FlowSeeds seeds;
  private HttpClient http;
  private String base;
  private Path uploads;

  @BeforeAll
  void start(EmbeddedKafkaBroker kafka) throws Exception {
    seeds = FlowSeeds.write(work, run, 2, 6, STOCK);
    Path temp = Files.createDirectories(work.resolve("tmp"));
    uploads = temp.resolve("courier-uploads");
    runtime =
        CourierRuntime.start(
                OrderFlowIT.config(
                    kafka,
                    seeds,
                    Map.of(
                        "courier.roles", "user-service,inventory-service,order-service,gateway",
                        "courier.gateway.auth.mode", "none",
                        "courier.gateway.imports.tempDir", temp.toString(),
                        "courier.gateway.imports.maxFileBytes", Integer.toString(MAX_FILE_BYTES),
                        "courier.gateway.imports.maxLines", "20",
                        "courier.gateway.imports.concurrency", "2")),
                Roles.available())
            .await(120, TimeUnit.SECONDS);
    base = runtime.endpoints().get("gateway");
    http = vertx.createHttpClient();
  }

  @AfterAll
  void stop() throws Exception {
    if (runtime != null) {
      runtime.stop(Duration.ofSeconds(20)).await(30, TimeUnit.SECONDS);
    }
    vertx.close().await(10, TimeUnit.SECONDS);
  }

  @AfterEach
  void uploadsRemoved() {
    FlowClient.awaitUntil("the uploads directory empty", Duration.ofSeconds(10), this::noUploads);
  }

  @Test
  @Timeout(60)
  @DisplayName("a form order is placed like its JSON twin, once per Idempotency-Key")
  void shouldPlaceAFormOrderLikeJson() throws Exception {
    String user = seeds.userIds().get(0);
    String sku = seeds.skus().get(0);
    String form =
        form(
            "userId",
            user,
            "sku",
            sku,
            "quantity",
            "2",
            "sku",
            seeds.skus().get(1),
            "quantity",
            "1");
    Answer placed = sendRaw("/api/v1/orders", run + "form", FORM, form);
    assertThat(placed.status()).as(placed.text()).isEqualTo(202);
    String orderId = placed.json().getString("orderId");
    assertThat(placed.location()).isEqualTo("/api/v1/orders/" + orderId);

    Answer again = sendRaw("/api/v1/orders", run + "form", FORM, form);
    assertThat(again.json().getString("orderId")).isEqualTo(orderId);
    JsonObject json =
        new JsonObject(
            FlowClient.orderBody(
                user,
                List.of(new FlowClient.Line(sku, 2), new FlowClient.Line(seeds.skus().get(1), 1))));
    Answer asJson = sendRaw("/api/v1/orders", run + "form", "application/json", json.encode());
    assertThat(asJson.status()).as("the same key and order as JSON").isEqualTo(202);
    assertThat(asJson.json().getString("orderId")).isEqualTo(orderId);

    JsonArray items = get("/api/v1/orders/" + orderId).getJsonArray("items");
    assertThat(items).hasSize(2);
    assertThat(items.getJsonObject(0).getInteger("quantity")).isEqualTo(2);
    assertThat(stock(sku).getLong("reserved")).as("reserved once").isEqualTo(2);
  }

  @Test
  @Timeout(60)
  @DisplayName(
      "a bad form gets a problem naming what is wrong: malformed, missing, wrong type, 415")
  void shouldRefuseBadForms() throws Exception {
    String user = seeds.userIds().get(0);
    String sku = seeds.skus().get(2);
    assertProblem(
        sendRaw(
            "/api/v1/orders", "application/x-www-form-urlencoded", "userId=" + user + "&sku=%zz"),
        400,
        "malformed-body",
        null);
    assertProblem(
        sendRaw("/api/v1/orders", "application/x-www-form-urlencoded", "userId=u1&sku&quantity=1"),
        400,
        "malformed-body",
        null);
    assertProblem(
        sendRaw(
            "/api/v1/orders",
            "application/x-www-form-urlencoded",
            "userId=" + user + "&sku=" + sku),
        400,
        "invalid-body",
        "items/0/quantity");
    assertProblem(
        sendRaw(
            "/api/v1/orders",
            "application/x-www-form-urlencoded",
            "userId=" + user + "&sku=" + sku + "&quantity=two"),
        400,
        "invalid-body",
        "items/0/quantity");
    assertProblem(
        sendRaw(
            "/api/v1/orders",
            "application/x-www-form-urlencoded",
            "userId=" + user + "&sku=" + sku + "&quantity=1&coupon=FREE"),
        400,
        "invalid-body",
        "coupon");
    assertProblem(
        sendRaw("/api/v1/orders", "text/plain", "userId=" + user),
        415,
        "unsupported-media-type",
        null);
    assertThat(stock(sku).getLong("reserved")).as("nothing placed").isZero();
  }

  @Test
  @Timeout(60)
  @DisplayName(
      "an import places each good line, answers a bad one with its problem, and places nothing"
          + " twice when sent again")
  void shouldImportLineByLineIdempotently() throws Exception {
    String u1 = seeds.userIds().get(0);
    String u2 = seeds.userIds().get(1);
    String a = seeds.skus().get(3);
    String b = seeds.skus().get(4);
    String csv =
        "userId,sku,quantity\n"
            + u1
            + ","
            + a
            + ",2\n"
            + u1
            + ","
            + a
            + ",x\n"
            + "\n"
            + u2
            + ","
            + b
            + ",3\n"
            + "just,two\n";
    JsonObject first = importFile(run + "imp", "text/csv", csv, null);
    assertThat(first.getInteger("lines")).isEqualTo(6);
    assertThat(first.getInteger("placed")).isEqualTo(2);
    assertThat(first.getInteger("failed")).isEqualTo(2);
    JsonArray results = first.getJsonArray("results");
    assertThat(results).hasSize(4);
    assertThat(results.getJsonObject(0).getInteger("line")).isEqualTo(2);
    assertThat(results.getJsonObject(0).getInteger("status")).isEqualTo(202);
    JsonObject bad = results.getJsonObject(1);
    assertThat(bad.getInteger("line")).isEqualTo(3);
    assertThat(bad.getInteger("status")).isEqualTo(400);
    assertThat(bad.getJsonObject("problem").getString("field")).isEqualTo("items/0/quantity");
    assertThat(bad.getJsonObject("problem").getString("instance"))
        .isEqualTo("/api/v1/orders:import#line-3");
    assertThat(results.getJsonObject(2).getInteger("line")).isEqualTo(5);
    assertThat(results.getJsonObject(2).getInteger("status")).isEqualTo(202);
    assertThat(results.getJsonObject(3).getJsonObject("problem").getString("type"))
        .endsWith("/malformed-line");

    JsonObject second = importFile(run + "imp", "text/csv", csv, null);
    assertThat(second.getJsonArray("results")).isEqualTo(results);
    assertThat(stock(a).getLong("reserved")).as("line 2 reserved once").isEqualTo(2);
    assertThat(stock(b).getLong("reserved")).as("line 5 reserved once").isEqualTo(3);
    assertThat(
            get("/api/v1/orders/" + results.getJsonObject(2).getString("orderId"))
                .getString("userId"))
        .isEqualTo(u2);
  }

  @Test
  @Timeout(60)
  @DisplayName("an NDJSON import reads its format from the part's type or the format field")
  void shouldImportNdjson() throws Exception {
    String line =
        FlowClient.orderBody(
            seeds.userIds().get(1), List.of(new FlowClient.Line(seeds.skus().get(5), 1)));
    String ndjson = line + "\n{\"userId\": \n[1]\n";
    JsonArray results =
        importFile(run + "nd", "application/x-ndjson", ndjson, null).getJsonArray("results");
    assertThat(results.getJsonObject(0).getInteger("status")).as(results.encode()).isEqualTo(202);
    assertThat(results.getJsonObject(1).getJsonObject("problem").getString("type"))
        .endsWith("/malformed-line");
    assertThat(results.getJsonObject(2).getJsonObject("problem").getString("detail"))
        .contains("one JSON object");
    JsonArray byField =
        importFile(run + "nd", "application/octet-stream", ndjson, "ndjson")
            .getJsonArray("results");
    assertThat(byField).isEqualTo(results);
  }

  @Test
  @Timeout(60)
  @DisplayName(
      "an import is refused with a problem when too large, too long, malformed, of the wrong"
          + " parts or the wrong type")
  void shouldRefuseBadImports() throws Exception {
    String big = "userId,sku,quantity\n" + "u,s,1\n".repeat(MAX_FILE_BYTES / 6 + 10);
    assertProblem(
        multipart(run + "big", "file", "text/csv", big, null), 413, "body-too-large", null);
    assertProblem(
        multipart(
            run + "long", "file", "text/csv", "userId,sku,quantity\n" + "u,s,1\n".repeat(25), null),
        413,
        "too-many-lines",
        null);
    assertProblem(
        multipart(run + "part", "upload", "text/csv", "userId,sku,quantity\n", null),
        400,
        "unknown-part",
        "upload");
    assertProblem(
        multipart(run + "none", new Part("format", null, null, "csv")),
        400,
        "missing-part",
        "file");
    assertProblem(
        multipart(run + "type", "file", "text/plain", "userId,sku,quantity\n", null),
        415,
        "unsupported-media-type",
        "file");
    assertProblem(
        multipart(run + "head", "file", "text/csv", "user,sku\n", null),
        400,
        "invalid-file",
        "file");
    assertProblem(
        sendRaw("/api/v1/orders:import", "application/json", "{}"),
        415,
        "unsupported-media-type",
        null);
    String broken = "--XyZ\r\nContent-Type: text/csv\r\n\r\nuserId,sku,quantity\r\n--XyZ--\r\n";
    assertProblem(
        sendRaw("/api/v1/orders:import", "multipart/form-data; boundary=XyZ", broken),
        400,
        "malformed-body",
        null);
    assertProblem(
        sendRaw("/api/v1/orders:import", "multipart/form-data", "no boundary at all"),
        400,
        "malformed-body",
        null);
    assertProblem(
        multipart(run + "fmt", "file", "text/csv", "userId,sku,quantity\n", "xml"),
        400,
        "invalid-body",
        "format");
    assertProblem(
        send(
            "/api/v1/ordersX",
            run + "x",
            MULTIPART,
            multipartBody(new Part("file", "o.csv", "text/csv", "userId,sku,quantity\n"))),
        404,
        "not-found",
        null);
    Answer noKey =
        send(
            "/api/v1/orders:import",
            null,
            MULTIPART,
            multipartBody(new Part("file", "o.csv", "text/csv", "userId,sku,quantity\n")));
    assertProblem(noKey, 400, "missing-header", "Idempotency-Key");
  }

  @Test
  @Timeout(60)
  @DisplayName("a client that hangs up mid-upload leaves no file behind")
  void shouldRemoveTheFileOfAnAbortedUpload() throws Exception {
    String head =
        "--XyZ\r\nContent-Disposition: form-data; name=\"file\"; filename=\"o.csv\"\r\n"
            + "Content-Type: text/csv\r\n\r\nuserId,sku,quantity\r\n"
            + "u,s,1\r\n".repeat(100);
    int port = java.net.URI.create(base).getPort();
    try (Socket socket = new Socket("127.0.0.1", port)) {
      OutputStream out = socket.getOutputStream();
      out.write(
          ("POST /api/v1/orders:import HTTP/1.1\r\nHost: x\r\nIdempotency-Key: "
                  + run
                  + "abort\r\nContent-Type: multipart/form-data; boundary=XyZ\r\n"
                  + "Content-Length: 3000\r\n\r\n"
                  + head)
              .getBytes(StandardCharsets.US_ASCII));
      out.flush();
      FlowClient.awaitUntil("the upload on disk", Duration.ofSeconds(10), () -> !noUploads());
    }
  }

  private JsonObject importFile(String key, String type, String content, String format)
      throws Exception {
    Answer answer =
        format == null
            ? multipart(key, new Part("file", "orders", type, content))
            : multipart(
                key,
                new Part("file", "orders", type, content),
                new Part("format", null, null, format));
    assertThat(answer.status()).as(answer.text()).isEqualTo(200);
    return answer.json();
  }

  private Answer multipart(String key, String part, String type, String content, String format)
      throws Exception {
    return format == null
        ? multipart(key, new Part(part, "orders", type, content))
        : multipart(
            key, new Part(part, "orders", type, content), new Part("format", null, null, format));
  }

  private Answer multipart(String key, Part... parts) throws Exception {
    return send("/api/v1/orders:import", key, MULTIPART, multipartBody(parts));
  }

  private Answer sendRaw(String path, String type, String body) throws Exception {
    return send(path, run + "raw-" + UUID.randomUUID(), type, body);
  }

  private Answer sendRaw(String path, String key, String type, String body) throws Exception {
    return send(path, key, type, body);
  }

  private Answer send(String path, String key, String type, String body) throws Exception {
    return BodiesClient.send(http, base + path, key, type, body);
  }

  private JsonObject get(String path) throws Exception {
    Answer answer = send(path, null, null, null);
    assertThat(answer.status()).as(answer.text()).isEqualTo(200);
    return answer.json();
  }

  private JsonObject stock(String sku) throws Exception {
    return get("/api/v1/inventory/" + sku);
  }

  private static void assertProblem(Answer answer, int status, String type, String field) {
    assertThat(answer.status()).as(answer.text()).isEqualTo(status);
    assertThat(answer.contentType()).isEqualTo("application/problem+json");
    JsonObject problem = answer.json();
    assertThat(problem.getInteger("status")).isEqualTo(status);
    if (type != null) {
      assertThat(problem.getString("type")).as(problem.encode()).endsWith("/" + type);
    }
    if (field != null) {
      assertThat(problem.getString("field")).as(problem.encode()).isEqualTo(field);
    }
  }

  private boolean noUploads() {
    if (!Files.isDirectory(uploads)) {
      return true;
    }
    try (Stream<Path> files = Files.list(uploads)) {
      return files.findAny().isEmpty();
    } catch (IOException e) {
      throw new IllegalStateException(e);
    }
  }
}
