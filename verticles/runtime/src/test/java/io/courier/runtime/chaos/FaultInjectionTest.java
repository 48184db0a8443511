package io.courier.runtime.chaos;

import static org.assertj.core.api.Assertions.assertThat;

import io.courier.runtime.admin.AdminSections;
import io.courier.runtime.impl.AdminServer;
import io.courier.runtime.metrics.Meters;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Fault points and the admin endpoints that set them, over real HTTP on loopback. The points are
 * the reference services' two, as their roles declare them.
 */
@DisplayName("Fault injection")
class FaultInjectionTest {

  private final Vertx vertx = Vertx.vertx();
  private final Faults faults = Faults.create(vertx, Set.of("user-service", "payment-provider"));
  private final HttpClient http =
      HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
  private String base;

  @BeforeEach
  void start() throws Exception {
    int port =
        new AdminServer(vertx, JsonObject::new, Meters.none(), new AdminSections(), faults)
            .listen("127.0.0.1", 0)
            .await(10, TimeUnit.SECONDS);
    base = "http://127.0.0.1:" + port + "/admin/faults";
  }

  @AfterEach
  void stop() throws Exception {
    vertx.close().await(10, TimeUnit.SECONDS);
  }

  private HttpResponse<String> send(String method, String path, String body) throws Exception {
    return http.send(
        HttpRequest.newBuilder(URI.create(base + path))
            .timeout(Duration.ofSeconds(10))
            .method(
                method,
                body == null
                    ? HttpRequest.BodyPublishers.noBody()
                    : HttpRequest.BodyPublishers.ofString(body))
            .build(),
        HttpResponse.BodyHandlers.ofString());
  }

  @Test
  @Timeout(30)
  @DisplayName("answers 409 while fault injection is off, and the fault points stay inert")
  void shouldRefuseWhenOff() throws Exception {
    HttpResponse<String> put = send("PUT", "/user-service", "{\"errorRatio\": 1}");

    assertThat(put.statusCode()).isEqualTo(409);
    assertThat(put.body()).contains("admin.faultInjection");
    assertThat(send("GET", "", null).statusCode()).isEqualTo(409);
    assertThat(faults.at("user-service").succeeded()).isTrue();
  }

  @Test
  @Timeout(30)
  @DisplayName(
      "refuses an unknown point, malformed JSON, an empty body, unknown keys and bad values")
  void shouldRefuseBadFaults() throws Exception {
    faults.enable();

    HttpResponse<String> unknown = send("PUT", "/billing", "{\"errorRatio\": 1}");
    assertThat(unknown.statusCode()).isEqualTo(404);
    assertThat(new JsonObject(unknown.body()).getJsonArray("points").getList())
        .containsExactly("payment-provider", "user-service");
    assertThat(send("PUT", "/user-service", "{\"errorRatio\": ").body()).contains("not a fault");
    assertThat(send("PUT", "/user-service", "{\"errorRatio\": ").statusCode()).isEqualTo(400);
    assertThat(send("PUT", "/user-service", "").body()).contains("the body is empty");
    assertThat(send("PUT", "/user-service", "{\"errorRate\": 1}").body())
        .contains("unknown key 'errorRate'");
    HttpResponse<String> ratio = send("PUT", "/user-service", "{\"errorRatio\": 1.5}");
    assertThat(ratio.statusCode()).isEqualTo(400);
    assertThat(ratio.body()).contains("errorRatio must be 0..1, was 1.5");
    assertThat(send("PUT", "/user-service", "{\"latencyMs\": -5}").body())
        .contains("latencyMs must be 0..60000, was -5");
    assertThat(send("PUT", "/user-service", "{\"latencyMs\": 2.5}").body())
        .contains("latencyMs must be a whole number");
    assertThat(send("POST", "/user-service", "{}").statusCode()).isEqualTo(405);
    assertThat(faults.active()).isEmpty();
  }

  @Test
  @Timeout(30)
  @DisplayName("delays and fails calls as set, shows the fault, and clears it")
  void shouldInjectAndClear() throws Exception {
    faults.enable();

    HttpResponse<String> set =
        send("PUT", "/user-service", "{\"latencyMs\": 200, \"errorRatio\": 1}");
    assertThat(set.statusCode()).isEqualTo(200);
    assertThat(new JsonObject(send("GET", "", null).body()).getJsonObject("faults").encode())
        .isEqualTo("{\"user-service\":{\"latencyMs\":200,\"errorRatio\":1.0}}");

    long begin = System.nanoTime();
    Throwable failure =
        faults
            .at("user-service")
            .toCompletionStage()
            .handle((v, e) -> e)
            .toCompletableFuture()
            .get(10, TimeUnit.SECONDS);
    assertThat(failure)
        .isInstanceOf(Faults.InjectedFaultException.class)
        .hasMessage("fault injected at user-service");
    assertThat(TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - begin))
        .isGreaterThanOrEqualTo(200);
    assertThat(faults.at("payment-provider").succeeded())
        .as("another point is not touched")
        .isTrue();

    assertThat(send("DELETE", "/user-service", null).statusCode()).isEqualTo(200);
    assertThat(faults.at("user-service").succeeded()).isTrue();
    assertThat(faults.active()).isEmpty();
  }

  @Test
  @Timeout(30)
  @DisplayName("fails about the set share of calls")
  void shouldFailTheSetShare() throws Exception {
    faults.enable();
    faults.set("payment-provider", new Faults.Fault(0, 0.5));
    List<Future<Void>> calls = new ArrayList<>();
    for (int i = 0; i < 4_000; i++) {
      calls.add(faults.at("payment-provider"));
    }
    long failed = calls.stream().filter(Future::failed).count();
    // Binomial(4000, 0.5): mean 2000, sd ~32; 1800..2200 is more than six sd either side.
    assertThat(failed).isBetween(1_800L, 2_200L);
  }
}
