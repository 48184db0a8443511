package io.courier.gateway;

import static org.assertj.core.api.Assertions.assertThat;

import io.courier.kafka.embedded.EmbeddedKafkaBroker;
import io.courier.kafka.embedded.SharedKafkaBroker;
import io.courier.runtime.CourierRuntime;
import io.courier.runtime.Role;
import io.courier.runtime.RoleDeployment;
import io.courier.runtime.config.ConfigLoader;
import io.courier.runtime.config.CourierConfig;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.VerticleBase;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.client.HttpResponse;
import io.vertx.ext.web.client.WebClient;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;

@ExtendWith(SharedKafkaBroker.class)
@DisplayName("The gateway's health endpoints")
class GatewayHealthIT {

  private final Vertx client = Vertx.vertx();
  private CourierRuntime runtime;

  @AfterEach
  void close() throws Exception {
    if (runtime != null) {
      runtime.stop(Duration.ofSeconds(20)).await(30, TimeUnit.SECONDS);
    }
    client.close().await(10, TimeUnit.SECONDS);
  }

  @Test
  @Timeout(60)
  @DisplayName("answer 503 naming the role still starting, then 200 once every role is up")
  void shouldAnswer503UntilEveryRoleIsUp(EmbeddedKafkaBroker kafka) throws Exception {
    Promise<Void> release = Promise.promise();
    Promise<String> gatewayUp = Promise.promise();
    Map<String, Role> roles =
        Map.of(GatewayRole.NAME, new GatewayRole(), "slow", slowRole(release, gatewayUp));
    Future<CourierRuntime> starting = CourierRuntime.start(config(kafka), roles);
    String base = gatewayUp.future().await(30, TimeUnit.SECONDS);
    WebClient web = WebClient.create(client);

    HttpResponse<Buffer> starting503 =
        web.getAbs(base + "/health/ready").send().await(10, TimeUnit.SECONDS);
    assertThat(starting503.statusCode()).isEqualTo(503);
    JsonObject body = starting503.bodyAsJsonObject();
    assertThat(body.getString("status")).isEqualTo("DOWN");
    assertThat(body.getJsonArray("checks").encode())
        .contains("{\"id\":\"role:slow\",\"status\":\"DOWN\"")
        .contains("{\"id\":\"role:gateway\",\"status\":\"UP\"}");
    assertThat(web.getAbs(base + "/health/live").send().await(10, TimeUnit.SECONDS).statusCode())
        .isEqualTo(200);

    release.complete();
    runtime = starting.await(30, TimeUnit.SECONDS);

    HttpResponse<Buffer> ready =
        web.getAbs(base + "/health/ready").send().await(10, TimeUnit.SECONDS);
    assertThat(ready.statusCode()).isEqualTo(200);
    assertThat(ready.bodyAsJsonObject().getString("outcome")).isEqualTo("UP");
  }

  private static CourierConfig config(EmbeddedKafkaBroker kafka) {
    return new ConfigLoader(
            Map.of(),
            Map.of(
                "courier.kafka.bootstrapServers", kafka.bootstrapServers(),
                "courier.roles", "gateway,slow",
                "courier.gateway.port", "0",
                "courier.gateway.grpcPort", "0",
                "courier.resilience.policyFile", "../../conf/resilience.json"),
            Map.of(GatewayRole.NAME, new GatewayRole().configSections(), "slow", List.of()))
        .load(null);
  }

  /** A role whose start completes when the test says, reporting the gateway's URL first. */
  private static Role slowRole(Promise<Void> release, Promise<String> gatewayUp) {
    return Role.of(
        "slow",
        roleContext ->
            List.of(
                RoleDeployment.of(
                    "slow",
                    () ->
                        new VerticleBase() {
                          @Override
                          public Future<?> start() {
                            gatewayUp.tryComplete(roleContext.endpoints().get("gateway"));
                            return release.future();
                          }
                        },
                    1)));
  }
}
