package io.courier.service;

import io.courier.discovery.Discovery;
import io.courier.discovery.LoadBalancer;
import io.courier.discovery.OutlierPolicy;
import io.courier.discovery.ServiceInstance;
import io.courier.resilience.Deadline;
import io.courier.resilience.ResilientGrpcCalls;
import io.courier.resilience.TargetPolicy;
import io.micrometer.core.instrument.Timer;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.net.SocketAddress;
import io.vertx.grpc.client.GrpcClient;
import io.vertx.grpc.common.ServiceMethod;
import java.net.ConnectException;
import java.time.Duration;
import java.util.List;
import java.util.Random;
import java.util.concurrent.TimeUnit;

/**
 * A service reached over gRPC by name: instances come from a discovery watch (Consul blocking
 * queries, so a deregistered or lapsed instance leaves within one watch cycle), and until the watch
 * has answered from a resolution cached for a second (the last good answer is kept when discovery
 * fails), each attempt goes to the instance the load balancer picks (power of two choices, ejecting
 * instances that fail repeatedly), and the whole call runs under the target's resilience policy
 * with its deadline sent as {@code grpc-timeout}.
 */
public final class GrpcPeer {

  private static final long CACHE_NANOS = TimeUnit.SECONDS.toNanos(1);

  private final Discovery discovery;
  private final String service;
  private final TargetPolicy policy;
  private final GrpcClient client;
  private final LoadBalancer balancer =
      new LoadBalancer(
          LoadBalancer.Strategy.POWER_OF_TWO_CHOICES,
          new OutlierPolicy(5, Duration.ofSeconds(1), Duration.ofSeconds(30), 50),
          System::nanoTime,
          new Random());
  private final io.micrometer.core.instrument.MeterRegistry registry;

  /** Timers by method and status (bounded: the service's methods times the gRPC codes). */
  private final java.util.Map<String, Timer> timers =
      new java.util.concurrent.ConcurrentHashMap<>();

  private volatile List<ServiceInstance> instances = List.of();
  private volatile long resolvedAt = Long.MIN_VALUE;
  private volatile boolean watched;
  private final java.util.concurrent.atomic.AtomicBoolean watching =
      new java.util.concurrent.atomic.AtomicBoolean();

  public GrpcPeer(
      Vertx vertx, Discovery discovery, String service, TargetPolicy policy, GrpcClient client) {
    this.discovery = discovery;
    this.service = service;
    this.policy = policy;
    this.client = client;
    this.registry = io.courier.runtime.metrics.CourierMetrics.registry(vertx);
    PEERS
        .computeIfAbsent(
            vertx,
            v -> {
              java.util.Set<GrpcPeer> peers =
                  java.util.Collections.synchronizedSet(
                      java.util.Collections.newSetFromMap(new java.util.WeakHashMap<>()));
              io.courier.runtime.admin.AdminSections.put(v, "discovered", () -> describe(peers));
              return peers;
            })
        .add(this);
  }

  /** Every gRPC client of a Vert.x instance, for its admin view. */
  private static final java.util.Map<Vertx, java.util.Set<GrpcPeer>> PEERS =
      java.util.Collections.synchronizedMap(new java.util.WeakHashMap<>());

  /** Per service, the instances this process's clients know of (the admin view). */
  private static Object describe(java.util.Set<GrpcPeer> peers) {
    java.util.Map<String, java.util.Map<String, ServiceInstance>> known = new java.util.TreeMap<>();
    synchronized (peers) {
      for (GrpcPeer peer : peers) {
        java.util.Map<String, ServiceInstance> instances =
            known.computeIfAbsent(peer.service, k -> new java.util.TreeMap<>());
        peer.instances.forEach(instance -> instances.put(instance.id(), instance));
      }
    }
    io.vertx.core.json.JsonObject view = new io.vertx.core.json.JsonObject();
    known.forEach(
        (service, instances) -> {
          io.vertx.core.json.JsonArray list = new io.vertx.core.json.JsonArray();
          for (ServiceInstance instance : instances.values()) {
            list.add(
                new io.vertx.core.json.JsonObject()
                    .put("id", instance.id())
                    .put("address", instance.host() + ":" + instance.port())
                    .put(
                        "tags",
                        new io.vertx.core.json.JsonObject(
                            new java.util.TreeMap<String, Object>(instance.tags()))));
          }
          view.put(service, list);
        });
    return view;
  }

