package io.courier.service;

import static org.assertj.core.api.Assertions.assertThat;

import io.courier.discovery.Discovery;
import io.courier.discovery.ServiceInstance;
import io.courier.resilience.ResiliencePolicies;
import io.courier.resilience.TargetPolicy;
import io.courier.runtime.admin.AdminSections;
import io.courier.runtime.metrics.Meters;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import java.util.function.Function;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

@DisplayName("An attempt that overlaps another of the same call (a hedge)")
class HedgedAttemptTest {

  private static final List<ServiceInstance> TWO =
      List.of(
          new ServiceInstance("a", "inventory-service", "127.0.0.1", 9001, Map.of()),
          new ServiceInstance("b", "inventory-service", "127.0.0.1", 9002, Map.of()));

  private final Vertx vertx = Vertx.vertx();

  @AfterEach
  void close() throws Exception {
    vertx.close().await(10, TimeUnit.SECONDS);
  }

  @Test
  @Timeout(30)
  @DisplayName(
      "goes to the instance the call is not waiting on, even when load balancing ties them")
  void shouldGoToAnotherInstanceThanTheSlowFirstAttempt() throws Exception {
    ResiliencePolicies file =
        ResiliencePolicies.parse(
            Files.readString(Path.of("../../conf/resilience.json")), "conf/resilience.json");
    ResiliencePolicies.Target target = file.targets().get("inventory-reads");
    // Without the rule, power of two choices ties the two instances (one call waiting on each)
    // and picks the slow one half the time: 40 tries leave no chance to pass by luck.
    for (int trial = 0; trial < 40; trial++) {
      PeerInstances peers =
          new PeerInstances(
              vertx,
              Meters.none(),
              PeerDirectory.of(new AdminSections()),
              new FixedDiscovery(TWO),
              "inventory-service",
              new TargetPolicy(
                  vertx, Meters.none(), "inventory-reads", target, file.policies().get("reads")),
              null);
      CompletableFuture<String> first = new CompletableFuture<>();
      CompletableFuture<String> other = new CompletableFuture<>();
      CompletableFuture<String> hedge = new CompletableFuture<>();
      PeerInstances.Call call = PeerInstances.newCall();

      peers.attempt(waitingForever(first), error -> true, call);
      peers.attempt(waitingForever(other), error -> true, PeerInstances.newCall());
      peers.attempt(waitingForever(hedge), error -> true, call);

      String slow = first.get(10, TimeUnit.SECONDS);
      assertThat(other.get(10, TimeUnit.SECONDS))
          .as("another call balances to the idle instance")
          .isNotEqualTo(slow);
      assertThat(hedge.get(10, TimeUnit.SECONDS)).as("trial %d", trial).isNotEqualTo(slow);
    }
  }

  /** Sends that say where they went and never answer, like a slow instance. */
  private static Function<ServiceInstance, Future<String>> waitingForever(
      CompletableFuture<String> sentTo) {
    return instance -> {
      sentTo.complete(instance.address());
      return Promise.<String>promise().future();
    };
  }

  /** A discovery backend that always knows the same instances. */
  private record FixedDiscovery(List<ServiceInstance> instances) implements Discovery {

    @Override
    public Future<ServiceInstance> register(ServiceInstance instance) {
      return Future.succeededFuture(instance);
    }

    @Override
    public Future<Void> deregister(String registrationId) {
      return Future.succeededFuture();
    }

    @Override
    public Future<List<ServiceInstance>> resolve(String name) {
      return Future.succeededFuture(instances);
    }

    @Override
    public Watch watch(String name, Consumer<List<ServiceInstance>> handler) {
      handler.accept(instances);
      return () -> {};
    }

    @Override
    public Future<JsonObject> probe(long timeoutMs) {
      return Future.succeededFuture(new JsonObject());
    }

    @Override
    public JsonObject describe() {
      return new JsonObject();
    }

    @Override
    public void close() {}
  }
}
