package io.courier.runtime;

import static org.assertj.core.api.Assertions.assertThat;

import io.courier.contract.v1.GetUserRequest;
import io.courier.contract.v1.GetUserResponse;
import io.courier.contract.v1.User;
import io.courier.kafka.embedded.EmbeddedKafkaBroker;
import io.courier.kafka.embedded.SharedKafkaBroker;
import io.courier.runtime.config.ConfigLoader;
import io.courier.runtime.config.CourierConfig;
import io.vertx.core.Future;
import io.vertx.core.eventbus.Message;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;

/** Two runtimes built from cluster configuration, joined over Hazelcast on 127.0.0.1. */
@ExtendWith(SharedKafkaBroker.class)
@DisplayName("Two clustered Courier runtimes")
class ClusteredRuntimeIT {

  private static final String ADDRESS = "test.users.get";

  private final List<CourierRuntime> runtimes = new ArrayList<>();

  @AfterEach
  void stop() throws Exception {
    for (CourierRuntime runtime : runtimes) {
      runtime.stop(Duration.ofSeconds(20)).await(30, TimeUnit.SECONDS);
    }
  }

  @Test
  @Timeout(120)
  @DisplayName("answer a protobuf request from one member's role on the other member")
  void shouldAnswerAcrossTheCluster(EmbeddedKafkaBroker kafka) throws Exception {
    String cluster = "runtime-it-" + UUID.randomUUID();
    int first = freePort();
    int second = freePort();
    Map<String, Role> roles = Map.of("users", usersRole(), "idle", idleRole());

    runtimes.add(
        CourierRuntime.start(config(kafka, cluster, first, first, second, "users"), roles)
            .await(60, TimeUnit.SECONDS));
    CourierRuntime caller =
        CourierRuntime.start(config(kafka, cluster, second, first, second, "idle"), roles)
            .await(60, TimeUnit.SECONDS);
    runtimes.add(caller);

    GetUserResponse response =
        caller
            .vertx()
            .eventBus()
            .<GetUserResponse>request(ADDRESS, GetUserRequest.newBuilder().setUserId("u-7").build())
            .await(30, TimeUnit.SECONDS)
            .body();

    assertThat(response.getUser().getId()).isEqualTo("u-7");
    assertThat(response.getUser().getName()).isEqualTo("User u-7");
    assertThat(caller.vertx().isClustered()).isTrue();
    io.vertx.ext.healthchecks.CheckResult ready =
        caller.readiness().checks().checkStatus().await(10, TimeUnit.SECONDS);
    assertThat(ready.getUp()).isTrue();
    assertThat(ready.toJson().encode()).contains("\"id\":\"cluster\"", "\"members\":2");
    java.net.http.HttpResponse<String> admin =
        java.net.http.HttpClient.newHttpClient()
            .send(
                java.net.http.HttpRequest.newBuilder(
                        java.net.URI.create(caller.endpoints().get("admin")))
                    .build(),
                java.net.http.HttpResponse.BodyHandlers.ofString());
    io.vertx.core.json.JsonObject view =
        new io.vertx.core.json.JsonObject(admin.body()).getJsonObject("cluster");
    assertThat(view.getJsonArray("members")).hasSize(2);
    assertThat(view.getJsonArray("processes")).hasSize(2);
    assertThat(view.getJsonArray("processes").encode())
        .contains("\"users\":\"deployed\"", "\"idle\":\"deployed\"");
  }

  private static CourierConfig config(
      EmbeddedKafkaBroker kafka, String cluster, int port, int member1, int member2, String roles) {
    return new ConfigLoader(
            Map.of(),
            Map.of(
                "courier.cluster.enabled",
                "true",
                "courier.cluster.name",
                cluster,
                "courier.cluster.port",
                Integer.toString(port),
                "courier.cluster.members",
                "127.0.0.1:" + member1 + ",127.0.0.1:" + member2,
                "courier.kafka.bootstrapServers",
                kafka.bootstrapServers(),
                "courier.roles",
                roles),
            TestRoles.named("users", "idle"))
        .load(null);
  }

  private static Role usersRole() {
    return role(
        "users",
        vertx ->
            vertx
                .eventBus()
                .<GetUserRequest>consumer(
                    ADDRESS,
                    (Message<GetUserRequest> request) ->
                        request.reply(
                            GetUserResponse.newBuilder()
                                .setUser(
                                    User.newBuilder()
                                        .setId(request.body().getUserId())
                                        .setName("User " + request.body().getUserId()))
                                .build()))
                .completion());
  }

  private static Role idleRole() {
    return role("idle", vertx -> Future.succeededFuture());
  }

  private static Role role(
      String name, java.util.function.Function<io.vertx.core.Vertx, Future<?>> start) {
    return TestRoles.starting(name, (context, vertx) -> start.apply(vertx));
  }

  private static int freePort() {
    return io.courier.kafka.embedded.LoopbackPorts.free();
  }
}
