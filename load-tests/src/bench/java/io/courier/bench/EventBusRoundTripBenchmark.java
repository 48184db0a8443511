package io.courier.bench;

import io.courier.codec.CourierCodecs;
import io.courier.contract.v1.Order;
import io.courier.contract.v1.PlaceOrderRequest;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.eventbus.EventBus;
import io.vertx.core.eventbus.Message;
import io.vertx.core.json.JsonObject;
import java.util.ArrayList;
import java.util.List;
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
 * Request/reply on the local event bus of one Vertx: a {@code PlaceOrderRequest} answered with an
 * {@code Order} through Courier's protobuf codecs (registered as default codecs, as the services
 * do), the same data as JsonObjects (Vert.x's JSON codec, which copies the body on each local
 * delivery), and as JSON text in Strings (the baseline: an immutable body, no codec work). The
 * consumers answer a prepared reply at once. {@code *OneAtATime} awaits every reply before the next
 * request; {@code *Window64} sends 64 requests, then awaits all 64, so the figure is time per
 * request at 64 in flight. The benchmark thread blocks on the futures; the event loop never does.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Warmup(iterations = 5, time = 1)
@Measurement(iterations = 3, time = 1)
@Fork(1)
public class EventBusRoundTripBenchmark {

  static final int WINDOW = 64;

  private static final String PROTOBUF = "bench.rt.protobuf";
  private static final String JSON = "bench.rt.json";
  private static final String STRING = "bench.rt.string";

  private Vertx vertx;
  private EventBus bus;
  private final PlaceOrderRequest request = BenchSamples.placeOrderRequest();
  private final JsonObject requestJson = BenchSamples.placeOrderRequestJson();
  private final String requestText = BenchSamples.placeOrderRequestJson().encode();

  @Setup
  public void setUp() throws Exception {
    vertx = Vertx.vertx();
    bus = vertx.eventBus();
    CourierCodecs.registerAll(bus);
    Order order = BenchSamples.order();
    JsonObject orderJson = BenchSamples.orderJson();
    String orderText = orderJson.encode();
    Future.all(
            bus.<PlaceOrderRequest>consumer(PROTOBUF, message -> message.reply(order)).completion(),
            bus.<JsonObject>consumer(JSON, message -> message.reply(orderJson)).completion(),
            bus.<String>consumer(STRING, message -> message.reply(orderText)).completion())
        .toCompletionStage()
        .toCompletableFuture()
        .get(10, TimeUnit.SECONDS);
  }

  @TearDown
  public void tearDown() throws Exception {
    vertx.close().toCompletionStage().toCompletableFuture().get(30, TimeUnit.SECONDS);
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
  @OperationsPerInvocation(WINDOW)
  public Object protobufWindow64() throws Exception {
    return window(PROTOBUF, request);
  }

  @Benchmark
  @OperationsPerInvocation(WINDOW)
  public Object jsonWindow64() throws Exception {
    return window(JSON, requestJson);
  }

  @Benchmark
  @OperationsPerInvocation(WINDOW)
  public Object stringWindow64() throws Exception {
    return window(STRING, requestText);
  }

  private Object window(String address, Object body) throws Exception {
    List<Future<Message<Object>>> replies = new ArrayList<>(WINDOW);
    for (int i = 0; i < WINDOW; i++) {
      replies.add(bus.request(address, body));
    }
    return Future.all(replies).toCompletionStage().toCompletableFuture().get(30, TimeUnit.SECONDS);
  }

  private static Object await(Future<Message<Object>> reply) throws Exception {
    return reply.toCompletionStage().toCompletableFuture().get(30, TimeUnit.SECONDS).body();
  }
}
