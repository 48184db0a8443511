package io.courier.service;

import io.courier.discovery.Discovery;
import io.courier.discovery.LoadBalancer;
import io.courier.discovery.OutlierPolicy;
import io.courier.discovery.ServiceInstance;
import io.courier.resilience.InstanceBreakers;
import io.courier.resilience.TargetPolicy;
import io.vertx.circuitbreaker.CircuitBreakerState;
import io.vertx.circuitbreaker.OpenCircuitException;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.net.ConnectException;
import java.time.Duration;
import java.util.Collections;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.TreeMap;
import java.util.WeakHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Function;
import java.util.function.Predicate;

/**
 * The instances of a service called by name, and the choice among them for each attempt, shared by
 * {@link GrpcPeer} and {@link HttpPeer}:
 *
 * <ul>
 *   <li>instances come from a discovery watch (Consul blocking queries, so a deregistered or lapsed
 *       instance leaves within one watch cycle); until the watch has answered, from a resolution
 *       cached for a second; when discovery fails the last good list is kept;
 *   <li>each attempt goes to the instance the load balancer picks (power of two choices on
 *       outstanding calls), skipping instances ejected for failing (consecutive failures or a
 *       failure ratio, growing ejection) and instances whose own breaker is open ({@link
 *       InstanceBreakers}, unless the target's policy turns them off with {@code
 *       breaker.perInstance: false});
 *   <li>state of instances that left discovery is dropped.
 * </ul>
 */
final class PeerInstances {

  private static final long CACHE_NANOS = TimeUnit.SECONDS.toNanos(1);

  /** Ejection of failing instances: 5 in a row, or half of at least 20 calls in 10 s. */
  static final OutlierPolicy OUTLIERS =
      new OutlierPolicy(
          5, 0.5, 20, Duration.ofSeconds(10), Duration.ofSeconds(1), Duration.ofSeconds(30), 50);

  /** Every peer of a Vert.x instance, for its admin view. */
  private static final Map<Vertx, Set<PeerInstances>> PEERS =
      Collections.synchronizedMap(new WeakHashMap<>());

  private final Discovery discovery;
  private final String service;
  private final LoadBalancer balancer =
      new LoadBalancer(
          LoadBalancer.Strategy.POWER_OF_TWO_CHOICES, OUTLIERS, System::nanoTime, new Random());
  private final InstanceBreakers breakers;

  private volatile List<ServiceInstance> instances = List.of();
  private volatile long resolvedAt = Long.MIN_VALUE;
  private volatile boolean watched;
  private final AtomicBoolean watching = new AtomicBoolean();

  PeerInstances(Vertx vertx, Discovery discovery, String service, TargetPolicy policy) {
    this.discovery = discovery;
    this.service = service;
    this.breakers =
        policy.policy().breaker().breakerPerInstance()
            ? new InstanceBreakers(vertx, policy.name(), policy::policy)
            : null;
    PEERS
        .computeIfAbsent(
            vertx,
            v -> {
              Set<PeerInstances> peers =
                  Collections.synchronizedSet(Collections.newSetFromMap(new WeakHashMap<>()));
              io.courier.runtime.admin.AdminSections.put(v, "discovered", () -> describe(peers));
              return peers;
            })
        .add(this);
  }

  /**
   * Runs one attempt on the instance the load balancer picks among those not ejected whose breaker
   * admits calls; when that breaker refuses after all (another caller took its last half-open probe
   * place first), the attempt moves on to another instance.
   *
   * <p>A retry avoids the instances that already failed this call (Envoy's "previous hosts"
   * predicate) while another one is available: a refusing instance answers fastest, so it has the
   * fewest calls outstanding and power of two choices would keep picking it.
   *
   * @param send sends the attempt to an instance
   * @param instanceFault whether a failure is the instance's own (it counts towards ejection)
   * @param failedBefore addresses that failed earlier attempts of the same call (updated here)
   */
  <T> Future<T> attempt(
      Function<ServiceInstance, Future<T>> send,
      Predicate<Throwable> instanceFault,
      Set<String> failedBefore) {
    return instances()
        .compose(known -> attemptOn(known, new HashSet<>(), failedBefore, send, instanceFault));
  }

  /** A set for {@link #attempt}'s {@code failedBefore}, one per call (attempts may overlap). */
  static Set<String> newCall() {
    return java.util.concurrent.ConcurrentHashMap.newKeySet(2);
  }

