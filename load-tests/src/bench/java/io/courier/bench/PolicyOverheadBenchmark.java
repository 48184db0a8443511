package io.courier.bench;

import io.courier.resilience.Deadline;
import io.courier.resilience.ResiliencePolicies;
import io.courier.resilience.TargetPolicy;
import io.courier.runtime.metrics.Meters;
import io.github.resilience4j.circuitbreaker.CircuitBreaker;
import io.github.resilience4j.circuitbreaker.CircuitBreakerConfig;
import io.github.resilience4j.retry.Retry;
import io.github.resilience4j.retry.RetryConfig;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.eventbus.Message;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;
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
 * What a resilience policy adds to a call, in-JVM. {@code *Local} calls complete at once, so the
 * figure is the policy's own cost: direct, through Courier's {@link TargetPolicy} (deadline, retry
 * under budget, bulkhead, breaker), and through Resilience4j's CircuitBreaker + Retry decorating
 * the same call. {@code *EventBus} is a request/reply on the local event bus, direct and through
 * the same policy.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.SampleTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Warmup(iterations = 2, time = 2)
@Measurement(iterations = 3, time = 2)
@Fork(1)
public class PolicyOverheadBenchmark {

  static final String POLICIES =
      """
      {
        "policies": {
          "standard": {
            "attemptTimeoutMs": 1000,
            "retry": {"maxAttempts": 3, "baseDelayMs": 20, "maxDelayMs": 500},
            "budget": {"ratio": 0.2, "minRetries": 10, "windowMs": 10000},
            "breaker": {"failureRatio": 0.5, "slowCallRatio": 1.0, "slowCallMs": 1000,
                        "minCalls": 20, "windowMs": 10000, "openMs": 5000},
            "bulkhead": {"maxConcurrent": 1024, "maxQueued": 1024}
          }
        },
        "targets": {
          "echo": {"address": "bench.echo", "policy": "standard", "idempotent": true, "deadlineMs": 2000}
        }
      }
      """;

  private Vertx vertx;
  private TargetPolicy policy;
  private Supplier<CompletionStage<String>> resilience4j;
  private ScheduledExecutorService scheduler;

  @Setup(Level.Trial)
  public void setUp() throws Exception {
    vertx = Vertx.vertx();
    vertx
        .eventBus()
        .<String>consumer("bench.echo", message -> message.reply(message.body()))
        .completion()
        .toCompletionStage()
        .toCompletableFuture()
        .get();
    ResiliencePolicies parsed = ResiliencePolicies.parse(POLICIES, "bench");
    policy =
        new TargetPolicy(
            vertx,
            Meters.none(),
            "echo",
            parsed.targets().get("echo"),
            parsed.policies().get("standard"));
    java.nio.file.Path file = java.nio.file.Files.createTempFile("resilience-bench", ".json");
    java.nio.file.Files.writeString(file, POLICIES);
    vertx
        .deployVerticle(
            new io.courier.resilience.ResilienceProxyVerticle(
                file.toString(), 60_000, Meters.none()))
        .toCompletionStage()
        .toCompletableFuture()
        .get();
    scheduler = Executors.newSingleThreadScheduledExecutor();
    CircuitBreaker breaker =
        CircuitBreaker.of(
            "echo",
            CircuitBreakerConfig.custom()
                .failureRateThreshold(50)
                .minimumNumberOfCalls(20)
                .slidingWindowType(CircuitBreakerConfig.SlidingWindowType.TIME_BASED)
                .slidingWindowSize(10)
                .waitDurationInOpenState(Duration.ofSeconds(5))
                .build());
    Retry retry =
        Retry.of(
            "echo",
            RetryConfig.custom().maxAttempts(3).waitDuration(Duration.ofMillis(20)).build());
    Supplier<CompletionStage<String>> call = () -> CompletableFuture.completedFuture("pong");
    resilience4j =
        Retry.decorateCompletionStage(
            retry, scheduler, CircuitBreaker.decorateCompletionStage(breaker, call));
  }

  @TearDown(Level.Trial)
  public void tearDown() throws Exception {
    scheduler.shutdownNow();
    vertx.close().toCompletionStage().toCompletableFuture().get(30, TimeUnit.SECONDS);
  }

  @Benchmark
  public String directLocal() {
    return Future.succeededFuture("pong").result();
  }

  @Benchmark
  public String courierPolicyLocal() {
    return policy.<String>call(Deadline.none(), attempt -> Future.succeededFuture("pong")).result();
  }

  @Benchmark
  public String resilience4jLocal() throws Exception {
    return resilience4j.get().toCompletableFuture().get();
  }

  @Benchmark
  public String directEventBus() throws Exception {
    return vertx
        .eventBus()
        .<String>request("bench.echo", "ping")
        .map(Message::body)
        .toCompletionStage()
        .toCompletableFuture()
        .get();
  }

  @Benchmark
  public String courierProxyEventBus() throws Exception {
    return vertx
        .eventBus()
        .<String>request(
            io.courier.resilience.ResilienceProxyVerticle.ADDRESS_PREFIX + "echo", "ping")
        .map(Message::body)
        .toCompletionStage()
        .toCompletableFuture()
        .get();
  }

  @Benchmark
  public String courierPolicyEventBus() throws Exception {
    return policy
        .<String>call(
            Deadline.none(),
            attempt -> vertx.eventBus().<String>request("bench.echo", "ping").map(Message::body))
        .toCompletionStage()
        .toCompletableFuture()
        .get();
  }
}
