package io.courier.service;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.google.protobuf.DescriptorProtos.FileDescriptorProto;
import io.courier.contract.v1.GetUserRequest;
import io.courier.contract.v1.GetUserResponse;
import io.courier.contract.v1.User;
import io.courier.contract.v1.UserServiceGrpcService;
import io.courier.contract.v1.UserServiceService;
import io.courier.runtime.health.Readiness;
import io.courier.runtime.security.IdentitySeal;
import io.grpc.CallOptions;
import io.grpc.ManagedChannel;
import io.grpc.MethodDescriptor;
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
import io.grpc.stub.ClientCalls;
import io.grpc.stub.StreamObserver;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpServer;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The standard services every Courier gRPC server serves, called with grpc-java's own stubs on
 * 127.0.0.1: {@code grpc.health.v1.Health} following a readiness the test turns up and down, and
 * server reflection when it is on.
 */
@DisplayName("A Courier gRPC server's standard services")
class StandardGrpcServicesTest {

  private static final String USERS = "courier.v1.UserService";

  private final Vertx vertx = Vertx.vertx();
  private final AtomicBoolean ready = new AtomicBoolean(true);
  private final Readiness readiness = Readiness.create(vertx);
  private final List<ManagedChannel> channels = new ArrayList<>();
  private HttpServer server;

  StandardGrpcServicesTest() {
    readiness.register(
        "test",
        promise ->
            promise.complete(
                ready.get()
                    ? io.vertx.ext.healthchecks.Status.OK()
                    : io.vertx.ext.healthchecks.Status.KO()));
  }

  @AfterEach
  void close() throws Exception {
    for (ManagedChannel channel : channels) {
      channel.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
    }
    vertx.close().await(10, TimeUnit.SECONDS);
  }

  private static UserServiceService users() {
    return new UserServiceService() {
      @Override
      public Future<GetUserResponse> getUser(GetUserRequest request) {
        return Future.succeededFuture(
            GetUserResponse.newBuilder()
                .setUser(User.newBuilder().setId(request.getUserId()))
                .build());
      }
    };
  }

  /** A server like the gateway's edge: its guard refuses every call that has no token. */
  private GrpcServers.Builder edge() {
    return GrpcServers.builder(vertx)
        .service(UserServiceGrpcService.of(users()))
        .entryGuard(
            request ->
                request.getHeader("authorization") == null
                    ? Future.failedFuture(new IllegalStateException("a bearer token is required"))
                    : Future.succeededFuture(null))
        .readiness(readiness)
        .healthWatchInterval(Duration.ofMillis(50));
  }

  private ManagedChannel channel() {
    ManagedChannel channel =
        NettyChannelBuilder.forAddress("127.0.0.1", server.actualPort()).usePlaintext().build();
    channels.add(channel);
    return channel;
  }

  private HealthGrpc.HealthBlockingStub health() {
    return HealthGrpc.newBlockingStub(channel()).withDeadlineAfter(10, TimeUnit.SECONDS);
  }

  private static HealthCheckRequest asking(String service) {
    return HealthCheckRequest.newBuilder().setService(service).build();
  }

