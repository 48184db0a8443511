package io.courier.service;

import io.courier.discovery.Discovery;
import io.courier.discovery.LoadBalancer;
import io.courier.discovery.OutlierPolicy;
import io.courier.discovery.ServiceInstance;
import io.courier.resilience.InstanceBreakers;
import io.courier.resilience.Routing;
import io.courier.resilience.TargetPolicy;
import io.courier.runtime.metrics.Meters;
import io.vertx.circuitbreaker.CircuitBreakerState;
import io.vertx.circuitbreaker.OpenCircuitException;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import java.net.ConnectException;
import java.time.Duration;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Function;
import java.util.function.Predicate;
import java.util.function.Supplier;

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
 *   <li>with a {@link Routing} in the target's policy, a call goes only to instances of the version
 *       {@link VersionRouter} chooses for it (once, before its first attempt), and with {@code
 *       preferZone} to those in the caller's zone while one of them is eligible;
 *   <li>an attempt that overlaps another of the same call (a hedge) goes to an instance the call is
 *       not already waiting on, while there is one;
 *   <li>state of instances that left discovery is dropped.
 * </ul>
 */
final class PeerInstances {

  private static final long CACHE_NANOS = TimeUnit.SECONDS.toNanos(1);

  /** Ejection of failing instances: 5 in a row, or half of at least 20 calls in 10 s. */
  static final OutlierPolicy OUTLIERS =
      new OutlierPolicy(
          5, 0.5, 20, Duration.ofSeconds(10), Duration.ofSeconds(1), Duration.ofSeconds(30), 50);

  private final Discovery discovery;
  private final String service;
  private final LoadBalancer balancer =
      new LoadBalancer(
          LoadBalancer.Strategy.POWER_OF_TWO_CHOICES, OUTLIERS, System::nanoTime, new Random());
  private final InstanceBreakers breakers;
  private final TargetPolicy policy;
  private final String zone;
  private final Random random = new Random();

  private volatile List<ServiceInstance> instances = List.of();
  private volatile long resolvedAt = Long.MIN_VALUE;
  private volatile boolean watched;
  private final AtomicBoolean watching = new AtomicBoolean();

  /**
   * @param directory the process's peers, which show these instances in its admin view
   * @param zone the caller's zone ({@code discovery.zone}), or null
   */
  PeerInstances(
      Vertx vertx,
      Meters meters,
      PeerDirectory directory,
      Discovery discovery,
      String service,
      TargetPolicy policy,
      String zone) {
    this.discovery = discovery;
    this.service = service;
    this.policy = policy;
    this.zone = zone == null || zone.isBlank() ? null : zone;
    this.breakers =
        policy.policy().breaker().breakerPerInstance()
            ? new InstanceBreakers(vertx, meters, policy.name(), policy::policy)
            : null;
    directory.add(this);
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
   * @param call the call: addresses that failed its earlier attempts (updated here) and the version
   *     {@link #route} chose for it
   */
  <T> Future<T> attempt(
      Function<ServiceInstance, Future<T>> send, Predicate<Throwable> instanceFault, Call call) {
    String version = call.version;
    return instances()
        .compose(
            known ->
                attemptOn(
                    version == null
                        ? known
                        : known.stream().filter(i -> VersionRouter.of(i, version)).toList(),
                    new HashSet<>(),
                    call,
                    send,
                    instanceFault));
  }

  /**
   * Chooses the version {@code call} goes to under the target's routing (none without one), from
   * the instances known now; fails with a 503 {@code version-unavailable} {@link ServiceError} when
   * the version it must reach has no instance.
   */
  Future<Void> route(Call call) {
    Routing routing = policy.target().routing();
    if (routing == null) {
      return Future.succeededFuture();
    }
    return instances()
        .map(
            known -> {
              call.version =
                  VersionRouter.choose(
                      policy.name(), routing, known, call.requested, call.stickyKey, random);
              return null;
            });
  }

  /** A call without a requested version or sticky key. */
  static Call newCall() {
    return new Call(null, null);
  }

  /**
   * One call's state across its attempts (which may overlap): the instances that failed it and the
   * version it goes to.
   */
  static final class Call {
    final Set<String> failedBefore = ConcurrentHashMap.newKeySet(2);

    /** Instances one of its attempts is waiting on: a hedged attempt goes elsewhere if it can. */
    final Set<String> waitingOn = ConcurrentHashMap.newKeySet(2);

    final RequestedVersion requested;
    final String stickyKey;
    volatile String version;

    /**
     * @param requested the version the request asked for, or null
     * @param stickyKey the caller's subject, or null
     */
    Call(RequestedVersion requested, String stickyKey) {
      this.requested = requested;
      this.stickyKey = stickyKey;
    }
  }

  private <T> Future<T> attemptOn(
      List<ServiceInstance> known,
      Set<String> refused,
      Call call,
      Function<ServiceInstance, Future<T>> send,
      Predicate<Throwable> instanceFault) {
    Set<String> failedBefore = call.failedBefore;
    Predicate<ServiceInstance> admitted =
        candidate ->
            !refused.contains(candidate.address())
                && (breakers == null || breakers.admits(candidate.address()));
    Predicate<ServiceInstance> fresh =
        admitted.and(
            candidate ->
                !failedBefore.contains(candidate.address())
                    && !call.waitingOn.contains(candidate.address()));
    Routing routing = policy.target().routing();
    var lease =
        zone != null && routing != null && routing.zonePreferred()
            ? balancer.pick(known, fresh.and(candidate -> VersionRouter.in(candidate, zone)))
            : Optional.<LoadBalancer.Lease>empty();
    if (lease.isEmpty()) {
      lease = balancer.pick(known, fresh);
    }
    if (lease.isEmpty() && (!failedBefore.isEmpty() || !call.waitingOn.isEmpty())) {
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
    boolean first = call.waitingOn.add(instance.address());
    Supplier<Future<T>> sending =
        () -> {
          sent.set(true);
          return send.apply(instance);
        };
    Future<T> answer =
        breakers == null ? sending.get() : breakers.of(instance.address()).execute(sending);
    var taken = lease.get();
    return answer
        .andThen(
            done -> {
              if (first) {
                call.waitingOn.remove(instance.address());
              }
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
                return attemptOn(known, refused, call, send, instanceFault);
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

  /** The service these are instances of. */
  String service() {
    return service;
  }
}
