package io.courier.runtime.impl;

import io.courier.runtime.admin.AdminSections;
import io.courier.runtime.chaos.Faults;
import io.courier.runtime.health.Readiness;
import io.courier.runtime.kafka.KafkaObservability;
import io.courier.runtime.metrics.Meters;
import io.courier.runtime.security.IdentitySeal;
import io.courier.runtime.tracing.CourierTracing;
import io.courier.runtime.tracing.KafkaTracing;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.opentelemetry.api.OpenTelemetry;
import io.opentelemetry.sdk.OpenTelemetrySdk;
import io.vertx.core.Vertx;
import io.vertx.ext.healthchecks.HealthChecks;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * The objects one Courier process owns, each made once when it starts: meters, tracing, readiness
 * and liveness, fault points, the admin view's sections and the endpoints announced. Roles reach
 * them through their {@code RoleContext}; they go with the process.
 */
public final class ProcessServices {

  private final Vertx vertx;
  private final Optional<PrometheusMeterRegistry> prometheus;
  private final Optional<OpenTelemetrySdk> sdk;
  private final Meters meters;
  private final KafkaTracing kafkaTracing;
  private final Readiness readiness;
  private final HealthChecks liveness;
  private final Faults faults;
  private final AdminSections admin = new AdminSections();
  private final Map<String, String> endpoints = Collections.synchronizedMap(new LinkedHashMap<>());
  private volatile IdentitySeal identity = IdentitySeal.none();

  /**
   * @param built the process's Vert.x with its registry and tracing SDK
   * @param faultPoints the fault points of the roles the process runs
   */
  public ProcessServices(ClusterFactory.Built built, Set<String> faultPoints) {
    this.vertx = built.vertx();
    this.prometheus = built.registry();
    this.sdk = built.tracing();
    this.meters = prometheus.<Meters>map(Meters::of).orElseGet(Meters::none);
    this.kafkaTracing = sdk.map(KafkaTracing::of).orElseGet(KafkaTracing::none);
    this.readiness = Readiness.create(vertx);
    this.liveness = HealthChecks.create(vertx);
    this.faults = Faults.create(vertx, faultPoints);
  }

  public Vertx vertx() {
    return vertx;
  }

  public Meters meters() {
    return meters;
  }

  /** The Prometheus registry behind {@link #meters()}, when metrics are on. */
  public Optional<PrometheusMeterRegistry> prometheus() {
    return prometheus;
  }

  /** The tracing roles use ({@link OpenTelemetry#noop()} when off). */
  public OpenTelemetry tracing() {
    return sdk.<OpenTelemetry>map(otel -> otel).orElse(OpenTelemetry.noop());
  }

  /** What the process's Kafka clients report to. */
  public KafkaObservability kafka() {
    return new KafkaObservability(meters, kafkaTracing, readiness);
  }

  public Readiness readiness() {
    return readiness;
  }

  public HealthChecks liveness() {
    return liveness;
  }

  public Faults faults() {
    return faults;
  }

  public AdminSections admin() {
    return admin;
  }

  /** How the process seals and opens caller identities; set once at start, before any role. */
  public IdentitySeal identity() {
    return identity;
  }

  /** Sets the process's identity seal (read at start, off the event loop). */
  public void identity(IdentitySeal seal) {
    this.identity = seal;
  }

  /** Adds where something listens, e.g. {@code gateway -> http://127.0.0.1:8080}. */
  public void announce(String what, String where) {
    endpoints.put(what, where);
  }

  /** The endpoints announced so far, in order. */
  public Map<String, String> endpoints() {
    synchronized (endpoints) {
      return new LinkedHashMap<>(endpoints);
    }
  }

  /**
   * Releases what outlives Vert.x: flushes the tracing SDK and closes the registry. Called once
   * Vert.x is closed.
   */
  public void close() {
    sdk.ifPresent(CourierTracing::shutdown);
    prometheus.ifPresent(PrometheusMeterRegistry::close);
  }
}
