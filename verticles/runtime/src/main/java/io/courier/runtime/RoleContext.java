package io.courier.runtime;

import io.courier.discovery.Discovery;
import io.courier.runtime.admin.AdminSections;
import io.courier.runtime.chaos.Faults;
import io.courier.runtime.config.ConfigSection;
import io.courier.runtime.config.CourierConfig;
import io.courier.runtime.config.KafkaConfig.ConsumerConfig;
import io.courier.runtime.health.Readiness;
import io.courier.runtime.kafka.EventConsumer;
import io.courier.runtime.kafka.EventHandler;
import io.courier.runtime.kafka.EventPublisher;
import io.courier.runtime.kafka.KafkaConnection;
import io.courier.runtime.kafka.OwnedPartitions;
import io.courier.runtime.kafka.PartitionHandler;
import io.courier.runtime.metrics.Meters;
import io.courier.runtime.security.IdentitySeal;
import io.opentelemetry.api.OpenTelemetry;
import io.vertx.core.Future;
import io.vertx.ext.healthchecks.HealthChecks;
import java.util.List;
import java.util.Map;

/**
 * The one way a role reaches the services of the process it runs in: configuration, Kafka publisher
 * and consumers, metrics, tracing, readiness, fault points, the admin view and discovery. Each role
 * gets its own context (which knows the role's name); the objects behind it belong to the process
 * and live as long as it does.
 */
public interface RoleContext {

  /** The role this context was made for, e.g. {@code order-service}. */
  String role();

  /** The runtime's settings: cluster, Kafka, discovery, security and the rest. */
  CourierConfig config();

  /** A role's own section, as loaded and validated. */
  default <T> T config(ConfigSection<T> section) {
    return config().section(section);
  }

  /** The process's shared Kafka publisher. */
  EventPublisher publisher();

  /**
   * A consumer of {@code topics} reporting to this process's meters, tracing and readiness; start
   * it from the verticle whose context should run the handler, stop it when the verticle stops.
   *
   * @param settings the group and its delivery settings, e.g. {@code
   *     config().kafka().consumer().withGroupId("payment-service")}
   */
  EventConsumer consumer(ConsumerConfig settings, List<String> topics, EventHandler handler);

  /**
   * This instance's share of the state topic {@code topic} among the instances in {@code groupId}
   * (the {@code kafka.ownership} settings); start it from the verticle whose context should serve
   * the partitions, stop it when the verticle stops.
   */
  <S> OwnedPartitions ownership(String topic, String groupId, PartitionHandler<S> handler);

  /**
   * How this process's Kafka clients connect: the bootstrap servers in use and {@code
   * kafka.security} (TLS, SASL). A client a role makes itself starts from its {@link
   * KafkaConnection#properties()}.
   */
  KafkaConnection kafkaConnection();

  /** Kafka bootstrap servers in use: the embedded broker's when it runs, else the configured. */
  String kafkaBootstrapServers();

  /** Where the process's meters go (records nothing when metrics are off). */
  Meters meters();

  /** The process's tracing ({@link OpenTelemetry#noop()} when off). */
  OpenTelemetry tracing();

  /** Checks that must all pass before the process takes traffic ({@code /health/ready}). */
  Readiness readiness();

  /** Checks that fail only when the process should be restarted ({@code /health/live}). */
  HealthChecks liveness();

  /**
   * How the process seals the identity of a caller it passes on, and opens one it receives ({@code
   * security.identity}).
   */
  IdentitySeal identity();

  /** The fault points of the process's roles; injection is off unless configured. */
  Faults faults();

  /** Sections the process's parts add to its admin view. */
  AdminSections admin();

  /**
   * A new client of the configured discovery backend, for resolving and watching services; the
   * caller closes it when it stops. Registrations go through {@link #register}.
   */
  Discovery createDiscovery();

  /**
   * Registers an endpoint of this role in discovery, at the process's advertised host ({@code
   * services.advertisedHost}, else {@code services.host}), tagged with the role, {@code protocol}
   * ({@code grpc}, {@code http}, {@code eventbus}), the Courier version, the zone when one is
   * configured, and {@code tags}. Deregister it when the endpoint stops; the runtime deregisters
   * what is left when the role stops.
   */
  Future<ServiceRegistration> register(
      String service, int port, String protocol, Map<String, String> tags);

  /** Tells the operator where something listens; printed once the process is ready. */
  void announce(String what, String where);

  /** What has been announced so far, e.g. {@code gateway -> http://127.0.0.1:8080}. */
  Map<String, String> endpoints();
}
