package io.courier.discovery;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Comparator;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.LongSupplier;
import java.util.function.Predicate;
import java.util.random.RandomGenerator;

/**
 * Client-side load balancing over resolved instances: round robin, or power of two choices on
 * outstanding calls (an instance that failed within the last base ejection time losing to one that
 * did not), skipping instances ejected for repeated failures or a high failure ratio ({@link
 * OutlierPolicy}) and, when the caller passes one, instances its own gate refuses (the resilience
 * layer's per-instance breakers). Callers take a {@link Lease} per call and release it with the
 * outcome. State is kept per instance address; {@link #retain} forgets instances that left.
 * Thread-safe; time comes from the injected clock.
 */
public final class LoadBalancer {

  /** How an instance is chosen among those not ejected. */
  public enum Strategy {
    ROUND_ROBIN,
    POWER_OF_TWO_CHOICES
  }

  private final Strategy strategy;
  private final OutlierPolicy outliers;
  private final LongSupplier clock;
  private final RandomGenerator random;
  private final AtomicLong next = new AtomicLong();
  private final Map<String, InstanceState> states = new ConcurrentHashMap<>();

  public LoadBalancer(
      Strategy strategy, OutlierPolicy outliers, LongSupplier nanoClock, RandomGenerator random) {
    this.strategy = strategy;
    this.outliers = outliers;
    this.clock = nanoClock;
    this.random = random;
  }

  /** One call's use of an instance; release it exactly once with the call's outcome. */
  public final class Lease {
    private final ServiceInstance instance;
    private final InstanceState state;
    private boolean released;

    private Lease(ServiceInstance instance, InstanceState state) {
      this.instance = instance;
      this.state = state;
    }

    public ServiceInstance instance() {
      return instance;
    }

    /** Records the outcome: a failure counts towards ejection, a success resets the count. */
    public synchronized void release(boolean succeeded) {
      if (released) {
        return;
      }
      released = true;
      state.finish(succeeded);
    }
  }

  /** An instance for the next call, or empty when there is none. */
  public Optional<Lease> pick(List<ServiceInstance> instances) {
    return pick(instances, instance -> true);
  }

  /**
   * An instance for the next call among those not ejected that {@code admits} accepts, or empty
   * when there is none.
   */
  public Optional<Lease> pick(List<ServiceInstance> instances, Predicate<ServiceInstance> admits) {
    List<ServiceInstance> eligible = eligible(instances);
    eligible.removeIf(admits.negate());
    if (eligible.isEmpty()) {
      return Optional.empty();
    }
    ServiceInstance chosen =
        switch (strategy) {
          case ROUND_ROBIN ->
              eligible.get((int) Math.floorMod(next.getAndIncrement(), eligible.size()));
          case POWER_OF_TWO_CHOICES -> twoChoices(eligible);
        };
    InstanceState state = state(chosen);
    state.outstanding.incrementAndGet();
    return Optional.of(new Lease(chosen, state));
  }

  /** Whether the instance is ejected now. */
  public boolean isEjected(ServiceInstance instance) {
    return state(instance).ejectedUntil > clock.getAsLong();
  }

  private ServiceInstance twoChoices(List<ServiceInstance> eligible) {
    if (eligible.size() == 1) {
      return eligible.get(0);
    }
    int first = random.nextInt(eligible.size());
    int second = random.nextInt(eligible.size() - 1);
    if (second >= first) {
      second++;
    }
    ServiceInstance a = eligible.get(first);
    ServiceInstance b = eligible.get(second);
    // An instance that failed within the last base ejection time loses to one that did not: a
    // refusing instance answers fastest, so on outstanding calls alone it would win every time.
    long now = clock.getAsLong();
    long recent = now - outliers.baseEjection().toNanos();
    boolean aFailed = state(a).lastFailure > recent;
    boolean bFailed = state(b).lastFailure > recent;
    if (aFailed != bFailed) {
      return aFailed ? b : a;
    }
    return state(a).outstanding.get() <= state(b).outstanding.get() ? a : b;
  }

  /** Instances not ejected, plus as many ejected ones as the max ejection percent requires. */
  private List<ServiceInstance> eligible(List<ServiceInstance> instances) {
    long now = clock.getAsLong();
    List<ServiceInstance> healthy = new ArrayList<>();
    List<ServiceInstance> ejected = new ArrayList<>();
    for (ServiceInstance instance : instances) {
      (state(instance).ejectedUntil > now ? ejected : healthy).add(instance);
    }
    int allowedOut = instances.size() * outliers.maxEjectionPercent() / 100;
    if (ejected.size() > allowedOut) {
      ejected.sort(Comparator.comparingLong(i -> state(i).ejectedSince));
      healthy.addAll(ejected.subList(0, ejected.size() - allowedOut));
    }
    return healthy;
  }

  /** Forgets the state of every instance whose address is not among {@code current}. */
  public void retain(Collection<ServiceInstance> current) {
    Set<String> addresses = new HashSet<>();
    for (ServiceInstance instance : current) {
      addresses.add(instance.address());
    }
    states.keySet().retainAll(addresses);
  }

  /** Instances with state held (for tests: pruning works). */
  int tracked() {
    return states.size();
  }

  private InstanceState state(ServiceInstance instance) {
    return states.computeIfAbsent(instance.address(), key -> new InstanceState());
  }

  private final class InstanceState {
    final AtomicInteger outstanding = new AtomicInteger();
    int consecutiveFailures;
    int ejections;
    long intervalStart = clock.getAsLong();
    int intervalCalls;
    int intervalFailures;
    volatile long ejectedUntil = Long.MIN_VALUE;
    volatile long ejectedSince = Long.MIN_VALUE;
    volatile long lastFailure = Long.MIN_VALUE;

    synchronized void finish(boolean succeeded) {
      outstanding.decrementAndGet();
      long now = clock.getAsLong();
      if (now - intervalStart >= outliers.interval().toNanos()) {
        intervalStart = now;
        intervalCalls = 0;
        intervalFailures = 0;
      }
      intervalCalls++;
      if (succeeded) {
        consecutiveFailures = 0;
        return;
      }
      intervalFailures++;
      lastFailure = now;
      boolean tooMany = ++consecutiveFailures >= outliers.consecutiveFailures();
      boolean tooOften =
          intervalCalls >= outliers.minRequests()
              && (double) intervalFailures / intervalCalls >= outliers.failureRatio();
      if ((tooMany || tooOften) && ejectedUntil <= now) {
        eject(now);
      }
    }

    private void eject(long now) {
      consecutiveFailures = 0;
      intervalStart = now;
      intervalCalls = 0;
      intervalFailures = 0;
      if (ejectedUntil != Long.MIN_VALUE) {
        // Time served back in rotation earns the doubling back, one step per maxEjection.
        long healthy = now - ejectedUntil;
        ejections = (int) Math.max(0, ejections - healthy / outliers.maxEjection().toNanos());
      }
      long base = outliers.baseEjection().toNanos();
      long ejection = Math.min(outliers.maxEjection().toNanos(), base << Math.min(20, ejections));
      ejections++;
      ejectedSince = now;
      ejectedUntil = now + ejection;
    }
  }

  /** Ejection times in force, for tests and metrics. */
  Duration remainingEjection(ServiceInstance instance) {
    return Duration.ofNanos(Math.max(0, state(instance).ejectedUntil - clock.getAsLong()));
  }
}