  private <T> Future<T> attemptOn(
      List<ServiceInstance> known,
      Set<String> refused,
      Set<String> failedBefore,
      Function<ServiceInstance, Future<T>> send,
      Predicate<Throwable> instanceFault) {
    Predicate<ServiceInstance> admitted =
        candidate ->
            !refused.contains(candidate.address())
                && (breakers == null || breakers.admits(candidate.address()));
    var lease =
        balancer.pick(
            known, admitted.and(candidate -> !failedBefore.contains(candidate.address())));
    if (lease.isEmpty() && !failedBefore.isEmpty()) {
      lease = balancer.pick(known, admitted);
    }
    if (lease.isEmpty()) {
      return Future.failedFuture(
          new ConnectException(
              known.isEmpty()
                  ? "no reachable instance of " + service
                  : "no reachable instance of "
                      + service
                      + ": all "
                      + known.size()
                      + " ejected or behind an open breaker"));
    }
    ServiceInstance instance = lease.get().instance();
    AtomicBoolean sent = new AtomicBoolean();
    java.util.function.Supplier<Future<T>> call =
        () -> {
          sent.set(true);
          return send.apply(instance);
        };
    Future<T> answer =
        breakers == null ? call.get() : breakers.of(instance.address()).execute(call);
    var taken = lease.get();
    return answer
        .andThen(
            done -> {
              boolean fault = done.failed() && sent.get() && instanceFault.test(done.cause());
              if (fault) {
                failedBefore.add(instance.address());
              }
              taken.release(!fault);
            })
        .recover(
            error -> {
              if (!sent.get() && error instanceof OpenCircuitException) {
                refused.add(instance.address());
                return attemptOn(known, refused, failedBefore, send, instanceFault);
              }
              return Future.failedFuture(error);
            });
  }

  /** The instances calls go to now. */
  List<ServiceInstance> known() {
    return instances;
  }

  /** Per-instance breaker states by address (empty when they are off). */
  Map<String, CircuitBreakerState> breakerStates() {
    return breakers == null ? Map.of() : breakers.states();
  }

  private Future<List<ServiceInstance>> instances() {
    if (watching.compareAndSet(false, true)) {
      discovery.watch(
          service,
          found -> {
            instances = found;
            forgetOthers(found);
            watched = true;
          });
    }
    if (watched && !instances.isEmpty()) {
      return Future.succeededFuture(instances);
    }
    long now = System.nanoTime();
    if (!instances.isEmpty() && now - resolvedAt < CACHE_NANOS) {
      return Future.succeededFuture(instances);
    }
    return discovery
        .resolve(service)
        .map(
            found -> {
              instances = found;
              forgetOthers(found);
              resolvedAt = now;
              return found;
            })
        .recover(
            error ->
                instances.isEmpty()
                    ? Future.failedFuture(error)
                    : Future.succeededFuture(instances));
  }

  /** Drops balancing and breaker state of instances that are no longer resolved. */
  private void forgetOthers(List<ServiceInstance> current) {
    if (current.isEmpty()) {
      return; // an empty answer does not wipe what was learned about instances
    }
    balancer.retain(current);
    if (breakers != null) {
      breakers.retain(current.stream().map(ServiceInstance::address).toList());
    }
  }

  /** Per service, the instances this process's clients know of, with their breaker states. */
  private static Object describe(Set<PeerInstances> peers) {
    Map<String, Map<String, ServiceInstance>> known = new TreeMap<>();
    Map<String, String> breakerStates = new HashMap<>();
    synchronized (peers) {
      for (PeerInstances peer : peers) {
        Map<String, ServiceInstance> instances =
            known.computeIfAbsent(peer.service, k -> new TreeMap<>());
        peer.instances.forEach(instance -> instances.put(instance.id(), instance));
        peer.breakerStates()
            .forEach((address, state) -> breakerStates.merge(address, state.name(), worst()));
      }
    }
    JsonObject view = new JsonObject();
    known.forEach(
        (service, instances) -> {
          JsonArray list = new JsonArray();
          for (ServiceInstance instance : instances.values()) {
            list.add(
                new JsonObject()
                    .put("id", instance.id())
                    .put("address", instance.host() + ":" + instance.port())
                    .put("breaker", breakerStates.getOrDefault(instance.address(), "CLOSED"))
                    .put("tags", new JsonObject(new TreeMap<String, Object>(instance.tags()))));
          }
          view.put(service, list);
        });
    return view;
  }

  /** Two clients' breakers of one instance: the view shows the less healthy state. */
  private static java.util.function.BinaryOperator<String> worst() {
    List<String> order = List.of("CLOSED", "HALF_OPEN", "OPEN");
    return (a, b) -> order.indexOf(a) >= order.indexOf(b) ? a : b;
  }
}
