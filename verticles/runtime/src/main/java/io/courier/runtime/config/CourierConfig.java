package io.courier.runtime.config;

import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * The configuration of one Courier process: what every process has (the cluster, Kafka, discovery,
 * where its endpoints bind, shutdown, management, metrics, admin, tracing, security), and each
 * role's own section ({@link #section}). Built by {@link ConfigLoader}; every value is present and
 * valid. Each record here validates its values in its constructor and keeps its defaults in {@code
 * DEFAULTS}.
 *
 * @param profile a label for logs: dev, cluster, prod
 * @param roles the roles this process runs, in start order
 * @param cluster the clustered event bus
 * @param kafka the Kafka connection, the embedded broker and the producer
 * @param discovery where services find each other
 * @param services where this process's service endpoints bind and how peers reach them
 * @param grpc the standard services (health, reflection) on every gRPC server of the process
 * @param shutdown how long a graceful stop may take
 * @param management the per-process health endpoints for orchestrators
 * @param metrics Prometheus metrics on the management server
 * @param admin the operator's view of the process and the cluster, on a port of its own
 * @param tracing OpenTelemetry tracing across HTTP, the event bus, gRPC and Kafka
 * @param security how Courier processes authenticate each other
 * @param sections each role's section, by path (see {@link #section})
 */
public record CourierConfig(
    String profile,
    List<String> roles,
    ClusterConfig cluster,
    KafkaConfig kafka,
    DiscoveryConfig discovery,
    ServicesConfig services,
    GrpcConfig grpc,
    ShutdownConfig shutdown,
    ManagementConfig management,
    MetricsConfig metrics,
    AdminConfig admin,
    TracingConfig tracing,
    SecurityConfig security,
    Map<String, Object> sections) {

  /** The profile when no layer sets one. */
  public static final String DEFAULT_PROFILE = "dev";

  public CourierConfig {
    Objects.requireNonNull(profile, "profile");
    roles = List.copyOf(roles);
    sections = Map.copyOf(sections);
  }

  /** The runtime's defaults with the given roles and role sections (for tests and tools). */
  public static CourierConfig defaults(List<String> roles, Map<String, Object> sections) {
    return new CourierConfig(
        DEFAULT_PROFILE,
        roles,
        ClusterConfig.DEFAULTS,
        KafkaConfig.DEFAULTS,
        DiscoveryConfig.DEFAULTS,
        ServicesConfig.DEFAULTS,
        GrpcConfig.DEFAULTS,
        ShutdownConfig.DEFAULTS,
        ManagementConfig.DEFAULTS,
        MetricsConfig.DEFAULTS,
        AdminConfig.DEFAULTS,
        TracingConfig.DEFAULTS,
        SecurityConfig.DEFAULTS,
        sections);
  }

  /**
   * The value of a role's section, as loaded (its defaults when the loader did not know the
   * section).
   */
  public <T> T section(ConfigSection<T> section) {
    Object value = sections.get(section.path());
    return value == null ? section.defaults() : section.type().cast(value);
  }

  /** Whether this is a production deployment ({@code security.production}). */
  public boolean prod() {
    return security.production();
  }
}
