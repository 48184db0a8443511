package io.courier.runtime;

import io.courier.runtime.config.CourierConfig;
import io.courier.runtime.kafka.EventPublisher;
import io.vertx.ext.healthchecks.HealthChecks;

/** What the runtime hands every role: configuration, the shared publisher and health checks. */
public interface RoleContext {

  CourierConfig config();

  /** The process's shared Kafka publisher. */
  EventPublisher publisher();

  /** Kafka bootstrap servers in use: the embedded broker's when it runs, else the configured. */
  String kafkaBootstrapServers();

  /** Checks that must all pass before the process takes traffic ({@code /health/ready}). */
  HealthChecks readiness();

  /** Checks that fail only when the process should be restarted ({@code /health/live}). */
  HealthChecks liveness();

  /** Tells the operator where something listens; printed once the process is ready. */
  void announce(String what, String where);

  /** What has been announced so far, e.g. {@code gateway -> http://127.0.0.1:8080}. */
  java.util.Map<String, String> endpoints();
}
