package io.courier.runtime.metrics;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.composite.CompositeMeterRegistry;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Function;
import java.util.function.Supplier;

/**
 * Where a process's meters go: its registry, and the meter families registered on it. A family is
 * registered once per registry (a gauge exists once per name and tags) while the things it reports
 * come and go, e.g. a consumer restarted in the same process keeps its series; {@link #family}
 * gives every part of the process the same instance of one.
 */
public final class Meters {

  private final MeterRegistry registry;
  private final boolean enabled;
  private final Map<Class<?>, Object> families = new ConcurrentHashMap<>();

  private Meters(MeterRegistry registry, boolean enabled) {
    this.registry = registry;
    this.enabled = enabled;
  }

  /** Meters reporting to {@code registry}. */
  public static Meters of(MeterRegistry registry) {
    return new Meters(registry, true);
  }

  /** Meters that record nothing: metrics are off, or no process is running (a unit test). */
  public static Meters none() {
    return new Meters(new CompositeMeterRegistry(), false);
  }

  public MeterRegistry registry() {
    return registry;
  }

  /** Whether anything is recorded (and scraped): false for {@link #none()}. */
  public boolean enabled() {
    return enabled;
  }

  /**
   * A counter {@code name} (with {@code tags}, key-value pairs); the returned action adds one. The
   * same name and tags give the same counter, so a verticle deployed again keeps counting on.
   */
  public Runnable counter(String name, String description, String... tags) {
    Counter counter = Counter.builder(name).description(description).tags(tags).register(registry);
    return counter::increment;
  }

  /** A gauge {@code name} (with {@code tags}) reading {@code value} when scraped. */
  public void gauge(String name, String description, Supplier<Number> value, String... tags) {
    Gauge.builder(name, value, current -> current.get().doubleValue())
        .description(description)
        .tags(tags)
        .strongReference(true)
        .register(registry);
  }

  /** This registry's one instance of the family {@code type}, created on first use. */
  public <T> T family(Class<T> type, Function<MeterRegistry, T> create) {
    return type.cast(families.computeIfAbsent(type, t -> create.apply(registry)));
  }
}
