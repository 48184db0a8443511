package io.courier.discovery;

import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.ext.consul.CheckOptions;
import io.vertx.ext.consul.ConsulClient;
import io.vertx.ext.consul.ConsulClientOptions;
import io.vertx.ext.consul.ServiceEntry;
import io.vertx.ext.consul.ServiceOptions;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.LongAdder;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The Consul backend, on Consul's HTTP API through vertx-consul-client. Each registration carries a
 * TTL check that this process passes every half TTL and that Consul removes the service after once
 * it stays critical ({@code DeregisterCriticalServiceAfter}), so a killed instance vanishes on its
 * own. Resolution asks for passing instances only and keeps the last good answer per service: when
 * Consul is down or answers nonsense, that answer is served (counted, logged once).
 */
public final class ConsulDiscovery implements Discovery {

  private static final Logger LOG = LoggerFactory.getLogger(ConsulDiscovery.class);

  private final Vertx vertx;
  private final ConsulClient consul;
  private final Duration ttl;
  private final Duration deregisterAfter;
  private final Map<String, Long> ttlTimers = new ConcurrentHashMap<>();
  private final Map<String, List<ServiceInstance>> lastGood = new ConcurrentHashMap<>();
  private final LongAdder staleAnswers = new LongAdder();
  private volatile boolean degraded;

  /**
   * @param host Consul agent host
   * @param port Consul agent HTTP port
   * @param ttl how long a registration stays passing without a refresh
   * @param deregisterAfter how long a critical registration stays before Consul removes it
   */
  public ConsulDiscovery(
      Vertx vertx, String host, int port, Duration ttl, Duration deregisterAfter) {
    this.vertx = vertx;
    this.consul = ConsulClient.create(vertx, new ConsulClientOptions().setHost(host).setPort(port));
    this.ttl = ttl;
    this.deregisterAfter = deregisterAfter;
  }

  @Override
  public Future<ServiceInstance> register(ServiceInstance instance) {
    String id = instance.id().isBlank() ? instance.name() + "-" + UUID.randomUUID() : instance.id();
    String checkId = "service:" + id;
    ServiceOptions options =
        new ServiceOptions()
            .setId(id)
            .setName(instance.name())
            .setAddress(instance.host())
            .setPort(instance.port())
            .setMeta(new HashMap<>(instance.tags()))
            .setTags(
                instance.tags().entrySet().stream()
                    .map(e -> e.getKey() + "=" + e.getValue())
                    .toList())
            .setCheckOptions(
                new CheckOptions()
                    .setId(checkId)
                    .setName(instance.name() + " TTL")
                    .setTtl(ttl.toMillis() + "ms")
                    .setDeregisterAfter(deregisterAfter.toMillis() + "ms"));
    return consul
        .registerService(options)
        .compose(v -> consul.passCheck(checkId))
        .map(
            v -> {
              java.util.concurrent.atomic.AtomicBoolean lost =
                  new java.util.concurrent.atomic.AtomicBoolean();
              long timer =
                  vertx.setPeriodic(
                      Math.max(1, ttl.toMillis() / 2), t -> refresh(id, options, lost));
              ttlTimers.put(id, timer);
              return new ServiceInstance(
                  id, instance.name(), instance.host(), instance.port(), instance.tags());
            });
  }

  /**
   * Passes the TTL check. After a failed refresh (Consul was down, or lost or removed the
   * registration while it was critical) the next refresh registers the service again first:
   * registering an existing id replaces it, so this is safe either way, and an instance that
   * outlived a Consul outage comes back without a restart.
   */
  private void refresh(
      String id, ServiceOptions options, java.util.concurrent.atomic.AtomicBoolean lost) {
    if (!ttlTimers.containsKey(id)) {
      return; // deregistered or closed meanwhile
    }
    String checkId = options.getCheckOptions().getId();
    Future<Void> pass =
        lost.get()
            ? consul.registerService(options).compose(v -> consul.passCheck(checkId))
            : consul.passCheck(checkId);
    pass.onSuccess(
            v -> {
              if (lost.compareAndSet(true, false)) {
                LOG.info("{} registered with Consul again", id);
              }
            })
        .onFailure(
            e -> {
              if (!lost.getAndSet(true)) {
                LOG.warn(
                    "TTL refresh of {} failed ({}); will register it again", id, e.getMessage());
              }
            });
  }

  @Override
  public Future<Void> deregister(String registrationId) {
    stopRefreshing(registrationId);
    return consul.deregisterService(registrationId);
  }

  /**
   * Stops refreshing a registration's TTL without deregistering it, as a killed process would.
   * Consul then turns its check critical after the TTL.
   */
  public void stopRefreshing(String registrationId) {
    Long timer = ttlTimers.remove(registrationId);
    if (timer != null) {
      vertx.cancelTimer(timer);
    }
  }

  @Override
  public Future<List<ServiceInstance>> resolve(String name) {
    return consul
        .healthServiceNodes(name, true)
        .map(
            entries -> {
              List<ServiceInstance> instances =
                  entries.getList().stream().map(ConsulDiscovery::toInstance).toList();
              List<ServiceInstance> previous = lastGood.get(name);
              if (instances.isEmpty() && previous != null && !previous.isEmpty()) {
                // Every instance gone at once is more often a Consul fault than reality: keep
                // calling the last known ones (their own failures eject them).
                throw new IllegalStateException("Consul lists no passing instance of " + name);
              }
              lastGood.put(name, instances);
              if (degraded) {
                degraded = false;
                LOG.info("Consul answers again");
              }
              return instances;
            })
        .recover(
            e -> {
              List<ServiceInstance> cached = lastGood.get(name);
              if (cached == null) {
                return Future.failedFuture(
                    new IllegalStateException(
                        "cannot resolve " + name + " from Consul: " + e.getMessage(), e));
              }
              staleAnswers.increment();
              if (!degraded) {
                degraded = true;
                LOG.warn(
                    "Consul unavailable ({}); serving the last known instances", e.getMessage());
              }
              return Future.succeededFuture(cached);
            });
  }

  /** Whether the last resolution had to fall back on cached instances. */
  public boolean degraded() {
    return degraded;
  }

  /** Resolutions answered from the last good result because Consul failed. */
  public long staleAnswers() {
    return staleAnswers.sum();
  }

  @Override
  public void close() {
    ttlTimers.values().forEach(vertx::cancelTimer);
    ttlTimers.clear();
    consul.close();
  }

  private static ServiceInstance toInstance(ServiceEntry entry) {
    var service = entry.getService();
    String host =
        service.getAddress() == null || service.getAddress().isBlank()
            ? entry.getNode().getAddress()
            : service.getAddress();
    Map<String, String> tags = service.getMeta() == null ? Map.of() : service.getMeta();
    return new ServiceInstance(service.getId(), service.getName(), host, service.getPort(), tags);
  }
}
