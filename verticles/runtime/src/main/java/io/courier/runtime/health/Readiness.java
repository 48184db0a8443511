package io.courier.runtime.health;

import io.courier.runtime.health.impl.NamedChecks;
import io.vertx.core.Handler;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.ext.healthchecks.HealthChecks;
import io.vertx.ext.healthchecks.Status;

/**
 * The checks that must all pass before a process takes traffic ({@code /health/ready}). Parts that
 * start and stop inside a process, such as a Kafka consumer, add a check of their own and take it
 * away when they stop.
 */
public interface Readiness {

  /** How long one check may take before it counts as failed. */
  long CHECK_TIMEOUT_MS = 3_000;

  /**
   * Adds a check named {@code name}, or {@code name#2}, {@code name#3}, ... when a part of the
   * process already uses that name.
   */
  Registration register(String name, Handler<Promise<Status>> procedure);

  /** The checks, for a health endpoint ({@code HealthCheckHandler}) or a direct call. */
  HealthChecks checks();

  /** Readiness backed by {@code checks}. */
  static Readiness of(HealthChecks checks) {
    return new NamedChecks(checks);
  }

  /** Readiness of a Vert.x that runs no Courier runtime (a test's): every check still counts. */
  static Readiness create(Vertx vertx) {
    return of(HealthChecks.create(vertx));
  }

  /** A registered check; {@link #unregister()} takes it out. */
  @FunctionalInterface
  interface Registration {
    void unregister();
  }
}
