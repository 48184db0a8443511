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
import java.util.Set;
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
   * (may be null) in the call's metadata.
   */
  public <Req, Resp> Future<Resp> call(
      Deadline deadline, ServiceMethod<Resp, Req> method, Req request, CallerIdentity identity) {
    MultiMap metadata =
        identity == null ? null : identity.writeTo(MultiMap.caseInsensitiveMultiMap());
    Set<String> failedBefore = PeerInstances.newCall();
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
                failedBefore));
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
