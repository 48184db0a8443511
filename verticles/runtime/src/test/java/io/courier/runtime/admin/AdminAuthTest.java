package io.courier.runtime.admin;

import static org.assertj.core.api.Assertions.assertThat;

import io.courier.runtime.chaos.Faults;
import io.courier.runtime.impl.AdminServer;
import io.courier.runtime.metrics.Meters;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/** The admin server with a bearer token, over real HTTP on loopback. */
@DisplayName("The admin server with a token")
class AdminAuthTest {

  private static final String TOKEN = "t0ken-0123456789abcdef0123456789abcdef";

  private final Vertx vertx = Vertx.vertx();
  private final HttpClient http =
      HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
  @TempDir Path dir;
  private String base;

  @BeforeEach
  void start() throws Exception {
    Path tokenFile = Files.writeString(dir.resolve("admin.token"), TOKEN + "\n");
    int port =
        new AdminServer(
                vertx,
                () -> new JsonObject().put("state", "READY"),
                Meters.none(),
                new AdminSections(),
                Faults.create(vertx, Set.of()),
                tokenFile.toString(),
                null)
            .listen("127.0.0.1", 0)
            .await(10, TimeUnit.SECONDS);
    base = "http://127.0.0.1:" + port;
  }

  @AfterEach
  void stop() throws Exception {
    vertx.close().await(10, TimeUnit.SECONDS);
  }

  private HttpResponse<String> get(String path, String authorization) throws Exception {
    HttpRequest.Builder request =
        HttpRequest.newBuilder(URI.create(base + path)).timeout(Duration.ofSeconds(10));
    if (authorization != null) {
      request.header("Authorization", authorization);
    }
    return http.send(request.build(), HttpResponse.BodyHandlers.ofString());
  }

  @Test
  @Timeout(30)
  @DisplayName("answers 401 with a problem body to a request without the token or with another")
  void shouldRefuseRequestsWithoutTheToken() throws Exception {
    for (String authorization :
        new String[] {null, "Bearer nope", "Basic " + TOKEN, "Bearer " + TOKEN + "x"}) {
      HttpResponse<String> refused = get("/admin", authorization);

      assertThat(refused.statusCode()).as(String.valueOf(authorization)).isEqualTo(401);
      assertThat(refused.headers().firstValue("Content-Type")).hasValue("application/problem+json");
      assertThat(refused.headers().firstValue("WWW-Authenticate"))
          .hasValueSatisfying(v -> assertThat(v).startsWith("Bearer"));
      JsonObject problem = new JsonObject(refused.body());
      assertThat(problem.getInteger("status")).isEqualTo(401);
      assertThat(problem.getString("type")).endsWith("/unauthorized");
      assertThat(problem.getString("detail")).contains("admin.tokenFile");
    }
    assertThat(get("/admin/loggers/ROOT", null).statusCode()).isEqualTo(401);
    assertThat(get("/admin/dlt", null).statusCode()).isEqualTo(401);
  }

  @Test
  @Timeout(30)
  @DisplayName("answers a request that carries the token")
  void shouldAnswerRequestsWithTheToken() throws Exception {
    HttpResponse<String> view = get("/admin", "Bearer " + TOKEN);

    assertThat(view.statusCode()).isEqualTo(200);
    assertThat(new JsonObject(view.body()).getJsonObject("process").getString("state"))
        .isEqualTo("READY");
    assertThat(get("/admin/loggers/ROOT", "bearer " + TOKEN).statusCode()).isEqualTo(200);
  }

  @Test
  @Timeout(30)
  @DisplayName("serves the console's files, which hold no data, without the token")
  void shouldServeConsoleWithoutToken() throws Exception {
    HttpResponse<String> page = get("/console", null);

    assertThat(page.statusCode()).isEqualTo(200);
    assertThat(page.headers().firstValue("Content-Type"))
        .hasValueSatisfying(v -> assertThat(v).startsWith("text/html"));
    assertThat(page.headers().firstValue("Content-Security-Policy"))
        .hasValueSatisfying(
            v -> assertThat(v).contains("default-src 'none'").contains("connect-src 'self'"));
    assertThat(page.body()).contains("Courier console").contains("/console/console.js");
    assertThat(get("/console/console.js", null).body()).contains("Authorization");
    assertThat(get("/console/nothing.js", null).statusCode()).isEqualTo(404);
    assertThat(get("/console/", null).body()).as("served again, whole").isEqualTo(page.body());
  }

  @Test
  @Timeout(30)
  @DisplayName("refuses a change sent from another origin, even with the token")
  void shouldRefuseCrossOriginChanges() throws Exception {
    HttpResponse<String> refused =
        http.send(
            HttpRequest.newBuilder(URI.create(base + "/admin/loggers/ROOT"))
                .timeout(Duration.ofSeconds(10))
                .header("Authorization", "Bearer " + TOKEN)
                .header("Origin", "http://evil.example")
                .header("Content-Type", "application/json")
                .PUT(HttpRequest.BodyPublishers.ofString("{\"level\": \"DEBUG\"}"))
                .build(),
            HttpResponse.BodyHandlers.ofString());

    assertThat(refused.statusCode()).isEqualTo(403);
    assertThat(new JsonObject(refused.body()).getString("type")).endsWith("/cross-origin");
  }
}
