package io.courier.service;

import io.courier.discovery.ConsulDiscovery;
import io.courier.discovery.Discovery;
import io.courier.discovery.EmbeddedDiscovery;
import io.courier.runtime.config.CourierConfig.DiscoveryConfig;
import io.courier.runtime.metrics.CourierMetrics;
import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.vertx.core.Vertx;
import java.time.Duration;
import java.util.Collections;
import java.util.Map;
import java.util.Set;
import java.util.WeakHashMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.ToDoubleFunction;

/** The discovery backend the configuration names. */
public final class Discoveries {

  private Discoveries() {}

  /** Consul clients of each registry, summed by its meters; weak, so closed ones go. */
  private static final Map<MeterRegistry, Set<ConsulDiscovery>> CONSUL = new ConcurrentHashMap<>();

  /**
   * The configured backend; when {@code discovery.zone} is set, every registration made through it
   * carries a {@code zone} tag.
   */
  public static Discovery create(Vertx vertx, DiscoveryConfig config) {
    Discovery backend = backend(vertx, config);
    return config.zone() == null || config.zone().isBlank()
        ? backend
        : new Zoned(backend, config.zone());
  }

  /** Adds the {@code zone} tag to registrations; everything else goes to the backend as is. */
  private record Zoned(Discovery backend, String zone) implements Discovery {
    @Override
    public io.vertx.core.Future<io.courier.discovery.ServiceInstance> register(
        io.courier.discovery.ServiceInstance instance) {
      Map<String, String> tags = new java.util.HashMap<>(instance.tags());
      tags.putIfAbsent("zone", zone);
      return backend.register(
          new io.courier.discovery.ServiceInstance(
              instance.id(), instance.name(), instance.host(), instance.port(), tags));
    }

    @Override
    public io.vertx.core.Future<Void> deregister(String registrationId) {
      return backend.deregister(registrationId);
    }

    @Override
    public io.vertx.core.Future<java.util.List<io.courier.discovery.ServiceInstance>> resolve(
        String name) {
      return backend.resolve(name);
    }

    @Override
    public Watch watch(
        String name,
        java.util.function.Consumer<java.util.List<io.courier.discovery.ServiceInstance>> handler) {
      return backend.watch(name, handler);
    }

    @Override
    public void close() {
      backend.close();
    }
  }

  private static Discovery backend(Vertx vertx, DiscoveryConfig config) {
    return switch (config.backend()) {
      case "consul" -> {
        ConsulDiscovery consul =
            new ConsulDiscovery(
                vertx, consulOptions(config), Duration.ofSeconds(10), Duration.ofMinutes(1));
        meters(CourierMetrics.registry(vertx), "consul").add(consul);
        yield consul;
      }
      default -> {
        // The cluster's own registry is never stale: the series exist, and stay 0.
        meters(CourierMetrics.registry(vertx), "embedded");
        yield new EmbeddedDiscovery(vertx);
      }
    };
  }

  /** How to reach the Consul agent: host, port, ACL token, TLS and its CA. */
  static io.vertx.ext.consul.ConsulClientOptions consulOptions(DiscoveryConfig config) {
    io.vertx.ext.consul.ConsulClientOptions options =
        new io.vertx.ext.consul.ConsulClientOptions()
            .setHost(config.consulHost())
            .setPort(config.consulPort());
    if (!config.consulAclToken().isBlank()) {
      options.setAclToken(config.consulAclToken());
    }
    if (config.consulTls()) {
      options.setSsl(true).setVerifyHost(true);
      if (!config.consulCaFile().isBlank()) {
        options.setTrustOptions(
            new io.vertx.core.net.PemTrustOptions().addCertPath(config.consulCaFile()));
      }
    }
    return options;
  }

  /**
   * {@code courier_discovery_stale_answers_total} (resolutions served from the last good answer
   * while Consul failed) and {@code courier_discovery_degraded} (1 while that is happening).
   */
  private static Set<ConsulDiscovery> meters(MeterRegistry registry, String backend) {
    return CONSUL.computeIfAbsent(
        registry,
        r -> {
          Set<ConsulDiscovery> set =
              Collections.synchronizedSet(Collections.newSetFromMap(new WeakHashMap<>()));
          FunctionCounter.builder(
                  "courier.discovery.stale.answers",
                  set,
                  s -> sum(s, c -> (double) c.staleAnswers()))
              .description("Resolutions answered from cache because Consul failed")
              .tag("backend", backend)
              .register(r);
          Gauge.builder(
                  "courier.discovery.degraded",
                  set,
                  s -> sum(s, c -> c.degraded() ? 1 : 0) > 0 ? 1 : 0)
              .description("1 while Consul fails and cached instances are served")
              .tag("backend", backend)
              .register(r);
          return set;
        });
  }

  private static double sum(Set<ConsulDiscovery> set, ToDoubleFunction<ConsulDiscovery> value) {
    synchronized (set) {
      return set.stream().mapToDouble(value).sum();
    }
  }
}
