package io.courier.bench;

import io.courier.codec.CourierCodecs;
import io.courier.contract.v1.Order;
import io.courier.contract.v1.PlaceOrderRequest;
import io.courier.kafka.embedded.LoopbackPorts;
import io.courier.runtime.CourierVertx;
import io.courier.runtime.config.ClusterConfig;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.eventbus.EventBus;
import io.vertx.core.eventbus.Message;
import io.vertx.core.json.JsonObject;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OperationsPerInvocation;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

/**
 * {@link EventBusRoundTripBenchmark} across a real cluster: two Vert.x members (Hazelcast on
 * 127.0.0.1, in this JVM), the consumers on one, the requests from the other, so every request and
 * reply is encoded, sent over TCP and decoded: a {@code PlaceOrderRequest} answered with an {@code
 * Order} through Courier's protobuf codecs, the same data as JsonObjects (Vert.x's JSON codec, JSON
 * text on the wire) and as JSON text in Strings (the baseline).
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Warmup(iterations = 5, time = 1)
@Measurement(iterations = 3, time = 1)
@Fork(1)
public class ClusteredEventBusRoundTripBenchmark {

  private static final String PROTOBUF = "bench.crt.protobuf";
  private static final String JSON = "bench.crt.json";
  private static final String STRING = "bench.crt.string";

  private Vertx caller;
  private Vertx callee;
  private EventBus bus;
  private final PlaceOrderRequest request = BenchSamples.placeOrderRequest();
  private final JsonObject requestJson = BenchSamples.placeOrderRequestJson();
  private final String requestText = BenchSamples.placeOrderRequestJson().encode();

  @Setup
  public void setUp() throws Exception {
    String name = "bench-" + UUID.randomUUID();
    int first = LoopbackPorts.free();
    int second = LoopbackPorts.free();
    List<String> members = List.of("127.0.0.1:" + first, "127.0.0.1:" + second);
    callee = member(name, first, members);
    caller = member(name, second, members);
    CourierCodecs.registerAll(callee.eventBus());
    CourierCodecs.registerAll(caller.eventBus());
    bus = caller.eventBus();
    Order order = BenchSamples.order();
    JsonObject orderJson = BenchSamples.orderJson();
    String orderText = orderJson.encode();
    EventBus remote = callee.eventBus();
    Future.all(
            remote
                .<PlaceOrderRequest>consumer(PROTOBUF, message -> message.reply(order))
                .completion(),
            remote.<JsonObject>consumer(JSON, message -> message.reply(orderJson)).completion(),
            remote.<String>consumer(STRING, message -> message.reply(orderText)).completion())
        .await(30, TimeUnit.SECONDS);
    // the subscriptions reach the caller's view of the cluster: wait until each address answers
    for (String address : List.of(PROTOBUF, JSON, STRING)) {
      Object body =
          address.equals(PROTOBUF) ? request : address.equals(JSON) ? requestJson : requestText;
      for (int i = 0; ; i++) {
        try {
          await(bus.request(address, body));
          break;
        } catch (Exception e) {
          if (i > 100) {
            throw e;
          }
        }
      }
    }
  }

  private static Vertx member(String name, int port, List<String> members) throws Exception {
    return CourierVertx.create(
            new ClusterConfig(
                true,
                name,
                "127.0.0.1",
                "",
                port,
                0,
                members,
                new ClusterConfig.KubernetesConfig(false, "", "", ""),
                ""))
        .await(90, TimeUnit.SECONDS);
  }

  @TearDown
  public void tearDown() throws Exception {
    caller.close().await(30, TimeUnit.SECONDS);
    callee.close().await(30, TimeUnit.SECONDS);
  }

  @Benchmark
  public Object protobufOneAtATime() throws Exception {
    return await(bus.request(PROTOBUF, request));
  }

  @Benchmark
  public Object jsonOneAtATime() throws Exception {
    return await(bus.request(JSON, requestJson));
  }

  @Benchmark
  public Object stringOneAtATime() throws Exception {
    return await(bus.request(STRING, requestText));
  }

  @Benchmark
  @OperationsPerInvocation(EventBusRoundTripBenchmark.WINDOW)
  public Object protobufWindow64() throws Exception {
    return window(PROTOBUF, request);
  }

  @Benchmark
  @OperationsPerInvocation(EventBusRoundTripBenchmark.WINDOW)
  public Object jsonWindow64() throws Exception {
    return window(JSON, requestJson);
  }

  @Benchmark
  @OperationsPerInvocation(EventBusRoundTripBenchmark.WINDOW)
  public Object stringWindow64() throws Exception {
    return window(STRING, requestText);
  }

  private Object window(String address, Object body) throws Exception {
    List<Future<Message<Object>>> replies = new ArrayList<>(EventBusRoundTripBenchmark.WINDOW);
    for (int i = 0; i < EventBusRoundTripBenchmark.WINDOW; i++) {
      replies.add(bus.request(address, body));
    }
    return Future.all(replies).await(30, TimeUnit.SECONDS);
  }

  private static Object await(Future<Message<Object>> reply) throws Exception {
    return reply.await(30, TimeUnit.SECONDS).body();
  }
}
