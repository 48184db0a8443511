package io.courier.runtime.admin;

import static org.assertj.core.api.Assertions.assertThat;

import io.courier.runtime.chaos.Faults;
import io.courier.runtime.impl.AdminServer;
import io.courier.runtime.kafka.DeadLetters;
import io.courier.runtime.metrics.Meters;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The admin server's dead-letter endpoints refuse what they cannot take before asking Kafka (the
 * brokers here do not exist; {@code ConsoleBrowserIT} lists and replays against a real one).
 */
@DisplayName("The admin server's dead-letter endpoints")
class AdminDeadLettersTest {

  private final Vertx vertx = Vertx.vertx();
  private final HttpClient http =
      HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

  @AfterEach
  void stop() throws Exception {
    vertx.close().await(10, TimeUnit.SECONDS);
  }

  private String start(boolean withDeadLetters) throws Exception {
    int port =
        new AdminServer(
                vertx,
                JsonObject::new,
                Meters.none(),
                new AdminSections(),
                Faults.create(vertx, Set.of()),
                "",
                withDeadLetters ? () -> new DeadLetters(vertx, "127.0.0.1:1") : null)
            .listen("127.0.0.1", 0)
            .await(10, TimeUnit.SECONDS);
    return "http://127.0.0.1:" + port;
  }

  private HttpResponse<String> send(HttpRequest.Builder request) throws Exception {
    return http.send(
        request.timeout(Duration.ofSeconds(10)).build(), HttpResponse.BodyHandlers.ofString());
  }

  @Test
  @Timeout(30)
  @DisplayName("refuses a bad topic, filter or selection with a problem body naming it")
  void shouldRefuseBadRequests() throws Exception {
    String base = start(true);

    HttpResponse<String> topic =
        send(HttpRequest.newBuilder(URI.create(base + "/admin/dlt/a%20b")));
    HttpResponse<String> since =
        send(HttpRequest.newBuilder(URI.create(base + "/admin/dlt/orders?since=yesterday")));
    HttpResponse<String> ids =
        send(
            HttpRequest.newBuilder(URI.create(base + "/admin/dlt/orders/replay"))
                .header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString("{\"ids\": [\"12\"]}")));
    HttpResponse<String> method =
        send(HttpRequest.newBuilder(URI.create(base + "/admin/dlt/orders/replay")).DELETE());

    assertThat(topic.statusCode()).isEqualTo(400);
    assertThat(new JsonObject(topic.body()).getString("detail")).contains("not a topic name");
    assertThat(since.statusCode()).isEqualTo(400);
    assertThat(new JsonObject(since.body()).getString("detail")).contains("not a filter");
    assertThat(ids.statusCode()).isEqualTo(400);
    assertThat(new JsonObject(ids.body()).getString("detail"))
        .contains("'12' is not an id p<partition>@<offset>");
    assertThat(method.statusCode()).isEqualTo(405);
  }

  @Test
  @Timeout(30)
  @DisplayName("refuses a replay sent from another origin: a web page cannot drive it")
  void shouldRefuseCrossOriginReplay() throws Exception {
    String base = start(true);

    HttpResponse<String> replay =
        send(
            HttpRequest.newBuilder(URI.create(base + "/admin/dlt/orders/replay"))
                .header("Origin", "http://evil.example")
                .header("Content-Type", "text/plain")
                .POST(HttpRequest.BodyPublishers.ofString("{}")));

    assertThat(replay.statusCode()).isEqualTo(403);
  }

  @Test
  @Timeout(30)
  @DisplayName("answers 404 when the process reads no dead letters")
  void shouldAnswerNotFoundWithoutDeadLetters() throws Exception {
    String base = start(false);

    HttpResponse<String> list = send(HttpRequest.newBuilder(URI.create(base + "/admin/dlt")));

    assertThat(list.statusCode()).isEqualTo(404);
    assertThat(list.headers().firstValue("Content-Type")).hasValue("application/problem+json");
  }
}
