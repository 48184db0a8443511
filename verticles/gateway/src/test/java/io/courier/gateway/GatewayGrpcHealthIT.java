package io.courier.gateway;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.courier.kafka.embedded.EmbeddedKafkaBroker;
import io.courier.kafka.embedded.SharedKafkaBroker;
import io.courier.runtime.CourierRuntime;
import io.courier.runtime.Roles;
import io.courier.runtime.config.CourierConfig;
import io.grpc.ManagedChannel;
import io.grpc.Metadata;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.health.v1.HealthCheckRequest;
import io.grpc.health.v1.HealthCheckResponse;
import io.grpc.health.v1.HealthCheckResponse.ServingStatus;
import io.grpc.health.v1.HealthGrpc;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import io.grpc.reflection.v1.ServerReflectionGrpc;
import io.grpc.reflection.v1.ServerReflectionRequest;
import io.grpc.reflection.v1.ServerReflectionResponse;
import io.grpc.reflection.v1.ServiceResponse;
import io.grpc.stub.MetadataUtils;
import io.grpc.stub.StreamObserver;
import io.vertx.core.Future;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/**
 * The gateway's gRPC edge, requiring JWTs, as a grpc-java client sees its standard services: health
 * answered without a token and following the process's readiness through a graceful stop,
 * reflection behind the same token as the API.
 */
@ExtendWith(SharedKafkaBroker.class)
@DisplayName("The gateway's gRPC edge's health and reflection")
class GatewayGrpcHealthIT {

  private static final String ORDERS = "courier.v1.OrderService";

  private final List<ManagedChannel> channels = new ArrayList<>();
  private CourierRuntime runtime;
  private CourierConfig config;

  /** The edge's host:port, kept for calls made while the process stops. */
  private String edge;

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
  @Timeout(90)
  @DisplayName(
      "answers health SERVING without a token, then NOT_SERVING to a watcher and to Check as soon"
          + " as a graceful stop begins, and ends the watch UNAVAILABLE")
  void shouldAnswerHealthWithoutATokenThroughAStop(EmbeddedKafkaBroker kafka, @TempDir Path keys)
      throws Exception {
    start(kafka, keys);
    HealthGrpc.HealthBlockingStub health = health();

    assertThat(health.check(asking("")).getStatus()).isEqualTo(ServingStatus.SERVING);
    assertThat(health.check(asking(ORDERS)).getStatus()).isEqualTo(ServingStatus.SERVING);
    assertThatThrownBy(() -> health.check(asking("courier.v1.UserService")))
        .as("a service the gateway's edge does not host")
        .isInstanceOfSatisfying(
            StatusRuntimeException.class,
            e -> assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.NOT_FOUND));

    Watch watch = new Watch();
    HealthGrpc.newStub(channel()).watch(asking(""), watch);
    assertThat(watch.next()).isEqualTo(ServingStatus.SERVING);

