package io.courier.runtime.impl;

import io.vertx.core.Handler;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.ext.healthchecks.HealthChecks;
import io.vertx.ext.healthchecks.Status;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The readiness checks of each running process (per Vert.x instance), so parts that start and stop
 * inside it, such as a Kafka consumer, add a check of their own and take it away when they stop.
 * Outside a Courier runtime (a plain Vert.x in a test) there are no checks and registering does
 * nothing.
 */
public final class ReadinessChecks {

  private static final long TIMEOUT_MS = 3_000;
  private static final Map<Vertx, HealthChecks> CHECKS = new ConcurrentHashMap<>();
  private static final Map<Vertx, Set<String>> NAMES = new ConcurrentHashMap<>();

  private ReadinessChecks() {}

  /** A registered check; {@link #unregister()} takes it out of readiness. */
  @FunctionalInterface
  public interface Registration {
    void unregister();
  }

  /** Makes {@code readiness} the checks that parts of this Vert.x instance register with. */
  public static void bind(Vertx vertx, HealthChecks readiness) {
    CHECKS.put(vertx, readiness);
    NAMES.put(vertx, ConcurrentHashMap.newKeySet());
  }

  /** Forgets a closed Vert.x instance. */
  public static void unbind(Vertx vertx) {
    CHECKS.remove(vertx);
    NAMES.remove(vertx);
  }

  /**
   * Adds a readiness check named {@code name}, or {@code name#2}, {@code name#3}, ... when a part
   * of the process already uses that name.
   */
  public static Registration register(
      Vertx vertx, String name, Handler<Promise<Status>> procedure) {
    HealthChecks checks = CHECKS.get(vertx);
    Set<String> names = NAMES.get(vertx);
    if (checks == null || names == null) {
      return () -> {};
    }
    String unique = name;
    for (int n = 2; !names.add(unique); n++) {
      unique = name + "#" + n;
    }
    String registered = unique;
    checks.register(registered, TIMEOUT_MS, procedure);
    return () -> {
      checks.unregister(registered);
      names.remove(registered);
    };
  }
}
