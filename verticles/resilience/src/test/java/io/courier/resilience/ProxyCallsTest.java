package io.courier.resilience;

import static org.assertj.core.api.Assertions.assertThat;

import io.courier.runtime.metrics.Meters;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.VertxOptions;
import io.vertx.core.eventbus.DeliveryOptions;
import io.vertx.core.eventbus.ReplyException;
import io.vertx.core.eventbus.ReplyFailure;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Queue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Supplier;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@link ProxyCalls}: a caller on the proxy's own event loop reaches it without an event-bus
 * request to {@code courier.resilient.<target>} and gets what such a request would get; a caller
 * off the loop goes over the event bus. One event loop, so every event-loop context shares the
 * proxy's thread.
 */
@DisplayName("Calls to this process's resilience proxy")
class ProxyCallsTest {

  private static final String RESILIENT = ResilienceProxyVerticle.ADDRESS_PREFIX + "inventory";

  @TempDir Path dir;

  private Vertx vertx;
  private final Queue<String> sentTo = new ConcurrentLinkedQueue<>();
  private final AtomicInteger attempts = new AtomicInteger();
  private volatile String answer = "ok";

  @BeforeEach
  void start() throws Exception {
    vertx = Vertx.vertx(new VertxOptions().setEventLoopPoolSize(1));
    vertx
        .eventBus()
        .addOutboundInterceptor(
            delivery -> {
              // Requests only: replies go to generated addresses.
              if (!delivery.message().address().startsWith("__vertx.reply.")) {
                sentTo.add(delivery.message().address());
              }
              delivery.next();
            });
    vertx
        .eventBus()
        .<String>consumer(
            "test.inventory",
            message -> {
              attempts.incrementAndGet();
              if (answer.equals("ok")) {
                message.reply(
                    "reserved " + message.body() + " by " + message.headers().get("x-caller"));
              } else {
                message.fail(Integer.parseInt(answer), "refused: " + answer);
              }
            })
        .completion()
        .await(10, TimeUnit.SECONDS);
    Path file = dir.resolve("resilience.json");
    Files.writeString(file, TestPolicies.json("inventory", "test.inventory", 3, 8, 8, ""));
    vertx
        .deployVerticle(new ResilienceProxyVerticle(file.toString(), 50, Meters.none()))
        .await(10, TimeUnit.SECONDS);
    sentTo.clear();
  }

  @AfterEach
  void stop() throws Exception {
    vertx.close().await(10, TimeUnit.SECONDS);
  }

  @Test
  @Timeout(10)
  @DisplayName("a caller on the proxy's event loop gets the callee's reply with no request to it")
  void shouldCallOnTheSameLoopDirectly() throws Exception {
    ProxyReply reply = onLoop(this::reserve);

    assertThat(reply.<String>as()).isEqualTo("reserved sku-1 by u1");
    assertThat(sentTo).containsExactly("test.inventory");
  }

  @Test
  @Timeout(10)
  @DisplayName("the callee's refusal reaches a caller on the loop as it would over the event bus")
  void shouldFailAsTheEventBusWould() throws Exception {
    answer = "409";

    Throwable direct = failure(() -> onLoop(this::reserve));
    Throwable viaBus = failure(() -> offLoop(this::reserve));

    for (Throwable error : List.of(direct, viaBus)) {
      assertThat(error).isInstanceOf(ReplyException.class).hasMessage("refused: 409");
      assertThat(((ReplyException) error).failureCode()).isEqualTo(409);
      assertThat(((ReplyException) error).failureType()).isEqualTo(ReplyFailure.RECIPIENT_FAILURE);
    }
    assertThat(attempts).as("a 409 is not retried, either way").hasValue(2);
    assertThat(sentTo).containsExactly("test.inventory", RESILIENT, "test.inventory");
  }

  @Test
  @Timeout(10)
  @DisplayName("a caller off the event loop sends to the proxy's address")
  void shouldSendFromOffTheLoop() throws Exception {
    ProxyReply reply = offLoop(this::reserve);

    assertThat(reply.<String>as()).isEqualTo("reserved sku-1 by u1");
    assertThat(sentTo).containsExactly(RESILIENT, "test.inventory");
  }

  @Test
  @Timeout(10)
  @DisplayName("a target the proxy does not serve is sent to its address, and nobody answers it")
  void shouldNotShortCutAnUnknownTarget() throws Exception {
    Throwable error =
        failure(
            () ->
                onLoop(
                    () ->
                        ProxyCalls.request(
                            vertx, "nobody", "x", new DeliveryOptions().setSendTimeout(500))));

    assertThat(error).isInstanceOf(ReplyException.class);
    assertThat(((ReplyException) error).failureType()).isEqualTo(ReplyFailure.NO_HANDLERS);
    assertThat(sentTo).containsExactly(ResilienceProxyVerticle.ADDRESS_PREFIX + "nobody");
  }

  private Future<ProxyReply> reserve() {
    return ProxyCalls.request(
        vertx, "inventory", "sku-1", new DeliveryOptions().addHeader("x-caller", "u1"));
  }

  /** Runs {@code call} on a new event-loop context: the one loop, the proxy's thread. */
  private ProxyReply onLoop(Supplier<Future<ProxyReply>> call) throws Exception {
    CompletableFuture<ProxyReply> result = new CompletableFuture<>();
    vertx
        .getOrCreateContext()
        .runOnContext(
            v -> {
              assertThat(Vertx.currentContext().isEventLoopContext()).isTrue();
              call.get().onComplete(ar -> complete(result, ar.result(), ar.cause()));
            });
    return result.get(8, TimeUnit.SECONDS);
  }

  /** Runs {@code call} on a worker thread. */
  private ProxyReply offLoop(Supplier<Future<ProxyReply>> call) throws Exception {
    CompletableFuture<ProxyReply> result = new CompletableFuture<>();
    vertx.executeBlocking(
        () -> {
          call.get().onComplete(ar -> complete(result, ar.result(), ar.cause()));
          return null;
        });
    return result.get(8, TimeUnit.SECONDS);
  }

  private static void complete(
      CompletableFuture<ProxyReply> result, ProxyReply reply, Throwable error) {
    if (error != null) {
      result.completeExceptionally(error);
    } else {
      result.complete(reply);
    }
  }

  private interface Call {
    ProxyReply run() throws Exception;
  }

  private static Throwable failure(Call call) {
    try {
      call.run();
    } catch (ExecutionException e) {
      return e.getCause();
    } catch (Exception e) {
      return e;
    }
    throw new AssertionError("expected the call to fail");
  }
}
