package io.courier.bench;

import com.google.protobuf.Message;
import io.courier.codec.ContractTypes;
import io.courier.codec.CourierCodecs;
import io.courier.contract.v1.Order;
import io.courier.contract.v1.PlaceOrderRequest;
import io.courier.resilience.Deadline;
import io.courier.runtime.security.IdentitySeal;
import io.courier.service.CallerIdentity;
import io.vertx.core.Future;
import io.vertx.core.MultiMap;
import io.vertx.core.Vertx;
import io.vertx.core.eventbus.DeliveryOptions;
import io.vertx.core.eventbus.EventBus;
import java.time.Duration;
import java.time.Instant;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

/**
 * What Courier does per message beyond the raw Vert.x path. On the event bus a service call carries
 * the caller's deadline ({@code courier-timeout-ms}) and identity ({@code courier-subject}, {@code
 * courier-scopes}) in headers, written by the gateway's client and read back by the order service's
 * consumer before it acts ({@code Deadline.fromHeader}, {@code CallerIdentity.from} opening the
 * sealed identity (HMAC-SHA256), {@code mayActFor}); {@code courierRequest} is that round trip,
 * {@code rawRequest} the same request/reply without headers. {@code headersPerMessage} is the
 * header work alone. Per consumed Kafka record, the decoding steps beyond parsing the payload are
 * the contract-registry lookup with the schema-version check ({@code typeRegistryLookup}) and
 * reading {@code ce_time} ({@code ceTimeParse}); their sum against {@code
 * KafkaSerdeBenchmark.rawDeserialize} shows where {@code courierDeserialize} spends its extra time.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 5, time = 1)
@Measurement(iterations = 3, time = 1)
@Fork(1)
public class DispatchBenchmark {

  private static final String RAW = "bench.dispatch.raw";
  private static final String COURIER = "bench.dispatch.courier";
  private static final Duration PLACE_TIMEOUT = Duration.ofSeconds(5);

  private final PlaceOrderRequest request = BenchSamples.placeOrderRequest();

  /** The platform's identity seal: an HMAC-SHA256 key, as the order service holds it. */
  private static final IdentitySeal SEAL =
      IdentitySeal.of(
          "a benchmark identity key, 32 b!!".getBytes(java.nio.charset.StandardCharsets.US_ASCII),
          true,
          60_000,
          java.time.Clock.systemUTC());

  private final CallerIdentity caller =
      new CallerIdentity(BenchSamples.USER, Set.of("orders:write", "orders:read")).sealedWith(SEAL);
  private final String type = BenchSamples.orderPlaced().type();
  private final String ceTime = BenchSamples.CREATED.toString();
  private Vertx vertx;
  private EventBus bus;

  @Setup
  public void setUp() throws Exception {
    vertx = Vertx.vertx();
    bus = vertx.eventBus();
    CourierCodecs.registerAll(bus);
    Order order = BenchSamples.order();
    Future.all(
            bus.<PlaceOrderRequest>consumer(RAW, message -> message.reply(order)).completion(),
            bus.<PlaceOrderRequest>consumer(
                    COURIER,
                    message -> {
                      if (accepts(message.headers(), message.body())) {
                        message.reply(order);
                      } else {
                        message.fail(403, "forbidden");
                      }
                    })
                .completion())
        .toCompletionStage()
        .toCompletableFuture()
        .get(10, TimeUnit.SECONDS);
  }

  @TearDown
  public void tearDown() throws Exception {
    vertx.close().toCompletionStage().toCompletableFuture().get(30, TimeUnit.SECONDS);
  }

  @Benchmark
  public Object rawRequest() throws Exception {
    return bus.request(RAW, request)
        .toCompletionStage()
        .toCompletableFuture()
        .get(30, TimeUnit.SECONDS)
        .body();
  }

  @Benchmark
  public Object courierRequest() throws Exception {
    return bus.request(COURIER, request, options())
        .toCompletionStage()
        .toCompletableFuture()
        .get(30, TimeUnit.SECONDS)
        .body();
  }

  @Benchmark
  public boolean headersPerMessage() {
    DeliveryOptions options = options();
    return accepts(options.getHeaders(), request);
  }

  @Benchmark
  public int typeRegistryLookup() {
    Message prototype = ContractTypes.byName(type).orElseThrow();
    return ContractTypes.schemaVersion(prototype.getDescriptorForType());
  }

  @Benchmark
  public Instant ceTimeParse() {
    return Instant.parse(ceTime);
  }

  /** What the gateway's order client adds to each send. */
  private DeliveryOptions options() {
    Deadline deadline = Deadline.after(PLACE_TIMEOUT);
    return caller.writeTo(
        new DeliveryOptions()
            .setSendTimeout(Math.max(1, deadline.remaining().toMillis()))
            .addHeader(Deadline.HEADER, deadline.toHeader()));
  }

  /** What the order service's consumer reads before it acts. */
  private static boolean accepts(MultiMap headers, PlaceOrderRequest body) {
    Deadline deadline =
        Deadline.fromHeader(
            headers.get(Deadline.HEADER), Deadline.after(PLACE_TIMEOUT), System::nanoTime);
    CallerIdentity identity = CallerIdentity.from(headers, SEAL).orElse(null);
    return !deadline.expired() && identity != null && identity.mayActFor(body.getUserId());
  }
}
