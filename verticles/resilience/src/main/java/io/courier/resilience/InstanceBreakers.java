package io.courier.resilience;

import io.courier.runtime.metrics.Meters;
import io.vertx.circuitbreaker.CircuitBreakerState;
import io.vertx.core.Vertx;
import java.util.Collection;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Supplier;

/**
 * One breaker per instance of a target reached through discovery, each with the target's breaker
 * policy: an instance that fails is taken out of rotation (the load balancer asks {@link #admits})
 * long before the share of failures across all instances trips the target's own breaker, and it
 * comes back through half-open probes. Keyed by instance address; {@link #retain} drops the
 * breakers of instances that left. State changes are published on {@link
 * TargetBreaker#STATE_ADDRESS} with the instance and counted by target and state.
 */
public final class InstanceBreakers {

  private final Vertx vertx;
  private final Meters meters;
  private final String target;
  private final Supplier<ResiliencePolicies.Policy> policy;
  private final Map<String, TargetBreaker> breakers = new ConcurrentHashMap<>();
  private volatile ResiliencePolicies.Breaker built;
  private volatile BreakerPolicy breakerPolicy;

  public InstanceBreakers(Vertx vertx, Meters meters, String target, BreakerPolicy policy) {
    this.vertx = vertx;
    this.meters = meters;
    this.target = target;
    this.policy = null;
    this.breakerPolicy = policy;
  }

  /**
   * Breakers following the target's current policy: when a reload changes its {@code breaker}
   * section, the instances' breakers start again, closed, under the new one.
   */
  public InstanceBreakers(
      Vertx vertx, Meters meters, String target, Supplier<ResiliencePolicies.Policy> policy) {
    this.vertx = vertx;
    this.meters = meters;
    this.target = target;
    this.policy = policy;
    refresh();
  }

  private void refresh() {
    if (policy == null) {
      return;
    }
    ResiliencePolicies.Policy current = policy.get();
    ResiliencePolicies.Breaker section = current.breaker();
    if (section == built || section.equals(built)) {
      return;
    }
    synchronized (this) {
      if (!section.equals(built)) {
        breakerPolicy = current.breakerPolicy();
        breakers.clear();
        built = section;
      }
    }
  }

  /** The breaker of the instance at {@code address} (created closed on first use). */
  public TargetBreaker of(String address) {
    refresh();
    BreakerPolicy now = breakerPolicy;
    return breakers.computeIfAbsent(
        address, key -> new TargetBreaker(vertx, meters, target, key, now, System::nanoTime));
  }

  /** Whether a call to the instance at {@code address} would be let through now. */
  public boolean admits(String address) {
    refresh();
    TargetBreaker breaker = breakers.get(address);
    return breaker == null || breaker.admits();
  }

  /** Drops the breakers of instances not among {@code addresses}. */
  public void retain(Collection<String> addresses) {
    breakers.keySet().retainAll(Set.copyOf(addresses));
  }

  /** The state of each instance's breaker, by address. */
  public Map<String, CircuitBreakerState> states() {
    Map<String, CircuitBreakerState> states = new TreeMap<>();
    breakers.forEach((address, breaker) -> states.put(address, breaker.state()));
    return states;
  }
}
