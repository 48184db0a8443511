package io.courier.bench;

import io.courier.contract.v1.GetUserRequest;
import io.courier.contract.v1.GetUserResponse;
import io.courier.contract.v1.User;
import io.courier.contract.v1.UserServiceGrpcService;
import io.courier.kafka.embedded.EmbeddedKafkaBroker;
import io.courier.resilience.ResilienceProxyVerticle;
import io.courier.runtime.CourierRuntime;
import io.courier.runtime.Roles;
import io.courier.runtime.config.CourierConfig;
import io.courier.user.DefaultUserService;
import io.grpc.CallOptions;
import io.grpc.ManagedChannel;
import io.grpc.MethodDescriptor;
import io.grpc.Server;
import io.grpc.ServerServiceDefinition;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import io.grpc.netty.shaded.io.grpc.netty.NettyServerBuilder;
import io.grpc.protobuf.ProtoUtils;
import io.grpc.stub.ClientCalls;
import io.grpc.stub.ServerCalls;
import io.grpc.stub.StreamObserver;
import io.vertx.core.Future;
import io.vertx.core.VerticleBase;
import io.vertx.core.Vertx;
import io.vertx.core.VertxOptions;
import io.vertx.core.http.HttpClientAgent;
import io.vertx.core.http.HttpClientOptions;
import io.vertx.core.http.HttpClientRequest;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.HttpServer;
import io.vertx.core.http.HttpServerOptions;
import io.vertx.core.http.PoolOptions;
import io.vertx.core.http.RequestOptions;
import io.vertx.grpc.server.GrpcServer;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;

/**
 * Side-by-side baselines in one run, loopback only, each Courier path against the raw thing it
 * wraps, measured by the same client in the same JVM:
 *
 * <ol>
 *   <li>HTTP: a bare Vert.x "hello" server against the gateway of a real {@link CourierRuntime}
 *       (dev profile, auth none) on {@code GET /health/live} and on {@code GET
 *       /api/v1/inventory/{sku}} (OpenAPI validation, rate-limit handler, a gRPC call to the
 *       inventory service); a Vert.x {@code HttpClient} closed loop, one verticle instance each;
 *   <li>gRPC, {@code courier.v1.UserService/GetUser}: a grpc-java Netty server (generic {@link
 *       ServerCalls} over the contract's messages, direct executor) against a bare Vert.x {@link
 *       GrpcServer} and against the runtime's user service; a grpc-java client for all three;
 *   <li>Kafka: {@link PublishBenchmark}'s drivers (ProducerPerformance, plain kafka-clients sending
 *       Courier's records, Courier's publisher) on one embedded broker;
 *   <li>event bus: a direct request/reply against the same call through {@link
 *       ResilienceProxyVerticle}, one and 64 in flight.
 * </ol>
 *
 * Each latency row runs twice (rounds alternate baseline and Courier) and the round with the higher
 * rate is kept; Kafka rows likewise. Writes {@code baselines.csv} and {@code baselines.md} into the
 * directory given as the first argument; the second is the project's root directory (for {@code
 * conf/}). Durations: {@code -Dbench.warmUpSeconds} (3), {@code -Dbench.windowSeconds} (8); {@code
 * -Dbench.kafkaRecords} (300000).
 */
public final class Baselines {

  private static final String HOST = "127.0.0.1";
  private static final int HTTP_CONCURRENCY = Integer.getInteger("bench.httpConcurrency", 32);
  private static final int GRPC_CONCURRENCY = Integer.getInteger("bench.grpcConcurrency", 32);
  private static final int ROUNDS = Integer.getInteger("bench.baselineRounds", 2);
  private static final Duration WARM_UP =
      Duration.ofSeconds(Integer.getInteger("bench.warmUpSeconds", 3));
  private static final Duration WINDOW =
      Duration.ofSeconds(Integer.getInteger("bench.windowSeconds", 8));
  private static final int KAFKA_RECORDS = Integer.getInteger("bench.kafkaRecords", 300_000);
  private static final List<String> PAIRS =
      List.of(System.getProperty("bench.pairs", "http,grpc,eventbus,kafka").split(","));

  static final MethodDescriptor<GetUserRequest, GetUserResponse> GET_USER =
      MethodDescriptor.<GetUserRequest, GetUserResponse>newBuilder()
          .setType(MethodDescriptor.MethodType.UNARY)
          .setFullMethodName(
              MethodDescriptor.generateFullMethodName("courier.v1.UserService", "GetUser"))
          .setRequestMarshaller(ProtoUtils.marshaller(GetUserRequest.getDefaultInstance()))
          .setResponseMarshaller(ProtoUtils.marshaller(GetUserResponse.getDefaultInstance()))
          .build();