  @Test
  @Timeout(30)
  @DisplayName(
      "answers health Check SERVING without a token where every other call needs one, and"
          + " NOT_FOUND for a service it does not host")
  void shouldAnswerHealthWithoutAToken() throws Exception {
    server = edge().listen().await(10, TimeUnit.SECONDS);
    HealthGrpc.HealthBlockingStub health = health();

    assertThat(health.check(asking("")).getStatus()).isEqualTo(ServingStatus.SERVING);
    assertThat(health.check(asking(USERS)).getStatus()).isEqualTo(ServingStatus.SERVING);
    assertThat(health.check(asking("grpc.health.v1.Health")).getStatus())
        .isEqualTo(ServingStatus.SERVING);
    assertThatThrownBy(() -> health.check(asking("courier.v1.NoSuchService")))
        .isInstanceOfSatisfying(
            StatusRuntimeException.class,
            e -> {
              assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.NOT_FOUND);
              assertThat(e.getStatus().getDescription()).contains("courier.v1.NoSuchService");
            });
    assertThatThrownBy(
            () ->
                raw(
                    USERS + "/GetUser",
                    GetUserRequest.newBuilder().setUserId("u1").build().toByteArray()))
        .as("a call of the service itself, without a token")
        .isInstanceOfSatisfying(
            StatusRuntimeException.class,
            e -> assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.UNAUTHENTICATED));
  }

  @Test
  @Timeout(30)
  @DisplayName(
      "answers health Check without a sealed identity where the service's methods require one")
  void shouldAnswerHealthWithoutAnIdentity() throws Exception {
    server =
        GrpcServers.builder(vertx)
            .service(UserServiceGrpcService.of(users()))
            .identity(
                IdentitySeal.of(
                    "an identity key of 32 bytes, ok!".getBytes(StandardCharsets.US_ASCII),
                    true,
                    60_000,
                    Clock.systemUTC()))
            .userFacing(Set.of(USERS + "/GetUser"))
            .readiness(readiness)
            .listen()
            .await(10, TimeUnit.SECONDS);

    assertThat(health().check(asking(USERS)).getStatus()).isEqualTo(ServingStatus.SERVING);
    assertThatThrownBy(
            () ->
                raw(
                    USERS + "/GetUser",
                    GetUserRequest.newBuilder().setUserId("u1").build().toByteArray()))
        .isInstanceOfSatisfying(
            StatusRuntimeException.class,
            e -> assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.UNAUTHENTICATED));
  }

  @Test
  @Timeout(30)
  @DisplayName("answers health Check NOT_SERVING while the process is not ready")
  void shouldAnswerNotServingWhileNotReady() throws Exception {
    ready.set(false);
    server = edge().listen().await(10, TimeUnit.SECONDS);

    assertThat(health().check(asking("")).getStatus()).isEqualTo(ServingStatus.NOT_SERVING);
    assertThat(health().check(asking(USERS)).getStatus()).isEqualTo(ServingStatus.NOT_SERVING);
  }

  @Test
  @Timeout(30)
  @DisplayName(
      "streams a Watch's changes as readiness drops and returns, then NOT_SERVING and UNAVAILABLE"
          + " when the server shuts down, without holding the shutdown open")
  void shouldStreamChangesToAWatcher() throws Exception {
    server = edge().listen().await(10, TimeUnit.SECONDS);
    Watch watch = new Watch();
    HealthGrpc.newStub(channel()).watch(asking(USERS), watch);

    assertThat(watch.next()).isEqualTo(ServingStatus.SERVING);
    ready.set(false);
    assertThat(watch.next()).isEqualTo(ServingStatus.NOT_SERVING);
    assertThat(health().check(asking(USERS)).getStatus())
        .as("a Check once the watcher has seen the change")
        .isEqualTo(ServingStatus.NOT_SERVING);
    ready.set(true);
    assertThat(watch.next()).isEqualTo(ServingStatus.SERVING);

    long started = System.nanoTime();
    server
        .shutdown(Duration.ofSeconds(20).toSeconds(), TimeUnit.SECONDS)
        .await(15, TimeUnit.SECONDS);
    assertThat(Duration.ofNanos(System.nanoTime() - started))
        .as("the shutdown, which would wait its 20 s for an open stream")
        .isLessThan(Duration.ofSeconds(10));
    assertThat(watch.next()).isEqualTo(ServingStatus.NOT_SERVING);
    assertThat(watch.end()).isEqualTo(Status.Code.UNAVAILABLE);
  }

  @Test
  @Timeout(30)
  @DisplayName(
      "answers a Watch of a service it does not host SERVICE_UNKNOWN and keeps it open until the"
          + " server shuts down")
  void shouldAnswerAWatchOfAnUnknownServiceServiceUnknown() throws Exception {
    server = edge().listen().await(10, TimeUnit.SECONDS);
    Watch watch = new Watch();
    HealthGrpc.newStub(channel()).watch(asking("courier.v1.NoSuchService"), watch);

    assertThat(watch.next()).isEqualTo(ServingStatus.SERVICE_UNKNOWN);
    assertThat(watch.ended.poll()).as("the stream, still open").isNull();
    long started = System.nanoTime();
    server.shutdown(20, TimeUnit.SECONDS).await(15, TimeUnit.SECONDS);
    assertThat(Duration.ofNanos(System.nanoTime() - started))
        .as("the shutdown, which would wait its 20 s for an open stream")
        .isLessThan(Duration.ofSeconds(10));
    assertThat(watch.end()).isEqualTo(Status.Code.UNAVAILABLE);
  }

  @Test
  @Timeout(30)
  @DisplayName("answers a health request that does not decode INVALID_ARGUMENT")
  void shouldRefuseAMalformedHealthRequest() throws Exception {
    server = edge().listen().await(10, TimeUnit.SECONDS);
    // Field 1 with wire type 7, which protobuf does not have.
    assertThatThrownBy(() -> raw("grpc.health.v1.Health/Check", new byte[] {0x0f, 1, 2}))
        .isInstanceOfSatisfying(
            StatusRuntimeException.class,
            e -> {
              assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.INVALID_ARGUMENT);
              assertThat(e.getStatus().getDescription())
                  .isEqualTo(
                      "the request message does not decode as the request of"
                          + " grpc.health.v1.Health/Check");
            });
  }

  @Test
  @Timeout(30)
  @DisplayName("lists its services by reflection (v1 and v1alpha) when reflection is on")
  void shouldListItsServicesByReflection() throws Exception {
    server =
        GrpcServers.builder(vertx)
            .service(UserServiceGrpcService.of(users()))
            .reflection(true)
            .listen()
            .await(10, TimeUnit.SECONDS);

    ServerReflectionResponse listed =
        reflect(ServerReflectionRequest.newBuilder().setListServices("").build());
    assertThat(listed.getListServicesResponse().getServiceList())
        .extracting(ServiceResponse::getName)
        .containsExactlyInAnyOrder(
            USERS,
            "grpc.health.v1.Health",
            "grpc.reflection.v1.ServerReflection",
            "grpc.reflection.v1alpha.ServerReflection");
    ServerReflectionResponse file =
        reflect(ServerReflectionRequest.newBuilder().setFileContainingSymbol(USERS).build());
    assertThat(
            FileDescriptorProto.parseFrom(
                    file.getFileDescriptorResponse().getFileDescriptorProto(0))
                .getServiceList())
        .anySatisfy(service -> assertThat(service.getName()).isEqualTo("UserService"));
    assertThat(
            reflectV1Alpha(
                    io.grpc.reflection.v1alpha.ServerReflectionRequest.newBuilder()
                        .setListServices("")
                        .build())
                .getListServicesResponse()
                .getServiceList())
        .extracting(io.grpc.reflection.v1alpha.ServiceResponse::getName)
        .contains(USERS);
  }

  @Test
  @Timeout(30)
  @DisplayName("answers reflection UNIMPLEMENTED when it is off")
  void shouldNotServeReflectionWhenOff() throws Exception {
    server =
        GrpcServers.builder(vertx)
            .service(UserServiceGrpcService.of(users()))
            .listen()
            .await(10, TimeUnit.SECONDS);

    assertThatThrownBy(
            () -> reflect(ServerReflectionRequest.newBuilder().setListServices("").build()))
        .isInstanceOfSatisfying(
            StatusRuntimeException.class,
            e -> assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.UNIMPLEMENTED));
  }

  /** A unary call of {@code method} with {@code message} as its bytes: the answer's bytes. */
  private byte[] raw(String method, byte[] message) {
    MethodDescriptor<byte[], byte[]> descriptor =
        MethodDescriptor.<byte[], byte[]>newBuilder()
            .setType(MethodDescriptor.MethodType.UNARY)
            .setFullMethodName(method)
            .setRequestMarshaller(new Bytes())
            .setResponseMarshaller(new Bytes())
            .build();
    return ClientCalls.blockingUnaryCall(
        channel(),
        descriptor,
        CallOptions.DEFAULT.withDeadlineAfter(10, TimeUnit.SECONDS),
        message);
  }

  /** The one answer to {@code request} on a reflection stream, or its failure. */
  private ServerReflectionResponse reflect(ServerReflectionRequest request) throws Exception {
    Answers<ServerReflectionResponse> answers = new Answers<>();
    StreamObserver<ServerReflectionRequest> requests =
        ServerReflectionGrpc.newStub(channel())
            .withDeadlineAfter(10, TimeUnit.SECONDS)
            .serverReflectionInfo(answers);
    requests.onNext(request);
    requests.onCompleted();
    return answers.first();
  }

  private io.grpc.reflection.v1alpha.ServerReflectionResponse reflectV1Alpha(
      io.grpc.reflection.v1alpha.ServerReflectionRequest request) throws Exception {
    Answers<io.grpc.reflection.v1alpha.ServerReflectionResponse> answers = new Answers<>();
    StreamObserver<io.grpc.reflection.v1alpha.ServerReflectionRequest> requests =
        io.grpc.reflection.v1alpha.ServerReflectionGrpc.newStub(channel())
            .withDeadlineAfter(10, TimeUnit.SECONDS)
            .serverReflectionInfo(answers);
    requests.onNext(request);
    requests.onCompleted();
    return answers.first();
  }

  /** A stream's first answer, or its failure, awaited for up to 10 s. */
  private static final class Answers<T> implements StreamObserver<T> {
    private final BlockingQueue<Object> seen = new LinkedBlockingQueue<>();

    @Override
    public void onNext(T value) {
      seen.add(value);
    }

    @Override
    public void onError(Throwable t) {
      seen.add(t);
    }

    @Override
    public void onCompleted() {}

    @SuppressWarnings("unchecked")
    T first() throws Exception {
      Object first = seen.poll(10, TimeUnit.SECONDS);
      if (first == null) {
        throw new AssertionError("no answer within 10 s");
      }
      if (first instanceof RuntimeException e) {
        throw e;
      }
      return (T) first;
    }
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
      Status.Code end = ended.poll(10, TimeUnit.SECONDS);
      assertThat(end).as("the stream's end within 10 s").isNotNull();
      return end;
    }
  }

  /** A message as its bytes, for requests a stub would not send. */
  private static final class Bytes implements MethodDescriptor.Marshaller<byte[]> {
    @Override
    public InputStream stream(byte[] value) {
      return new ByteArrayInputStream(value);
    }

    @Override
    public byte[] parse(InputStream stream) {
      try {
        return stream.readAllBytes();
      } catch (IOException e) {
        throw new IllegalStateException(e);
      }
    }
  }
}
