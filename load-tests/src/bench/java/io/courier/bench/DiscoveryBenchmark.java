package io.courier.bench;

import io.courier.contract.v1.GetStockRequest;
import io.courier.contract.v1.GetStockResponse;
import io.courier.contract.v1.InventoryServiceGrpcClient;
import io.courier.contract.v1.InventoryServiceGrpcService;
import io.courier.contract.v1.InventoryServiceService;
import io.courier.contract.v1.StockLevel;
import io.courier.discovery.EmbeddedDiscovery;
import io.courier.discovery.LoadBalancer;
import io.courier.discovery.OutlierPolicy;
import io.courier.discovery.ServiceInstance;
import io.courier.resilience.Deadline;
import io.courier.resilience.InstanceBreakers;
import io.courier.resilience.ResilienceConfig;
import io.courier.resilience.ResiliencePolicies;
import io.courier.resilience.ResilientGrpcCalls;
import io.courier.resilience.TargetPolicy;
import io.courier.runtime.admin.AdminSections;
import io.courier.runtime.metrics.Meters;
import io.courier.service.GrpcPeer;
import io.courier.service.GrpcServers;
import io.courier.service.Policies;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpServer;
import io.vertx.core.net.SocketAddress;
import io.vertx.grpc.client.GrpcClient;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

/**
 * What finding a peer by name costs per call.
 *
 * <ul>
 *   <li>{@code pick*}: the per-call choice in-JVM: the load balancer's pick and release over three
 *       instances (power of two choices), with the per-instance breaker check, against taking the
 *       next address of a fixed list;
 *   <li>{@code call*}: a unary gRPC call to real Vert.x gRPC servers on 127.0.0.1, under the same
 *       resilience policy: through {@link GrpcPeer} (the cached discovery answer, load balancing
 *       over three servers, per-instance breakers) against {@link ResilientGrpcCalls#unary} to one
 *       fixed address.
 * </ul>
 *
 * The discovery backend is the embedded one on a non-clustered Vert.x: after the first call the
 * peer serves from its watched list, so the figure is the cached resolve, not a registry read.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.SampleTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Warmup(iterations = 2, time = 2)
@Measurement(iterations = 3, time = 2)
@Fork(1)
public class DiscoveryBenchmark {

  private static final GetStockRequest REQUEST =
      GetStockRequest.newBuilder().setSku("sku-1").build();

  private Vertx vertx;
  private final List<HttpServer> servers = new ArrayList<>();
  private List<ServiceInstance> instances;
  private LoadBalancer balancer;
  private InstanceBreakers breakers;
  private long next;
  private GrpcPeer peer;
  private TargetPolicy fixedPolicy;
  private GrpcClient client;
  private SocketAddress fixed;
  private EmbeddedDiscovery discovery;

  @Setup(Level.Trial)
  public void setUp() throws Exception {
    vertx = Vertx.vertx();
    discovery = new EmbeddedDiscovery(vertx);
    InventoryServiceService inventory =
        new InventoryServiceService() {
          @Override
          public Future<GetStockResponse> getStock(GetStockRequest request) {
            return Future.succeededFuture(
                GetStockResponse.newBuilder()
                    .setStock(StockLevel.newBuilder().setSku(request.getSku()).setAvailable(7))
                    .build());
          }
        };
    List<ServiceInstance> registered = new ArrayList<>();
    for (int i = 0; i < 3; i++) {
      HttpServer server =
          GrpcServers.builder(vertx)
              .host("127.0.0.1")
              .port(0)
              .service(InventoryServiceGrpcService.of(inventory))
              .listen()
              .await(10, TimeUnit.SECONDS);
      servers.add(server);
      registered.add(
          discovery
              .register(
                  new ServiceInstance(
                      null, "inventory-service", "127.0.0.1", server.actualPort(), Map.of()))
              .await(10, TimeUnit.SECONDS));
    }
    instances = List.copyOf(registered);
    ResiliencePolicies parsed =
        ResiliencePolicies.parse(
            PolicyOverheadBenchmark.POLICIES.replace("\"echo\"", "\"inventory-service\""), "bench");
    ResiliencePolicies.Policy standard = parsed.policies().get("standard");
    balancer =
        new LoadBalancer(
            LoadBalancer.Strategy.POWER_OF_TWO_CHOICES,
            new OutlierPolicy(
                5,
                0.5,
                20,
                Duration.ofSeconds(10),
                Duration.ofSeconds(1),
                Duration.ofSeconds(30),
                50),
            System::nanoTime,
            new Random(7));
    breakers =
        new InstanceBreakers(vertx, Meters.none(), "inventory-service", standard.breakerPolicy());
    client = GrpcClient.client(vertx);
    java.nio.file.Path file = java.nio.file.Files.createTempFile("discovery-bench", ".json");
    java.nio.file.Files.writeString(
        file, PolicyOverheadBenchmark.POLICIES.replace("\"echo\"", "\"inventory-service\""));
    file.toFile().deleteOnExit();
    peer =
        Policies.load(
                vertx,
                new ResilienceConfig(file.toString(), 60_000, ""),
                Meters.none(),
                new AdminSections())
            .await(10, TimeUnit.SECONDS)
            .grpcPeer(discovery, "inventory-service", "inventory-service", client);
    fixedPolicy =
        new TargetPolicy(
            vertx,
            Meters.none(),
            "inventory-service",
            parsed.targets().get("inventory-service"),
            standard);
    fixed = SocketAddress.inetSocketAddress(servers.get(0).actualPort(), "127.0.0.1");
    // first calls: the watch answers and connections open; then every call is served from the
    // watched list over open connections
    warmUp();
  }

  private void warmUp() throws Exception {
    Exception last = null;
    for (int i = 0; i < 20; i++) {
      try {
        callThroughPeer();
        callFixedAddress();
        return;
      } catch (Exception e) {
        last = e;
      }
    }
    throw last;
  }

  @TearDown(Level.Trial)
  public void tearDown() throws Exception {
    discovery.close();
    vertx.close().await(30, TimeUnit.SECONDS);
  }

  @Benchmark
  public ServiceInstance pickFixedList() {
    return instances.get((int) Math.floorMod(next++, instances.size()));
  }

  @Benchmark
  public ServiceInstance pickLoadBalanced() {
    LoadBalancer.Lease lease =
        balancer.pick(instances, instance -> breakers.admits(instance.address())).orElseThrow();
    lease.release(true);
    return lease.instance();
  }

  @Benchmark
  public GetStockResponse callThroughPeer() throws Exception {
    return peer.<GetStockRequest, GetStockResponse>call(
            Deadline.none(), InventoryServiceGrpcClient.GetStock, REQUEST, null)
        .await(5, TimeUnit.SECONDS);
  }

  @Benchmark
  public GetStockResponse callFixedAddress() throws Exception {
    return ResilientGrpcCalls.unary(
            fixedPolicy,
            Deadline.none(),
            client,
            fixed,
            InventoryServiceGrpcClient.GetStock,
            REQUEST)
        .await(5, TimeUnit.SECONDS);
  }
}