  private Baselines() {}

  public static void main(String[] args) throws Exception {
    Path out = Paths.get(args.length > 0 ? args[0] : "target/bench");
    Path root = Paths.get(args.length > 1 ? args[1] : ".").toAbsolutePath().normalize();
    Files.createDirectories(out);
    String loadBefore = loadAverage();
    Instant started = Instant.now();
    BaselineTable table = new BaselineTable();
    try (EmbeddedKafkaBroker broker = EmbeddedKafkaBroker.builder().build().start()) {
      if (PAIRS.contains("http") || PAIRS.contains("grpc")) {
        CourierRuntime platform = startPlatform(root, broker.bootstrapServers());
        try {
          if (PAIRS.contains("http")) {
            http(table, platform);
          }
          if (PAIRS.contains("grpc")) {
            grpc(table, root, platform);
          }
        } finally {
          platform.stop(Duration.ofSeconds(20)).await(30, TimeUnit.SECONDS);
        }
      }
      if (PAIRS.contains("eventbus")) {
        ProxyPair.measure(table);
      }
      if (PAIRS.contains("kafka")) {
        kafka(table, broker.bootstrapServers());
      }
    }
    String loadAfter = loadAverage();
    List<String> header =
        List.of(
            "Run: "
                + started
                + " to "
                + Instant.now()
                + "; "
                + Runtime.getRuntime().availableProcessors()
                + " cores; Java "
                + System.getProperty("java.version")
                + "; load average (1/5/15 min) before "
                + loadBefore
                + ", after "
                + loadAfter
                + ".",
            "Each latency row: warm-up "
                + WARM_UP.toSeconds()
                + " s, window "
                + WINDOW.toSeconds()
                + " s, best of "
                + ROUNDS
                + " rounds; Kafka rows: "
                + KAFKA_RECORDS
                + " records, best of "
                + ROUNDS
                + " rounds.");
    Files.write(out.resolve("baselines.csv"), table.csv());
    List<String> markdown = new ArrayList<>(header);
    markdown.add("");
    markdown.addAll(table.markdown());
    Files.write(out.resolve("baselines.md"), markdown);
    markdown.forEach(System.out::println);
    System.out.println(
        "written: " + out.resolve("baselines.md") + ", " + out.resolve("baselines.csv"));
    // Kafka's and grpc-java's non-daemon threads are closed; exit regardless of stragglers.
    System.exit(0);
  }

  // ---- HTTP ----

  private static void http(BaselineTable table, CourierRuntime platform) throws Exception {
    Vertx server = Vertx.vertx();
    Vertx client = Vertx.vertx(new VertxOptions().setEventLoopPoolSize(2));
    try {
      HelloVerticle hello = new HelloVerticle();
      server.deployVerticle(hello).await(30, TimeUnit.SECONDS);
      String gateway = platform.endpoints().get("gateway");
      int gatewayPort = Integer.parseInt(gateway.substring(gateway.lastIndexOf(':') + 1));
      Map<String, Supplier<ClosedLoop.Call>> paths = new LinkedHashMap<>();
      paths.put("raw Vert.x hello, GET /", () -> httpGet(client, hello.port(), "/"));
      paths.put("gateway, GET /health/live", () -> httpGet(client, gatewayPort, "/health/live"));
      paths.put(
          "gateway, GET /api/v1/inventory/{sku}",
          () -> httpGet(client, gatewayPort, "/api/v1/inventory/sku-0001"));
      Map<String, ClosedLoop.Measure> best = bestOf(paths, HTTP_CONCURRENCY);
      ClosedLoop.Measure raw = best.get("raw Vert.x hello, GET /");
      table.baseline("HTTP", "raw Vert.x hello, GET /", raw);
      for (String path :
          List.of("gateway, GET /health/live", "gateway, GET /api/v1/inventory/{sku}")) {
        table.rateAgainst("HTTP", path, best.get(path), raw, 0.60, "rate >= 60 % of raw hello");
      }
    } finally {
      client.close().await(30, TimeUnit.SECONDS);
      server.close().await(30, TimeUnit.SECONDS);
    }
  }

  /** Each connection of the pool carries one request at a time (HTTP/1.1, no pipelining). */
  private static ClosedLoop.Call httpGet(Vertx client, int port, String uri) {
    HttpClientAgent agent =
        client.createHttpClient(
            new HttpClientOptions().setKeepAlive(true),
            new PoolOptions().setHttp1MaxSize(HTTP_CONCURRENCY));
    RequestOptions options =
        new RequestOptions().setMethod(HttpMethod.GET).setHost(HOST).setPort(port).setURI(uri);
    return done ->
        agent
            .request(options)
            .compose(HttpClientRequest::send)
            .compose(response -> response.body().map(body -> response.statusCode()))
            .onComplete(answer -> done.done(answer.succeeded() && answer.result() == 200));
  }

