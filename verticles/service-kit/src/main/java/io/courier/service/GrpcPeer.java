package io.courier.service;

import io.courier.discovery.ServiceInstance;
import io.courier.resilience.Deadline;
import io.courier.resilience.ResilientGrpcCalls;
import io.courier.resilience.TargetPolicy;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import io.vertx.circuitbreaker.CircuitBreakerState;
import io.vertx.core.Future;
import io.vertx.core.MultiMap;
import io.vertx.core.net.SocketAddress;
import io.vertx.grpc.client.GrpcClient;
import io.vertx.grpc.client.InvalidStatusException;
import io.vertx.grpc.common.GrpcStatus;
import io.vertx.grpc.common.ServiceMethod;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * A service reached over gRPC by name: each attempt goes to an instance {@link PeerInstances} picks
 * (discovery watch, load balancing with outlier ejection, per-instance breakers), and the whole
 * call runs under the target's resilience policy with its deadline sent as {@code grpc-timeout}.
 */
public final class GrpcPeer {

  private final String service;
  private final TargetPolicy policy;
  private final GrpcClient client;
  private final PeerInstances peers;
  private final MeterRegistry registry;

  /** Timers by method and status (bounded: the service's methods times the gRPC codes). */
  private final Map<String, Timer> timers = new ConcurrentHashMap<>();

  /** Made by {@link Policies#grpcPeer}. */
  GrpcPeer(PeerInstances peers, TargetPolicy policy, GrpcClient client, MeterRegistry registry) {
    this.service = peers.service();
    this.policy = policy;
    this.client = client;
    this.registry = registry;
    this.peers = peers;
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
   * (may be null) in the call's metadata, and the version the request being served asked for, if
   * any ({@link RequestedVersion#current()}).
   */
  public <Req, Resp> Future<Resp> call(
      Deadline deadline, ServiceMethod<Resp, Req> method, Req request, CallerIdentity identity) {
    return call(deadline, method, request, identity, RequestedVersion.current().orElse(null));
  }

  /**
   * Calls {@code method} with {@code request} within the caller's deadline, with {@code identity}
   * and {@code version} (either may be null) in the call's metadata. Under a target policy with
   * {@code routing}, the call goes only to instances of the version chosen for it (the requested
   * one, or by the weights, sticky by the identity's subject); when that version has no instance it
   * fails at once, before any attempt, with a 503 {@code version-unavailable} {@link ServiceError}
   * naming the target and the version.
   */
  public <Req, Resp> Future<Resp> call(
      Deadline deadline,
      ServiceMethod<Resp, Req> method,
      Req request,
      CallerIdentity identity,
      RequestedVersion version) {
    MultiMap metadata = null;
    if (identity != null || version != null) {
      metadata = MultiMap.caseInsensitiveMultiMap();
      if (identity != null) {
        identity.writeTo(metadata);
      }
      if (version != null) {
        version.writeTo(metadata);
      }
    }
    MultiMap headers = metadata;
    PeerInstances.Call call =
        new PeerInstances.Call(version, identity == null ? null : identity.subject());
    return peers.route(call).compose(routed -> guarded(deadline, method, request, headers, call));
  }

  private <Req, Resp> Future<Resp> guarded(
      Deadline deadline,
      ServiceMethod<Resp, Req> method,
      Req request,
      MultiMap metadata,
      PeerInstances.Call call) {
    return policy.call(
        deadline,
        attempt ->
            peers.attempt(
                instance -> {
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
                  return answer;
                },
                GrpcPeer::transportFailure,
                call));
  }

  /** {@code courier_grpc_client_seconds{service, method, status}}, per attempt. */
  private void measure(ServiceMethod<?, ?> method, long start, Throwable failure) {
    String status =
        failure == null
            ? "OK"
            : failure instanceof InvalidStatusException invalid
                ? invalid.actualStatus().name()
                : failure instanceof TimeoutException ? "DEADLINE_EXCEEDED" : "UNAVAILABLE";
    timers
        .computeIfAbsent(
            method.methodName() + ' ' + status,
            key ->
                Timer.builder("courier.grpc.client")
                    .description("gRPC call attempts, by service, method and grpc-status")
                    .tags("service", service, "method", method.methodName(), "status", status)
                    .register(registry))
        .record(System.nanoTime() - start, TimeUnit.NANOSECONDS);
  }

  /** Whether the instance itself failed (as opposed to answering with a status). */
  private static boolean transportFailure(Throwable error) {
    return !(error instanceof InvalidStatusException status)
        || status.actualStatus() == GrpcStatus.UNAVAILABLE;
  }

  /** The instances calls go to now. */
  List<ServiceInstance> known() {
    return peers.known();
  }

  /** Per-instance breaker states by address (empty when they are off). */
  Map<String, CircuitBreakerState> breakerStates() {
    return peers.breakerStates();
  }
}
