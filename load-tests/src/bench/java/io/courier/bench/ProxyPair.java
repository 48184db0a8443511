package io.courier.bench;

import io.courier.resilience.ProxyCalls;
import io.courier.resilience.ResilienceProxyVerticle;
import io.courier.runtime.metrics.Meters;
import io.vertx.core.DeploymentOptions;
import io.vertx.core.Future;
import io.vertx.core.VerticleBase;
import io.vertx.core.Vertx;
import io.vertx.core.VertxOptions;
import io.vertx.core.eventbus.DeliveryOptions;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;

/**
 * The resilience proxy against a direct event-bus request/reply, in one JVM: as the gateway calls
 * it ({@link ProxyCalls}, the proxy on the caller's own loop) and through its address.
 */
final class ProxyPair {

  private ProxyPair() {}

  /** Measures the pair at 1 and 64 in flight into {@code table} (pair "event bus"). */
  static void measure(BaselineTable table) throws Exception {
    Vertx vertx = Vertx.vertx();
    try {
      vertx
          .deployVerticle(
              new VerticleBase() {
                @Override
                public Future<?> start() {
                  return vertx
                      .eventBus()
                      .<String>consumer("bench.echo", message -> message.reply(message.body()))
                      .completion();
                }
              })
          .await(30, TimeUnit.SECONDS);
      Path policies = Files.createTempFile("baselines-resilience", ".json");
      Files.writeString(policies, PolicyOverheadBenchmark.POLICIES);
      // As a process deploys them: one process-local proxy per event loop (ResilienceRole#proxies).
      vertx
          .deployVerticle(
              () ->
                  new ResilienceProxyVerticle(policies.toString(), 60_000, Meters.none())
                      .processLocal(),
              new DeploymentOptions().setInstances(VertxOptions.DEFAULT_EVENT_LOOP_POOL_SIZE))
          .await(30, TimeUnit.SECONDS);
      for (int inFlight : new int[] {1, 64}) {
        Map<String, Supplier<ClosedLoop.Call>> paths = new LinkedHashMap<>();
        String direct = "direct request/reply";
        // As the gateway calls it (ProxyCalls): the proxy on the caller's own loop, no hop to it.
        String proxied = "through ResilienceProxyVerticle";
        // Sent to the proxy's address: a second request/reply, usually to another loop's proxy.
        String addressed = "through the proxy's address (courier.resilient.echo)";
        paths.put(direct, () -> eventBusCall(vertx, "bench.echo"));
        paths.put(proxied, () -> proxyCall(vertx));
        paths.put(
            addressed, () -> eventBusCall(vertx, ResilienceProxyVerticle.ADDRESS_PREFIX + "echo"));
        Map<String, ClosedLoop.Measure> best = Baselines.bestOf(paths, inFlight);
        table.baseline("event bus", direct, best.get(direct));
        table.latencyAgainst(
            "event bus", proxied, best.get(proxied), best.get(direct), 100, "p99 added <= 0.1 ms");
        table.latencyBeside("event bus", addressed, best.get(addressed), best.get(direct));
      }
      Files.deleteIfExists(policies);
    } finally {
      vertx.close().await(30, TimeUnit.SECONDS);
    }
  }

  /** Through {@link ProxyCalls}; each call after the first is made on its reply's event loop. */
  private static ClosedLoop.Call proxyCall(Vertx vertx) {
    return done ->
        ProxyCalls.request(vertx, "echo", "ping", new DeliveryOptions())
            .onComplete(reply -> done.done(reply.succeeded()));
  }

  private static ClosedLoop.Call eventBusCall(Vertx vertx, String address) {
    return done ->
        vertx
            .eventBus()
            .<String>request(address, "ping", new DeliveryOptions().setLocalOnly(true))
            .onComplete(reply -> done.done(reply.succeeded()));
  }
}
