package io.courier.runtime.impl;

import io.courier.discovery.ConsulDiscovery;
import io.courier.discovery.Discovery;
import io.courier.discovery.EmbeddedDiscovery;
import io.courier.discovery.ServiceInstance;
import io.courier.runtime.config.DiscoveryConfig;
import io.courier.runtime.metrics.Meters;
import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.consul.ConsulClientOptions;
import java.time.Duration;
import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.WeakHashMap;
import java.util.function.Consumer;
import java.util.function.ToDoubleFunction;

/** The discovery backend the configuration names, with its meters. */
public final class Discoveries {

  private Discoveries() {}

  /**
   * The configured backend; when {@code discovery.zone} is set, every registration made through it
   * carries a {@code zone} tag.
   */
  public static Discovery create(Vertx vertx, DiscoveryConfig config, Meters meters) {
    Discovery backend = backend(vertx, config, meters);
    return config.zone() == null || config.zone().isBlank()
        ? backend
        : new Zoned(backend, config.zone());
  }

  /** Adds the {@code zone} tag to registrations; everything else goes to the backend as is. */
  private record Zoned(Discovery backend, String zone) implements Discovery {
    @Override
    public Future<ServiceInstance> register(ServiceInstance instance) {
      Map<String, String> tags = new HashMap<>(instance.tags());
      tags.putIfAbsent("zone", zone);
      return backend.register(
          new ServiceInstance(
              instance.id(), instance.name(), instance.host(), instance.port(), tags));
    }

    @Override
    public Future<Void> deregister(String registrationId) {
      return backend.deregister(registrationId);
    }

    @Override
    public Future<List<ServiceInstance>> resolve(String name) {
      return backend.resolve(name);
    }

    @Override
    public Watch watch(String name, Consumer<List<ServiceInstance>> handler) {
      return backend.watch(name, handler);
    }

    @Override
    public Future<JsonObject> probe(long timeoutMs) {
      return backend.probe(timeoutMs);
    }

    @Override
    public JsonObject describe() {
      return backend.describe();
    }

    @Override
    public long propagationMs() {
      return backend.propagationMs();
    }

    @Override
    public void close() {
      backend.close();
    }
  }

  private static Discovery backend(Vertx vertx, DiscoveryConfig config, Meters meters) {
    if (config.consul()) {
      ConsulDiscovery consul =
          new ConsulDiscovery(
              vertx, consulOptions(config), Duration.ofSeconds(10), Duration.ofMinutes(1));
      meters
          .family(ConsulClients.class, registry -> new ConsulClients(registry, "consul"))
          .add(consul);
      return consul;
    }
    // The cluster's own registry is never stale: the series exist, and stay 0.
    meters.family(ConsulClients.class, registry -> new ConsulClients(registry, "embedded"));
    EmbeddedDiscovery embedded = new EmbeddedDiscovery(vertx);
    if (config.consulImport()) {
      // Not awaited: an agent that is down delays the import (logged, retried), not the start.
      embedded.importFromConsul(
          config.consulHost(),
          config.consulPort(),
          config.consulAclToken(),
          config.consulImportPeriodMs());
    }
    return embedded;
  }

  /** How to reach the Consul agent: host, port, ACL token, TLS and its CA. */
  static ConsulClientOptions consulOptions(DiscoveryConfig config) {
    return config.consulClientOptions();
  }

  /**
   * {@code courier_discovery_stale_answers_total} (resolutions served from the last good answer
   * while Consul failed) and {@code courier_discovery_degraded} (1 while that is happening), summed
   * over the process's Consul clients; weak, so closed ones go.
   */
  private static final class ConsulClients {
    private final Set<ConsulDiscovery> clients =
        Collections.synchronizedSet(Collections.newSetFromMap(new WeakHashMap<>()));

    ConsulClients(MeterRegistry registry, String backend) {
      FunctionCounter.builder(
              "courier.discovery.stale.answers", this, c -> c.sum(d -> (double) d.staleAnswers()))
          .description("Resolutions answered from cache because Consul failed")
          .tag("backend", backend)
          .register(registry);
      Gauge.builder(
              "courier.discovery.degraded", this, c -> c.sum(d -> d.degraded() ? 1 : 0) > 0 ? 1 : 0)
          .description("1 while Consul fails and cached instances are served")
          .tag("backend", backend)
          .register(registry);
    }

    void add(ConsulDiscovery consul) {
      clients.add(consul);
    }

    private double sum(ToDoubleFunction<ConsulDiscovery> value) {
      synchronized (clients) {
        return clients.stream().mapToDouble(value).sum();
      }
    }
  }
}