  /** A bare Vert.x HTTP server answering "hello" to every request. */
  private static final class HelloVerticle extends VerticleBase {
    private HttpServer server;

    @Override
    public Future<?> start() {
      return vertx
          .createHttpServer(new HttpServerOptions().setHost(HOST).setPort(0))
          .requestHandler(
              request -> request.response().putHeader("content-type", "text/plain").end("hello"))
          .listen()
          .onSuccess(listening -> server = listening);
    }

    int port() {
      return server.actualPort();
    }
  }

  // ---- gRPC ----

  private static void grpc(BaselineTable table, Path root, CourierRuntime platform)
      throws Exception {
    Map<String, User> users =
        DefaultUserService.parseSeed(
            Files.readString(root.resolve("conf/seed/users.json")), "conf/seed/users.json");
    Server grpcJava = grpcJavaServer(new DefaultUserService(users));
    Vertx vertx = Vertx.vertx();
    try {
      HttpServer bare =
          vertx
              .createHttpServer(new HttpServerOptions().setHost(HOST).setPort(0))
              .requestHandler(
                  GrpcServer.server(vertx)
                      .addService(UserServiceGrpcService.of(new DefaultUserService(users))))
              .listen()
              .await(30, TimeUnit.SECONDS);
      String userService = platform.endpoints().get("user-service (gRPC)");
      int courierPort = Integer.parseInt(userService.substring(userService.lastIndexOf(':') + 1));
      List<ManagedChannel> channels = new ArrayList<>();
      Map<String, Supplier<ClosedLoop.Call>> paths = new LinkedHashMap<>();
      paths.put("grpc-java Netty server", () -> grpcCall(channels, grpcJava.getPort()));
      paths.put("Vert.x GrpcServer, bare", () -> grpcCall(channels, bare.actualPort()));
      paths.put("Courier user-service (runtime)", () -> grpcCall(channels, courierPort));
      try {
        Map<String, ClosedLoop.Measure> best = bestOf(paths, GRPC_CONCURRENCY);
        ClosedLoop.Measure raw = best.get("grpc-java Netty server");
        table.baseline("gRPC GetUser", "grpc-java Netty server", raw);
        for (String path : List.of("Vert.x GrpcServer, bare", "Courier user-service (runtime)")) {
          table.rateAgainst(
              "gRPC GetUser", path, best.get(path), raw, 1.0, "rate >= 1.0x grpc-java");
        }
      } finally {
        for (ManagedChannel channel : channels) {
          channel.shutdownNow().awaitTermination(10, TimeUnit.SECONDS);
        }
      }
    } finally {
      grpcJava.shutdownNow().awaitTermination(10, TimeUnit.SECONDS);
      vertx.close().await(30, TimeUnit.SECONDS);
    }
  }

  /** grpc-java's server over the contract's messages, no generated stub, handlers on Netty. */
  private static Server grpcJavaServer(DefaultUserService users) throws IOException {
    ServerServiceDefinition service =
        ServerServiceDefinition.builder("courier.v1.UserService")
            .addMethod(
                GET_USER,
                ServerCalls.asyncUnaryCall(
                    (request, answer) ->
                        users
                            .getUser(request)
                            .onSuccess(
                                response -> {
                                  answer.onNext(response);
                                  answer.onCompleted();
                                })
                            .onFailure(answer::onError)))
            .build();
    return NettyServerBuilder.forAddress(new InetSocketAddress(HOST, 0))
        .directExecutor()
        .addService(service)
        .build()
        .start();
  }

  /** One HTTP/2 connection per driver; every call of the closed loop is a stream on it. */
  private static ClosedLoop.Call grpcCall(List<ManagedChannel> channels, int port) {
    ManagedChannel channel =
        NettyChannelBuilder.forAddress(HOST, port).usePlaintext().directExecutor().build();
    channels.add(channel);
    GetUserRequest request = GetUserRequest.newBuilder().setUserId("u42").build();
    return done ->
        ClientCalls.asyncUnaryCall(
            channel.newCall(GET_USER, CallOptions.DEFAULT),
            request,
            new StreamObserver<GetUserResponse>() {
              private boolean answered;

              @Override
              public void onNext(GetUserResponse value) {
                answered = value.hasUser();
              }

              @Override
              public void onError(Throwable error) {
                done.done(false);
              }

              @Override
              public void onCompleted() {
                done.done(answered);
              }
            });
  }

  // ---- Kafka publish ----

