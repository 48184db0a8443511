package io.courier.app.flow;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.courier.kafka.embedded.EmbeddedKafkaBroker;
import io.courier.kafka.embedded.SharedKafkaBroker;
import io.courier.runtime.CourierRuntime;
import io.courier.runtime.Roles;
import io.grpc.ManagedChannel;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.health.v1.HealthCheckRequest;
import io.grpc.health.v1.HealthCheckResponse.ServingStatus;
import io.grpc.health.v1.HealthGrpc;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/**
 * The user and inventory services' gRPC servers, started by their roles with sealed identities
 * required, answer grpc-java's health client without an identity, for the server and for the
 * service each hosts.
 */
@ExtendWith(SharedKafkaBroker.class)
@DisplayName("The services' gRPC servers")
class StandardGrpcServicesIT {

  @TempDir Path work;

  private final List<ManagedChannel> channels = new ArrayList<>();
  private CourierRuntime runtime;

  @AfterEach
  void close() throws Exception {
    for (ManagedChannel channel : channels) {
      channel.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
    }
    if (runtime != null) {
      runtime.stop(Duration.ofSeconds(20)).await(30, TimeUnit.SECONDS);
    }
  }

  @Test
  @Timeout(120)
  @DisplayName(
      "answer health SERVING for the server and their service without an identity, and NOT_FOUND"
          + " for another service")
  void shouldAnswerHealthOnEveryServiceServer(EmbeddedKafkaBroker kafka) throws Exception {
    Map<String, String> props = new HashMap<>();
    props.put("courier.roles", "user-service,inventory-service");
    props.put("courier.security.identity.required", "true");
    props.put("courier.security.identity.devKeyDir", "");
    props.put(
        "courier.security.identity.key",
        Base64.getEncoder()
            .encodeToString(
                "an identity key of 32 bytes, ok!".getBytes(StandardCharsets.US_ASCII)));
    FlowSeeds seeds = FlowSeeds.write(work, "h" + UUID.randomUUID(), 2, 2, 10);
    runtime =
        CourierRuntime.start(OrderFlowIT.config(kafka, seeds, props), Roles.available())
            .await(90, TimeUnit.SECONDS);

    Map<String, String> hosted =
        Map.of(
            "user-service (gRPC)", "courier.v1.UserService",
            "inventory-service (gRPC)", "courier.v1.InventoryService");
    for (Map.Entry<String, String> server : hosted.entrySet()) {
      HealthGrpc.HealthBlockingStub health = health(runtime.endpoints().get(server.getKey()));
      assertThat(health.check(asking("")).getStatus())
          .as(server.getKey())
          .isEqualTo(ServingStatus.SERVING);
      assertThat(health.check(asking(server.getValue())).getStatus())
          .as(server.getKey() + " for " + server.getValue())
          .isEqualTo(ServingStatus.SERVING);
      assertThatThrownBy(() -> health.check(asking("courier.v1.OrderService")))
          .as(server.getKey() + " for a service it does not host")
          .isInstanceOfSatisfying(
              StatusRuntimeException.class,
              e -> assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.NOT_FOUND));
    }
  }

  private HealthGrpc.HealthBlockingStub health(String endpoint) {
    assertThat(endpoint).as("an announced gRPC endpoint").isNotNull();
    ManagedChannel channel =
        NettyChannelBuilder.forAddress(
                "127.0.0.1", Integer.parseInt(endpoint.substring(endpoint.lastIndexOf(':') + 1)))
            .usePlaintext()
            .build();
    channels.add(channel);
    return HealthGrpc.newBlockingStub(channel).withDeadlineAfter(10, TimeUnit.SECONDS);
  }

  private static HealthCheckRequest asking(String service) {
    return HealthCheckRequest.newBuilder().setService(service).build();
  }
}
