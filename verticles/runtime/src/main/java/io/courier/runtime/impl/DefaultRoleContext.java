package io.courier.runtime.impl;

import io.courier.discovery.Discovery;
import io.courier.discovery.ServiceInstance;
import io.courier.runtime.RoleContext;
import io.courier.runtime.ServiceRegistration;
import io.courier.runtime.admin.AdminSections;
import io.courier.runtime.chaos.Faults;
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
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The context of one role in a running process. Registrations made through it are remembered, so
 * what the role's verticles did not deregister is taken out when the role stops.
 */
public final class DefaultRoleContext implements RoleContext {

  private static final Logger LOG = LoggerFactory.getLogger(DefaultRoleContext.class);

  /** Tag value of endpoints of a build without a version (run from the IDE or target/classes). */
  private static final String DEV_VERSION = "dev";

  private final String role;
  private final CourierConfig config;
  private final ProcessServices services;
  private final KafkaStages kafka;
  private final Discovery registry;
  private final Set<Registered> registered = ConcurrentHashMap.newKeySet();

  /**
   * @param registry the process's own discovery client, which holds its registrations
   */
  public DefaultRoleContext(
      String role,
      CourierConfig config,
      ProcessServices services,
      KafkaStages kafka,
      Discovery registry) {
    this.role = role;
    this.config = config;
    this.services = services;
    this.kafka = kafka;
    this.registry = registry;
  }

  @Override
  public String role() {
    return role;
  }

  @Override
  public CourierConfig config() {
    return config;
  }

  @Override
  public KafkaConnection kafkaConnection() {
    return kafka.connection();
  }

  @Override
  public EventPublisher publisher() {
    return kafka.current();
  }

  @Override
  public EventConsumer consumer(
      ConsumerConfig settings, List<String> topics, EventHandler handler) {
    return EventConsumer.create(
        services.vertx(),
        kafka.connection(),
        settings,
        config.kafka().topics(),
        topics,
        handler,
        services.kafka());
  }

  @Override
  public <S> OwnedPartitions ownership(String topic, String groupId, PartitionHandler<S> handler) {
    return OwnedPartitions.create(
        services.vertx(),
        kafka.connection(),
        topic,
        groupId,
        config.kafka().ownership(),
        handler,
        services.kafka());
  }

  @Override
  public String kafkaBootstrapServers() {
    return kafka.bootstrapServers();
  }

  @Override
  public Meters meters() {
    return services.meters();
  }

  @Override
  public OpenTelemetry tracing() {
    return services.tracing();
  }

  @Override
  public Readiness readiness() {
    return services.readiness();
  }

  @Override
  public HealthChecks liveness() {
    return services.liveness();
  }

  @Override
  public Faults faults() {
    return services.faults();
  }

  @Override
  public IdentitySeal identity() {
    return services.identity();
  }

  @Override
  public AdminSections admin() {
    return services.admin();
  }

  @Override
  public Discovery createDiscovery() {
    return Discoveries.create(services.vertx(), config.discovery(), services.meters());
  }

  @Override
  public Future<ServiceRegistration> register(
      String service, int port, String protocol, Map<String, String> tags) {
    Map<String, String> all = new HashMap<>(tags);
    all.put("role", role);
    all.put("protocol", protocol);
    all.put("version", version());
    ServiceInstance instance =
        new ServiceInstance(null, service, config.services().reachableHost(), port, all);
    return registry
        .register(instance)
        .map(
            done -> {
              Registered registration = new Registered(done);
              registered.add(registration);
              return registration;
            });
  }

  @Override
  public void announce(String what, String where) {
    services.announce(what, where);
  }

  @Override
  public Map<String, String> endpoints() {
    return services.endpoints();
  }

  /** Whether the role has registrations in discovery now. */
  public boolean hasRegistrations() {
    return !registered.isEmpty();
  }

  /**
   * Deregisters what the role has registered: when the process starts draining, and again once the
   * role has stopped (for what its verticles registered meanwhile).
   */
  public Future<Void> deregisterAll() {
    List<Future<Void>> pending = new ArrayList<>();
    for (Registered registration : List.copyOf(registered)) {
      pending.add(
          registration
              .deregister()
              .recover(
                  e -> {
                    LOG.warn(
                        "{} could not be deregistered: {}",
                        registration.instance().id(),
                        e.getMessage());
                    return Future.succeededFuture();
                  }));
    }
    return Future.all(pending).mapEmpty();
  }

  /** The Courier version in the JAR's manifest, {@code dev} outside a built JAR. */
  static String version() {
    String version = DefaultRoleContext.class.getPackage().getImplementationVersion();
    return version == null ? DEV_VERSION : version;
  }

  private final class Registered implements ServiceRegistration {
    private final ServiceInstance instance;

    Registered(ServiceInstance instance) {
      this.instance = instance;
    }

    @Override
    public ServiceInstance instance() {
      return instance;
    }

    @Override
    public Future<Void> deregister() {
      if (!registered.remove(this)) {
        return Future.succeededFuture();
      }
      return registry.deregister(instance.id());
    }
  }
}