  public TargetPolicy policy() {
    return policy;
  }

  /**
   * Calls {@code method} with {@code request} within the caller's deadline, on behalf of the
   * identity of the request being served, if any ({@link CallerIdentity#current()}).
   */
  public <Req, Resp> Future<Resp> call(
      Deadline deadline, ServiceMethod<Resp, Req> method, Req request) {
    return call(deadline, method, request, CallerIdentity.current().orElse(null));
  }

  /**
   * Calls {@code method} with {@code request} within the caller's deadline, with {@code identity}
   * (may be null) in the call's metadata.
   */
  public <Req, Resp> Future<Resp> call(
      Deadline deadline, ServiceMethod<Resp, Req> method, Req request, CallerIdentity identity) {
    io.vertx.core.MultiMap metadata =
        identity == null
            ? null
            : identity.writeTo(io.vertx.core.MultiMap.caseInsensitiveMultiMap());
    return policy.call(
        deadline,
        attempt ->
            instances()
                .compose(
                    known -> {
                      var lease = balancer.pick(known);
                      if (lease.isEmpty()) {
                        return Future.failedFuture(
                            new ConnectException("no reachable instance of " + service));
                      }
                      ServiceInstance instance = lease.get().instance();
                      long start = System.nanoTime();
                      Future<Resp> answer =
                          ResilientGrpcCalls.attempt(
                              client,
                              SocketAddress.inetSocketAddress(instance.port(), instance.host()),
                              method,
                              request,
                              attempt.deadline(),
                              metadata);
                      answer.onComplete(done -> measure(method, start, done.cause()));
                      return answer.andThen(
                          done ->
                              lease
                                  .get()
                                  .release(done.succeeded() || !transportFailure(done.cause())));
                    }));
  }

  /** {@code courier_grpc_client_seconds{service, method, status}}, per attempt. */
  private void measure(ServiceMethod<?, ?> method, long start, Throwable failure) {
    String status =
        failure == null
            ? "OK"
            : failure instanceof io.vertx.grpc.client.InvalidStatusException invalid
                ? invalid.actualStatus().name()
                : failure instanceof java.util.concurrent.TimeoutException
                    ? "DEADLINE_EXCEEDED"
                    : "UNAVAILABLE";
    timers
        .computeIfAbsent(
            method.methodName() + ' ' + status,
            key ->
                Timer.builder("courier.grpc.client")
                    .description("gRPC call attempts, by service, method and grpc-status")
                    .tags("service", service, "method", method.methodName(), "status", status)
                    .register(registry))
        .record(System.nanoTime() - start, java.util.concurrent.TimeUnit.NANOSECONDS);
  }

  /** Whether the instance itself failed (as opposed to answering with a status). */
  private static boolean transportFailure(Throwable error) {
    return !(error instanceof io.vertx.grpc.client.InvalidStatusException status)
        || status.actualStatus() == io.vertx.grpc.common.GrpcStatus.UNAVAILABLE;
  }

  /** The instances calls go to now. */
  List<ServiceInstance> known() {
    return instances;
  }

  private Future<List<ServiceInstance>> instances() {
    if (watching.compareAndSet(false, true)) {
      discovery.watch(
          service,
          found -> {
            instances = found;
            watched = true;
          });
    }
    if (watched && !instances.isEmpty()) {
      return Future.succeededFuture(instances);
    }
    long now = System.nanoTime();
    if (!instances.isEmpty() && now - resolvedAt < CACHE_NANOS) {
      return Future.succeededFuture(instances);
    }
    return discovery
        .resolve(service)
        .map(
            found -> {
              instances = found;
              resolvedAt = now;
              return found;
            })
        .recover(
            error ->
                instances.isEmpty()
                    ? Future.failedFuture(error)
                    : Future.succeededFuture(instances));
  }
}
