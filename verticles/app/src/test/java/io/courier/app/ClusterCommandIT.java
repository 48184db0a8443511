package io.courier.app;

import static org.assertj.core.api.Assertions.assertThat;

import io.courier.app.Cli.Result;
import io.courier.kafka.embedded.EmbeddedKafkaBroker;
import io.courier.kafka.embedded.SharedKafkaBroker;
import io.courier.runtime.CourierRuntime;
import io.courier.runtime.Roles;
import io.courier.runtime.config.CourierConfig;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpServer;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * {@code courier cluster} against a running process's real admin API (the README's three-member
 * cluster runs it across members: ReadmeClusterIT), and against what is not an admin API.
 */
@ExtendWith(SharedKafkaBroker.class)
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@DisplayName("The cluster command")
class ClusterCommandIT {

  private CourierRuntime runtime;
  private String admin;
  private final Vertx other = Vertx.vertx();

  @BeforeAll
  void start(EmbeddedKafkaBroker kafka) throws Exception {
    Map<String, String> props = new HashMap<>();
    props.put("courier.kafka.bootstrapServers", kafka.bootstrapServers());
    props.put("courier.roles", "notification-service,payment-service");
    props.put("courier.resilience.policyFile", "../../conf/resilience.json");
    CourierConfig config = Roles.configLoader(Map.of(), props, Roles.available()).load(null);
    runtime = CourierRuntime.start(config, Roles.available()).await(120, TimeUnit.SECONDS);
    admin = runtime.endpoints().get("admin");
  }

  @AfterAll
  void stop() throws Exception {
    if (runtime != null) {
      runtime.stop(Duration.ofSeconds(20)).await(30, TimeUnit.SECONDS);
    }
    other.close().await(10, TimeUnit.SECONDS);
  }

  @Test
  @Timeout(60)
  @DisplayName("status shows the member, its state and its roles; --json the same as JSON")
  void shouldShowStatus() {
    Result table = courier("cluster", "status", "--admin", admin);
    assertThat(table.exit()).as(table.err()).isZero();
    assertThat(table.out())
        .contains("1 member(s)", "MEMBER", "READY", "notification-service", "payment-service");

    Result json = courier("cluster", "status", "--admin", admin, "--json");
    assertThat(json.exit()).as(json.err()).isZero();
    JsonArray members = new JsonObject(json.out()).getJsonArray("members");
    assertThat(members).hasSize(1);
    assertThat(members.getJsonObject(0).getString("state")).isEqualTo("READY");
    assertThat(members.getJsonObject(0).getJsonObject("roles").getMap())
        .containsEntry("notification-service", "deployed")
        .containsEntry("payment-service", "deployed");
  }

  @Test
  @Timeout(60)
  @DisplayName("services lists the announced endpoints; lag and breakers read every member")
  void shouldShowServicesLagAndBreakers() {
    Result services = courier("cluster", "services", "--admin", admin);
    assertThat(services.exit()).as(services.err()).isZero();
    assertThat(services.out()).contains("admin", admin, "health");

    Result lag = courier("cluster", "lag", "--admin", admin, "--json");
    assertThat(lag.exit()).as(lag.err()).isZero();
    JsonObject lagJson = new JsonObject(lag.out());
    assertThat(lagJson.getLong("total")).isNotNull().isGreaterThanOrEqualTo(0);
    assertThat(
            lagJson
                .getJsonArray("members")
                .getJsonObject(0)
                .getJsonObject("consumers")
                .fieldNames())
        .as("the consumer groups of the two roles")
        .contains("notification-service", "payment-service");
    Result lagTable = courier("cluster", "lag", "--admin", admin);
    assertThat(lagTable.out()).contains("GROUP", "PARTITION", "total lag:");

    Result breakers = courier("cluster", "breakers", "--admin", admin, "--json");
    assertThat(breakers.exit()).as(breakers.err()).isZero();
    assertThat(new JsonObject(breakers.out()).getJsonArray("members").getJsonObject(0).getMap())
        .containsKeys("member", "breakers", "instances");
  }

  @Test
  @Timeout(60)
  @DisplayName(
      "refuses what is not an admin API with a clear message and exit 2: no URL, nothing"
          + " listening, another HTTP endpoint, a non-JSON answer")
  void shouldRefuseWhatIsNotAnAdminApi() throws Exception {
    assertThat(courier("cluster", "status", "--admin", "ftp://127.0.0.1/admin"))
        .satisfies(r -> assertThat(r.exit()).isEqualTo(2))
        .satisfies(r -> assertThat(r.err()).contains("not an http(s) admin URL"));
    assertThat(courier("cluster", "status", "--admin", "not a url"))
        .satisfies(r -> assertThat(r.exit()).isEqualTo(2))
        .satisfies(r -> assertThat(r.err()).contains("not a URL"));
    assertThat(courier("cluster", "lag", "--admin", "http://127.0.0.1:1/admin", "--timeout", "2"))
        .satisfies(r -> assertThat(r.exit()).isEqualTo(2))
        .satisfies(r -> assertThat(r.err()).contains("cannot reach http://127.0.0.1:1/admin"));
    String health = runtime.endpoints().get("health");
    assertThat(courier("cluster", "status", "--admin", health.replace("/health/ready", "/nope")))
        .satisfies(r -> assertThat(r.exit()).isEqualTo(2))
        .satisfies(r -> assertThat(r.err()).contains("answered 404", "is it the admin port?"));
    HttpServer text =
        other
            .createHttpServer()
            .requestHandler(request -> request.response().end("<html>hello</html>"))
            .listen(0, "127.0.0.1")
            .await(10, TimeUnit.SECONDS);
    assertThat(
            courier("cluster", "status", "--admin", "http://127.0.0.1:" + text.actualPort() + "/"))
        .satisfies(r -> assertThat(r.exit()).isEqualTo(2))
        .satisfies(r -> assertThat(r.err()).contains("not JSON"));
    assertThat(courier("cluster"))
        .satisfies(r -> assertThat(r.exit()).isEqualTo(2))
        .satisfies(r -> assertThat(r.err()).contains("status, services, breakers or lag"));
  }

  private static Result courier(String... args) {
    return Cli.courier(args);
  }
}
