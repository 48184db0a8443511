package io.courier.discovery;

import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.consul.BlockingQueryOptions;
import io.vertx.ext.consul.CheckOptions;
import io.vertx.ext.consul.ConsulClient;
import io.vertx.ext.consul.ConsulClientOptions;
import io.vertx.ext.consul.ServiceEntry;
import io.vertx.ext.consul.ServiceEntryList;
import io.vertx.ext.consul.ServiceOptions;
import io.vertx.ext.consul.ServiceQueryOptions;
import io.vertx.ext.web.client.WebClient;
import io.vertx.ext.web.client.WebClientOptions;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.LongAdder;
import java.util.function.Consumer;
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
  private final ConsulClientOptions options;
  private final ConsulClient consul;
  private WebClient probes;
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
    this(vertx, new ConsulClientOptions().setHost(host).setPort(port), ttl, deregisterAfter);
  }

  /**
   * @param options how to reach the agent: host, port, ACL token ({@code X-Consul-Token}), TLS
   * @param ttl how long a registration stays passing without a refresh
   * @param deregisterAfter how long a critical registration stays before Consul removes it
   */
  public ConsulDiscovery(
      Vertx vertx, ConsulClientOptions options, Duration ttl, Duration deregisterAfter) {
    this.vertx = vertx;
    this.options = new ConsulClientOptions(options);
    this.consul = ConsulClient.create(vertx, options);
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
              AtomicBoolean lost = new AtomicBoolean();
              long timer =
                  vertx.setPeriodic(
                      Math.max(1, ttl.toMillis() / 2), t -> refresh(id, options, lost));
              ttlTimers.put(id, timer);
              LOG.info(
                  "registered {} at {}:{} with Consul ({})",
                  instance.name(),
                  instance.host(),
                  instance.port(),
                  id);
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
  private void refresh(String id, ServiceOptions options, AtomicBoolean lost) {
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
    return consul
        .deregisterService(registrationId)
        .onSuccess(v -> LOG.info("deregistered {} from Consul", registrationId));
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

  /**
   * A blocking query loop on {@code GET /v1/health/service/<name>?passing&index=..&wait=..}, as
   * Consul's documentation describes: each answer's {@code X-Consul-Index} is the next request's
   * {@code index}, so Consul answers as soon as the service changes or after {@code wait}. An index
   * that goes backwards starts again from 0; an answer that comes back at once with the same index
   * waits a second before the next query (rate limit). On failure the loop waits 0.5 s doubling to
   * 10 s, the handler keeps what it last got (each failed round counts as a stale answer, as a
   * resolution served from the cache does), and an empty list after a non-empty one is not passed
   * on (the same rule as {@link #resolve}).
   */
  @Override
  public Watch watch(String name, Consumer<List<ServiceInstance>> handler) {
    ConsulWatch watch = new ConsulWatch(name, handler);
    watches.add(watch);
    watch.next();
    return watch;
  }

  /**
   * A blocking query answers on the change itself; a watch may be in its one-second rate-limit
   * pause, and the answer needs a round trip.
   */
  @Override
  public long propagationMs() {
    return 1_500;
  }

  /** How long one blocking query may wait on Consul. */
  private static final String WATCH_WAIT = "30s";

  private final Set<ConsulWatch> watches = ConcurrentHashMap.newKeySet();

  private final class ConsulWatch implements Watch {
    private final String name;
    private final Consumer<List<ServiceInstance>> handler;
    private final Context context = vertx.getOrCreateContext();
    private volatile boolean closed;
    private long index;
    private int failures;
    private List<ServiceInstance> last;

    ConsulWatch(String name, Consumer<List<ServiceInstance>> handler) {
      this.name = name;
      this.handler = handler;
    }

    void next() {
      if (closed) {
        return;
      }
      long asked = System.nanoTime();
      long askedIndex = index;
      context.runOnContext(
          v ->
              consul
                  .healthServiceNodesWithOptions(
                      name,
                      true,
                      new ServiceQueryOptions()
                          .setBlockingOptions(
                              new BlockingQueryOptions().setIndex(askedIndex).setWait(WATCH_WAIT)))
                  .onSuccess(entries -> answered(entries, asked, askedIndex))
                  .onFailure(this::failed));
    }

    private void answered(ServiceEntryList entries, long asked, long askedIndex) {
      if (closed) {
        return;
      }
      List<ServiceInstance> instances;
      try {
        instances = entries.getList().stream().map(ConsulDiscovery::toInstance).toList();
      } catch (RuntimeException e) {
        failed(new IllegalStateException("Consul answered an unreadable entry for " + name, e));
        return;
      }
      failures = 0;
      if (degraded) {
        degraded = false;
        LOG.info("Consul answers again");
      }
      long answeredIndex = entries.getIndex();
      index = answeredIndex < askedIndex || answeredIndex <= 0 ? 0 : answeredIndex;
      if (instances.isEmpty() && last != null && !last.isEmpty()) {
        LOG.debug("Consul lists no passing instance of {}; keeping the last known", name);
      } else if (!instances.equals(last)) {
        last = instances;
        lastGood.put(name, instances);
        handler.accept(instances);
      }
      boolean immediateRepeat =
          answeredIndex == askedIndex
              && System.nanoTime() - asked < TimeUnit.MILLISECONDS.toNanos(100);
      if (immediateRepeat) {
        vertx.setTimer(1_000, t -> next());
      } else {
        next();
      }
    }

    private void failed(Throwable error) {
      if (closed) {
        return;
      }
      failures++;
      if (failures == 1) {
        LOG.warn("watch of {} on Consul failed ({}); trying again", name, error.getMessage());
      }
      if (last != null) {
        // The watch's callers go on with the list it last passed on: a stale answer, counted
        // like a resolution served from the cache.
        staleAnswers.increment();
        degraded = true;
      }
      long delay = Math.min(10_000, 500L << Math.min(5, failures - 1));
      vertx.setTimer(delay, t -> next());
    }

    @Override
    public void close() {
      closed = true;
      watches.remove(this);
    }
  }

  /**
   * {@code GET /v1/status/leader}, the one Consul endpoint that needs no ACL token and tells
   * whether registrations and lookups can work: up with a leader, down with none or no answer.
   * Asked over the same connection settings (TLS, CA) as every other call.
   */
  @Override
  public synchronized Future<JsonObject> probe(long timeoutMs) {
    if (probes == null) {
      probes =
          WebClient.create(vertx, new WebClientOptions(options).setConnectTimeout((int) timeoutMs));
    }
    String where = where();
    return probes
        .get(options.getPort(), options.getHost(), "/v1/status/leader")
        .timeout(timeoutMs)
        .send()
        .map(
            response -> {
              String leader = response.bodyAsString("UTF-8");
              leader = leader == null ? "" : leader.replace("\"", "").trim();
              if (response.statusCode() != 200 || leader.isEmpty()) {
                throw new IllegalStateException(
                    "Consul at "
                        + where
                        + " answered "
                        + response.statusCode()
                        + " without a leader");
              }
              return describe().put("leader", leader);
            });
  }

  @Override
  public JsonObject describe() {
    return new JsonObject().put("consul", where());
  }

  private String where() {
    return options.getHost() + ":" + options.getPort();
  }

  @Override
  public synchronized void close() {
    watches.forEach(ConsulWatch::close);
    ttlTimers.values().forEach(vertx::cancelTimer);
    ttlTimers.clear();
    consul.close();
    if (probes != null) {
      probes.close();
    }
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
