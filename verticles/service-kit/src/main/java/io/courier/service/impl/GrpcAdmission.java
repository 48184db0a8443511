package io.courier.service.impl;

import io.courier.resilience.CallRejectedException;
import io.courier.resilience.InboundPolicy;
import io.courier.runtime.security.IdentitySeal;
import io.courier.runtime.security.MutualTls;
import io.courier.runtime.tracing.SpanDeadline;
import io.courier.service.CallerIdentity;
import io.courier.service.GrpcServers.EntryGuard;
import io.courier.service.RequestedVersion;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Handler;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.http.HttpServerResponse;
import io.vertx.grpc.common.GrpcStatus;
import io.vertx.grpc.server.GrpcServer;
import io.vertx.grpc.server.Service;
import io.vertx.grpc.server.StatusException;
import java.time.Duration;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * What happens to a call before the gRPC server's service sees it: the caller's certificate is
 * checked ({@code allowedPeers}), an edge guard admits it and names its identity (or identity
 * headers are taken from a peer inside the platform), the inbound bulkhead admits it or refuses it
 * at once, its deadline is capped by the inbound timeout; and every call is measured as {@code
 * courier_grpc_server_seconds{method, status}}. Health ({@link GrpcHealth#UNADMITTED_PATHS}) is
 * only measured: a probe carries no token or identity.
 */
public final class GrpcAdmission implements Handler<HttpServerRequest> {

  private static final Logger LOG = LoggerFactory.getLogger(GrpcAdmission.class);

  private final GrpcServer grpc;
  private final MutualTls tls;
  private final String role;
  private final EntryGuard guard;
  private final InboundPolicy inbound;
  private final MeterRegistry registry;
  private final Set<String> methods = new HashSet<>();
  private final IdentitySeal identity;
  private final Set<String> userFacing;

  /** One timer per method and status of this server, looked up once rather than per call. */
  private final Map<String, Timer> timers = new ConcurrentHashMap<>();

  /**
   * @param role the role whose server this is, for {@code allowedPeers}
   * @param guard admits calls from outside the platform, or null for a server inside it
   * @param inbound the service's inbound limits, or null for none
   * @param identity opens the sealed identities callers assert
   * @param userFacing methods ({@code package.Service/Method}) that need an identity when {@code
   *     identity} requires one
   */
  public GrpcAdmission(
      GrpcServer grpc,
      List<Service> services,
      MutualTls tls,
      String role,
      EntryGuard guard,
      InboundPolicy inbound,
      MeterRegistry registry,
      IdentitySeal identity,
      Set<String> userFacing) {
    this.grpc = grpc;
    this.tls = tls;
    this.role = role;
    this.guard = guard;
    this.inbound = inbound;
    this.registry = registry;
    this.identity = identity;
    this.userFacing = Set.copyOf(userFacing);
    for (Service service : services) {
      service.methodDescriptors().forEach(m -> methods.add(service.pathOfMethod(m.getName())));
    }
  }

  @Override
  public void handle(HttpServerRequest request) {
    String path = request.path();
    if (GrpcHealth.UNADMITTED_PATHS.contains(path)) {
      // Health is for probes and load balancers: no token, identity, allow-list or bulkhead (a
      // Watch stream would hold a place for as long as it is open); the transport's TLS applies.
      measured(request, false);
      grpc.handle(request);
      return;
    }
    Optional<String> refusal =
        tls.refusal(role, path.substring(path.lastIndexOf('/') + 1), request.connection());
    measured(request, refusal.isEmpty());
    refusal.ifPresent(reason -> deny(request, reason));
  }

  /** Answers a call with PERMISSION_DENIED before any service sees it (a trailers-only reply). */
  private static void deny(HttpServerRequest request, String reason) {
    LOG.debug("gRPC call {} refused: {}", request.path(), reason);
    GrpcWire.answer(request, GrpcStatus.PERMISSION_DENIED, "caller not allowed");
  }

  /**
   * Measures the call by method and status. Paths that are no method of these services count as
   * {@code method="unknown"}, so a client cannot grow the label set. A refused call ({@code serve}
   * false) is only measured; with {@code inbound}, a call is served once its bulkhead admits it.
   */
  private void measured(HttpServerRequest request, boolean serve) {
    long start = System.nanoTime();
    String method = methods.contains(request.path()) ? request.path().substring(1) : "unknown";
    String contentType = request.getHeader("content-type");
    boolean grpcWeb = contentType != null && contentType.startsWith("application/grpc-web");
    HttpServerResponse response = request.response();
    // Completes once the call has ended: answered, reset, or its connection closed.
    Promise<Void> ended = Promise.promise();
    response.endHandler(
        v -> {
          String status = response.trailers().get("grpc-status");
          if (status == null) {
            status = response.headers().get("grpc-status");
          }
          if (status == null && grpcWeb) {
            // gRPC-Web carries the status in a trailers frame of the body, which is not visible
            // here; Vert.x answers a failed unary call trailers-only (status in the headers), so
            // a gRPC-Web answer without one sent its message and ended with OK.
            status = Integer.toString(GrpcStatus.OK.code);
          }
          String name = GrpcWire.grpcStatusName(status);
          timers
              .computeIfAbsent(
                  method + ' ' + name,
                  key ->
                      Timer.builder("courier.grpc.server")
                          .description("gRPC calls served, by method and grpc-status")
                          .tags("method", method, "status", name)
                          .register(registry))
              .record(System.nanoTime() - start, TimeUnit.NANOSECONDS);
          if (GrpcStatus.DEADLINE_EXCEEDED.name().equals(name)) {
            // a dropped call, for an adaptive inbound limit
            ended.tryFail(new TimeoutException("deadline exceeded"));
          } else {
            ended.tryComplete();
          }
        });
    if (!serve) {
      return;
    }
    response.closeHandler(v -> ended.tryComplete());
    // The call's own (duplicated) context carries the caller's identity to the service method,
    // and its end, which a streaming method waits on to release what the stream holds.
    Context call = Vertx.currentContext();
    call.putLocal(IdentityLocal.CALL_ENDED, ended.future());
    if (inbound == null) {
      serve(request, call);
      return;
    }
    long deadline = deadlineNanos(request, inbound.timeout(), start);
    // Touched on the call's context only: whether the call was handed to the service.
    boolean[] served = new boolean[1];
    request.pause();
    Future<Void> admitted =
        inbound.admit(
            () -> {
              if (ended.future().isComplete()) {
                // gone while it waited (reset, closed, or answered DEADLINE_EXCEEDED): its place
                // is freed at once, and a call that never ran is no latency sample
                return Future.failedFuture(
                    new CallRejectedException("call ended before it was served"));
              }
              if (Vertx.currentContext() == call) {
                served[0] = true;
                admitted(request, call, ended.future(), deadline);
              } else {
                // a place freed by a call on another context: serve on this call's own
                call.runOnContext(
                    v -> {
                      served[0] = true;
                      admitted(request, call, ended.future(), deadline);
                    });
              }
              return ended.future();
            });
    if (admitted.failed() && admitted.cause() instanceof CallRejectedException) {
      LOG.debug("gRPC call {} refused: {}", request.path(), admitted.cause().getMessage());
      GrpcWire.answer(request, GrpcStatus.RESOURCE_EXHAUSTED, "server overloaded, retry later");
      request.resume();
    } else if (!served[0] && deadline != Long.MAX_VALUE) {
      // queued: answer when its time runs out before a place frees
      long timer =
          call.owner()
              .setTimer(
                  Math.max(1, TimeUnit.NANOSECONDS.toMillis(deadline - System.nanoTime())),
                  id -> {
                    if (!served[0] && !ended.future().isComplete()) {
                      GrpcWire.answer(
                          request, GrpcStatus.DEADLINE_EXCEEDED, "deadline exceeded in queue");
                      request.resume();
                    }
                  });
      ended.future().onComplete(done -> call.owner().cancelTimer(timer));
    }
  }

  /**
   * When a call must be answered, in {@link System#nanoTime()}: the earlier of the caller's {@code
   * grpc-timeout} and the inbound {@code timeout} from {@code arrived}; {@link Long#MAX_VALUE} when
   * neither is set.
   */
  private static long deadlineNanos(HttpServerRequest request, Duration timeout, long arrived) {
    long callers = GrpcWire.grpcTimeoutNanos(request.getHeader("grpc-timeout"));
    long allowed = timeout == null ? Long.MAX_VALUE : timeout.toNanos();
    long budget = Math.min(callers, allowed);
    return budget == Long.MAX_VALUE ? Long.MAX_VALUE : arrived + budget;
  }

  /**
   * Serves an admitted call with what remains of its deadline as its {@code grpc-timeout}, which
   * the gRPC server enforces and propagates; a call whose caller went away while it waited, or
   * whose time ran out, is not handed to the service.
   */
  private void admitted(
      HttpServerRequest request, Context call, Future<Void> ended, long deadline) {
    if (ended.isComplete() || request.response().closed()) {
      return;
    }
    if (deadline != Long.MAX_VALUE) {
      long remaining = deadline - System.nanoTime();
      if (remaining <= 0) {
        GrpcWire.answer(request, GrpcStatus.DEADLINE_EXCEEDED, "deadline exceeded in queue");
        request.resume();
        return;
      }
      request.headers().set("grpc-timeout", GrpcWire.grpcTimeout(remaining));
    }
    serve(request, call);
    request.resume();
  }

  /** Hands the call to the gRPC server, after the guard admits it when there is one. */
  private void serve(HttpServerRequest request, Context call) {
    long timeout = GrpcWire.grpcTimeoutNanos(request.getHeader("grpc-timeout"));
    if (timeout != Long.MAX_VALUE) {
      SpanDeadline.record(Duration.ofNanos(timeout));
    }
    try {
      RequestedVersion.from(request.headers())
          .ifPresent(version -> RequestedVersion.attach(call, version));
    } catch (IllegalArgumentException malformed) {
      GrpcWire.answer(request, GrpcStatus.INVALID_ARGUMENT, malformed.getMessage());
      return;
    }
    if (guard == null) {
      Optional<CallerIdentity> caller;
      try {
        String method = request.path().isEmpty() ? "" : request.path().substring(1);
        caller =
            userFacing.contains(method)
                ? CallerIdentity.forUserFacing(request.headers(), identity)
                : CallerIdentity.from(request.headers(), identity);
      } catch (IdentitySeal.Refused refused) {
        LOG.debug("gRPC call {} refused: {}", request.path(), refused.getMessage());
        GrpcWire.answer(request, GrpcStatus.UNAUTHENTICATED, refused.getMessage());
        return;
      }
      caller.ifPresent(known -> CallerIdentity.attach(call, known));
      grpc.handle(ReadToEndRequest.of(request));
      return;
    }
    request.pause();
    guard
        .admit(request)
        .onComplete(
            admitted -> {
              if (admitted.failed()) {
                // A guard's own status (RESOURCE_EXHAUSTED from a rate limit) is kept; any other
                // refusal means the caller is not authenticated.
                if (admitted.cause() instanceof StatusException status) {
                  GrpcWire.answer(request, status.status(), String.valueOf(status.message()));
                } else {
                  GrpcWire.answer(
                      request,
                      GrpcStatus.UNAUTHENTICATED,
                      String.valueOf(admitted.cause().getMessage()));
                }
                request.resume();
                return;
              }
              if (admitted.result() != null) {
                CallerIdentity.attach(call, admitted.result());
              }
              grpc.handle(ReadToEndRequest.of(request));
              request.resume();
            });
  }
}