  private static void kafka(BaselineTable table, String bootstrap) throws Exception {
    int size = 200;
    int courierBytes = PublishBenchmark.recordBytes(PublishBenchmark.payload(size));
    Map<String, Double> best = new LinkedHashMap<>();
    String pp = "ProducerPerformance, " + size + " B records";
    String ppSameBytes = "ProducerPerformance, " + courierBytes + " B records (Courier's size)";
    String sameRecords = "kafka-clients, Courier's records";
    String courier = "Courier publisher (KafkaEventPublisher)";
    Vertx vertx = Vertx.vertx();
    try {
      for (int round = 1; round <= ROUNDS; round++) {
        String suffix = "-" + round + "-" + System.nanoTime();
        keepBest(
            best,
            pp,
            PublishBenchmark.raw(
                bootstrap, "base-pp" + suffix, KAFKA_RECORDS, size, PublishBenchmark.BATCH));
        keepBest(
            best,
            ppSameBytes,
            PublishBenchmark.raw(
                bootstrap,
                "base-ppb" + suffix,
                KAFKA_RECORDS,
                courierBytes,
                PublishBenchmark.BATCH));
        keepBest(
            best,
            sameRecords,
            PublishBenchmark.rawSameRecords(bootstrap, "base-same" + suffix, KAFKA_RECORDS, size));
        keepBest(
            best,
            courier,
            PublishBenchmark.courier(
                vertx, bootstrap, "base-courier" + suffix, KAFKA_RECORDS, size));
      }
    } finally {
      vertx.close().await(30, TimeUnit.SECONDS);
    }
    table.rateBaseline("Kafka publish", pp, best.get(pp));
    table.rateBaseline("Kafka publish", ppSameBytes, best.get(ppSameBytes));
    table.rateBaseline("Kafka publish", sameRecords, best.get(sameRecords));
    for (String baseline : List.of(pp, ppSameBytes, sameRecords)) {
      table.rateOnlyAgainst(
          "Kafka publish",
          courier + " vs " + baseline,
          best.get(courier),
          best.get(baseline),
          0.90,
          "rate >= 90 % of raw");
    }
  }

  private static void keepBest(Map<String, Double> best, String name, double rate) {
    best.merge(name, rate, Math::max);
  }

  // ---- common ----

  /**
   * Runs every path {@link #ROUNDS} times, in order within each round, and keeps per path the round
   * with the higher rate. Each path gets a fresh client (its own connections).
   */
  static Map<String, ClosedLoop.Measure> bestOf(
      Map<String, Supplier<ClosedLoop.Call>> paths, int concurrency) throws InterruptedException {
    Map<String, ClosedLoop.Measure> best = new HashMap<>();
    for (int round = 1; round <= ROUNDS; round++) {
      for (Map.Entry<String, Supplier<ClosedLoop.Call>> path : paths.entrySet()) {
        ClosedLoop.Measure measure =
            new ClosedLoop(concurrency, WARM_UP, WINDOW).run(path.getValue().get());
        System.err.printf(
            Locale.ROOT,
            "round %d, %s, %d in flight: %,.0f/s, p50 %d us, p99 %d us, %d errors%n",
            round,
            path.getKey(),
            concurrency,
            measure.rate(),
            measure.p50(),
            measure.p99(),
            measure.errors());
        best.merge(path.getKey(), measure, (a, b) -> a.rate() >= b.rate() ? a : b);
      }
    }
    return best;
  }

  /** The gateway, user and inventory roles of the dev profile, auth none, on free ports. */
  private static CourierRuntime startPlatform(Path root, String bootstrap) throws Exception {
    Map<String, String> props = new HashMap<>();
    props.put("courier.roles", "gateway,user-service,inventory-service");
    props.put("courier.kafka.bootstrapServers", bootstrap);
    props.put("courier.kafka.embedded.enabled", "false");
    props.put("courier.gateway.port", "0");
    props.put("courier.gateway.grpcPort", "0");
    props.put("courier.gateway.auth.mode", "none");
    props.put("courier.resilience.policyFile", root.resolve("conf/resilience.json").toString());
    props.put("courier.services.user.seedFile", root.resolve("conf/seed/users.json").toString());
    props.put(
        "courier.services.inventory.seedFile", root.resolve("conf/seed/inventory.json").toString());
    CourierConfig config =
        Roles.configLoader(Map.of(), props, Roles.available()).load(root.resolve("conf/dev.json"));
    return CourierRuntime.start(config, Roles.available()).await(120, TimeUnit.SECONDS);
  }

  private static String loadAverage() {
    try {
      String[] parts = Files.readString(Path.of("/proc/loadavg")).trim().split(" ");
      return parts[0] + " / " + parts[1] + " / " + parts[2];
    } catch (IOException | RuntimeException e) {
      return "unknown";
    }
  }
}