    // The quiet period keeps the edge listening while readiness is down.
    Future<Void> stopping = runtime.stop(Duration.ofSeconds(20));
    CourierRuntime stopped = runtime;
    runtime = null;
    assertThat(watch.next()).isEqualTo(ServingStatus.NOT_SERVING);
    assertThat(stopped.state()).isEqualTo(CourierRuntime.State.DRAINING);
    assertThat(health().check(asking("")).getStatus())
        .as("a Check while draining, the edge still listening")
        .isEqualTo(ServingStatus.NOT_SERVING);
    assertThat(watch.end()).isEqualTo(Status.Code.UNAVAILABLE);
    stopping.await(30, TimeUnit.SECONDS);
  }

  @Test
  @Timeout(90)
  @DisplayName("lists its services by reflection to a caller with a token, and to none without")
  void shouldServeReflectionBehindTheToken(EmbeddedKafkaBroker kafka, @TempDir Path keys)
      throws Exception {
    start(kafka, keys);
    GatewayConfig.AuthConfig auth = config.section(GatewayConfig.SECTION).auth();
    String token =
        DevSigningKey.loadOrCreate(keys)
            .mint(auth.issuer(), auth.audience(), "u-0001", Set.of(), Duration.ofMinutes(5));
    Metadata bearer = GrpcRaw.bearer(token);

    ServerReflectionResponse listed =
        reflect(
            ServerReflectionGrpc.newStub(channel())
                .withInterceptors(MetadataUtils.newAttachHeadersInterceptor(bearer)));
    assertThat(listed.getListServicesResponse().getServiceList())
        .extracting(ServiceResponse::getName)
        .contains(ORDERS, "grpc.health.v1.Health", "grpc.reflection.v1.ServerReflection");
    assertThatThrownBy(() -> reflect(ServerReflectionGrpc.newStub(channel())))
        .isInstanceOfSatisfying(
            StatusRuntimeException.class,
            e -> assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.UNAUTHENTICATED));
  }

  private static ServerReflectionResponse reflect(ServerReflectionGrpc.ServerReflectionStub stub)
      throws Exception {
    BlockingQueue<Object> answers = new LinkedBlockingQueue<>();
    StreamObserver<ServerReflectionRequest> requests =
        stub.withDeadlineAfter(10, TimeUnit.SECONDS)
            .serverReflectionInfo(
                new StreamObserver<>() {
                  @Override
                  public void onNext(ServerReflectionResponse value) {
                    answers.add(value);
                  }

                  @Override
                  public void onError(Throwable t) {
                    answers.add(t);
                  }

                  @Override
                  public void onCompleted() {}
                });
    requests.onNext(ServerReflectionRequest.newBuilder().setListServices("").build());
    requests.onCompleted();
    Object first = answers.poll(10, TimeUnit.SECONDS);
    if (first instanceof RuntimeException e) {
      throw e;
    }
    assertThat(first).as("an answer within 10 s").isInstanceOf(ServerReflectionResponse.class);
    return (ServerReflectionResponse) first;
  }

  private HealthGrpc.HealthBlockingStub health() {
    return HealthGrpc.newBlockingStub(channel()).withDeadlineAfter(10, TimeUnit.SECONDS);
  }

  private static HealthCheckRequest asking(String service) {
    return HealthCheckRequest.newBuilder().setService(service).build();
  }

  private ManagedChannel channel() {
    ManagedChannel channel =
        NettyChannelBuilder.forAddress(
                "127.0.0.1", Integer.parseInt(edge.substring(edge.lastIndexOf(':') + 1)))
            .usePlaintext()
            .build();
    channels.add(channel);
    return channel;
  }

  private void start(EmbeddedKafkaBroker kafka, Path keys) throws Exception {
    Map<String, String> props = new HashMap<>();
    props.put("courier.kafka.bootstrapServers", kafka.bootstrapServers());
    props.put("courier.roles", "gateway");
    props.put("courier.gateway.port", "0");
    props.put("courier.gateway.grpcPort", "0");
    props.put("courier.gateway.auth.mode", "jwt");
    props.put("courier.gateway.auth.devKeyDir", keys.toString());
    props.put("courier.grpc.reflection", "true");
    props.put("courier.grpc.healthWatchIntervalMs", "100");
    props.put("courier.shutdown.quietPeriodMs", "3000");
    props.put("courier.resilience.policyFile", "../../conf/resilience.json");
    config = Roles.configLoader(Map.of(), props, Roles.available()).load(null);
    runtime = CourierRuntime.start(config, Roles.available()).await(60, TimeUnit.SECONDS);
    edge = runtime.endpoints().get("gateway (gRPC)");
  }

  /** A Watch stream's statuses, and how it ended. */
  private static final class Watch implements StreamObserver<HealthCheckResponse> {
    private final BlockingQueue<ServingStatus> statuses = new LinkedBlockingQueue<>();
    private final BlockingQueue<Status.Code> ended = new LinkedBlockingQueue<>();

    @Override
    public void onNext(HealthCheckResponse value) {
      statuses.add(value.getStatus());
    }

    @Override
    public void onError(Throwable t) {
      ended.add(Status.fromThrowable(t).getCode());
    }

    @Override
    public void onCompleted() {
      ended.add(Status.Code.OK);
    }

    ServingStatus next() throws InterruptedException {
      ServingStatus next = statuses.poll(10, TimeUnit.SECONDS);
      assertThat(next).as("a status within 10 s").isNotNull();
      return next;
    }

    Status.Code end() throws InterruptedException {
      Status.Code end = ended.poll(20, TimeUnit.SECONDS);
      assertThat(end).as("the stream's end within 20 s").isNotNull();
      return end;
    }
  }
}
