package io.courier.service;

import io.courier.discovery.Discovery;
import io.courier.discovery.ServiceInstance;
import io.courier.resilience.CallRejectedException;
import io.courier.resilience.InboundPolicy;
import io.courier.runtime.metrics.CourierMetrics;
import io.courier.runtime.security.MutualTls;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpClientOptions;
import io.vertx.core.http.HttpServer;
import io.vertx.core.http.HttpServerOptions;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.grpc.client.GrpcClient;
import io.vertx.grpc.common.GrpcStatus;
import io.vertx.grpc.server.GrpcServer;
import io.vertx.grpc.server.GrpcServerOptions;
import io.vertx.grpc.server.Service;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Starting a service's gRPC server (over mutual TLS when {@code security.mtls} is on) and
 * publishing it in discovery, and the gRPC clients that call such servers.
 */
public final class Endpoints {

  private static final Logger LOG = LoggerFactory.getLogger(Endpoints.class);

  private Endpoints() {}

  /**
   * A gRPC server (HTTP/2 cleartext) serving {@code services}. Incoming {@code grpc-timeout}
   * deadlines are enforced and propagated to the calls the handler makes.
   */
  public static Future<HttpServer> grpcServer(
      Vertx vertx, String host, int port, List<Service> services) {
    return grpcServer(vertx, MutualTls.disabled(), "", host, port, services, null, null);
  }

  /**
   * Decides whether a call arriving from outside the platform is let in: the caller's identity
   * (null for an anonymous caller), or a failure whose message the caller sees with {@code
   * UNAUTHENTICATED}.
   */
  @FunctionalInterface
  public interface EntryGuard {
    Future<CallerIdentity> admit(HttpServerRequest request);
  }

  /**
   * A gRPC server at the edge of the platform: every call is admitted by {@code guard}, and
   * identity headers the caller sent are ignored (only a server inside the platform, reached over
   * mutual TLS, takes the {@link CallerIdentity} headers as the caller's). Besides gRPC over HTTP/2
   * it takes gRPC-Web ({@code application/grpc-web+proto}, also over HTTP/1.1), which Vert.x's
   * server accepts by default: browsers and HTTP load tools call it that way.
   */
  public static Future<HttpServer> grpcServer(
      Vertx vertx, String host, int port, List<Service> services, EntryGuard guard) {
    return grpcServer(vertx, MutualTls.disabled(), "", host, port, services, guard, null);
  }

  /**
   * A gRPC server of {@code role} serving {@code services}, over mutual TLS when {@code tls} is
   * enabled: callers must present a certificate of the CA, and a caller whose identity {@code
   * security.mtls.allowedPeers} does not allow for {@code role} gets PERMISSION_DENIED. Incoming
   * {@code grpc-timeout} deadlines are enforced and propagated to the calls the handler makes.
   */
  public static Future<HttpServer> grpcServer(
      Vertx vertx, MutualTls tls, String role, String host, int port, List<Service> services) {
    return grpcServer(vertx, tls, role, host, port, services, null, null);
  }

  /**
   * A gRPC server of {@code role} as above, whose calls are held to {@code inbound}: a call past
   * its bulkhead and queue is answered {@code RESOURCE_EXHAUSTED} at once (trailers only), and its
   * {@code timeoutMs} caps the caller's {@code grpc-timeout} (or sets one when the caller sent
   * none), time spent waiting for the bulkhead included; the server answers {@code
   * DEADLINE_EXCEEDED} when it passes and the handler's own calls get only what remains.
   */
  public static Future<HttpServer> grpcServer(
      Vertx vertx,
      MutualTls tls,
      String role,
      String host,
      int port,
      List<Service> services,
      InboundPolicy inbound) {
    return grpcServer(vertx, tls, role, host, port, services, null, inbound);
  }

  private static Future<HttpServer> grpcServer(
      Vertx vertx,
      MutualTls tls,
      String role,
      String host,
      int port,
      List<Service> services,
      EntryGuard guard,
      InboundPolicy inbound) {
    GrpcServer grpc =
        GrpcServer.server(
            vertx,
            new GrpcServerOptions()
                .setScheduleDeadlineAutomatically(true)
                .setDeadlinePropagation(true));
    services.forEach(grpc::addService);
    java.util.Set<String> methods = new java.util.HashSet<>();
    for (Service service : services) {
      service.methodDescriptors().forEach(m -> methods.add(service.pathOfMethod(m.getName())));
    }
    MeterRegistry registry = CourierMetrics.registry(vertx);
    // One timer per method and status of this server, looked up once rather than per call.
    java.util.Map<String, Timer> timers = new java.util.concurrent.ConcurrentHashMap<>();
    return vertx
        .createHttpServer(tls.server(new HttpServerOptions().setHost(host).setPort(port)))
        .requestHandler(
            request -> {
              Optional<String> refusal = tls.refusal(role, request.connection());
              measured(
                  registry,
                  timers,
                  methods,
                  request,
                  refusal.isEmpty() ? grpc : null,
                  guard,
                  inbound);
              refusal.ifPresent(reason -> deny(request, reason));
            })
        .listen();
  }

  /**
   * A gRPC client for calls to {@code peerRole}'s servers; over mutual TLS when {@code tls} is
   * enabled, presenting this process's certificate and accepting only a server whose certificate
   * the CA issued for {@code peerRole}.
   */
  public static GrpcClient grpcClient(Vertx vertx, MutualTls tls, String peerRole) {
    if (!tls.enabled()) {
      return GrpcClient.client(vertx);
    }
    return GrpcClient.client(
        vertx, tls.client(new HttpClientOptions().setHttp2ClearTextUpgrade(false), peerRole));
  }

  /** Answers a call with PERMISSION_DENIED before any service sees it (a trailers-only reply). */
  private static void deny(HttpServerRequest request, String reason) {
    LOG.debug("gRPC call {} refused: {}", request.path(), reason);
    answer(request, GrpcStatus.PERMISSION_DENIED, "caller not allowed");
  }

  /**
   * The content type of an answer the edge writes itself: the caller's own gRPC type (so a gRPC-Web
   * client, {@code application/grpc-web+proto}, reads the trailers-only answer as gRPC-Web), plain
   * {@code application/grpc} otherwise.
   */
  private static String answerContentType(HttpServerRequest request) {
    String contentType = request.getHeader("content-type");
    return contentType != null && contentType.startsWith("application/grpc")
        ? contentType
        : "application/grpc";
  }

  /**
   * {@code courier_grpc_server_seconds{method, status}}: latency and gRPC status per method. Paths
   * that are no method of these services count as {@code method="unknown"}, so a client cannot grow
   * the label set. A refused call ({@code grpc} null) is only measured; with {@code inbound}, a
   * call is served once its bulkhead admits it.
   */
  private static void measured(
      MeterRegistry registry,
      java.util.Map<String, Timer> timers,
      java.util.Set<String> methods,
      HttpServerRequest request,
      GrpcServer grpc,
      EntryGuard guard,
      InboundPolicy inbound) {
    long start = System.nanoTime();
    String method = methods.contains(request.path()) ? request.path().substring(1) : "unknown";
    String contentType = request.getHeader("content-type");
    boolean grpcWeb = contentType != null && contentType.startsWith("application/grpc-web");
    io.vertx.core.http.HttpServerResponse response = request.response();
    // Completes once the call has ended: answered, reset, or its connection closed.
    io.vertx.core.Promise<Void> ended = io.vertx.core.Promise.promise();
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
          String name = grpcStatusName(status);
          timers
              .computeIfAbsent(
                  method + ' ' + name,
                  key ->
                      Timer.builder("courier.grpc.server")
                          .description("gRPC calls served, by method and grpc-status")
                          .tags("method", method, "status", name)
                          .register(registry))
              .record(System.nanoTime() - start, java.util.concurrent.TimeUnit.NANOSECONDS);
          if (GrpcStatus.DEADLINE_EXCEEDED.name().equals(name)) {
            // a dropped call, for an adaptive inbound limit
            ended.tryFail(new java.util.concurrent.TimeoutException("deadline exceeded"));
          } else {
            ended.tryComplete();
          }
        });
    if (grpc == null) {
      return;
    }
    // The call's own (duplicated) context carries the caller's identity to the service method.
    io.vertx.core.Context call = Vertx.currentContext();
    if (inbound == null) {
      serve(request, grpc, guard, call);
      return;
    }
    response.closeHandler(v -> ended.tryComplete());
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
                admitted(request, grpc, guard, call, ended.future(), deadline);
              } else {
                // a place freed by a call on another context: serve on this call's own
                call.runOnContext(
                    v -> {
                      served[0] = true;
                      admitted(request, grpc, guard, call, ended.future(), deadline);
                    });
              }
              return ended.future();
            });
    if (admitted.failed() && admitted.cause() instanceof CallRejectedException) {
      LOG.debug("gRPC call {} refused: {}", request.path(), admitted.cause().getMessage());
      answer(request, GrpcStatus.RESOURCE_EXHAUSTED, "server overloaded, retry later");
      request.resume();
    } else if (!served[0] && deadline != Long.MAX_VALUE) {
      // queued: answer when its time runs out before a place frees
      long timer =
          call.owner()
              .setTimer(
                  Math.max(1, TimeUnit.NANOSECONDS.toMillis(deadline - System.nanoTime())),
                  id -> {
                    if (!served[0] && !ended.future().isComplete()) {
                      answer(request, GrpcStatus.DEADLINE_EXCEEDED, "deadline exceeded in queue");
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
  private static long deadlineNanos(
      HttpServerRequest request, java.time.Duration timeout, long arrived) {
    long callers = grpcTimeoutNanos(request.getHeader("grpc-timeout"));
    long allowed = timeout == null ? Long.MAX_VALUE : timeout.toNanos();
    long budget = Math.min(callers, allowed);
    return budget == Long.MAX_VALUE ? Long.MAX_VALUE : arrived + budget;
  }

  /**
   * Serves an admitted call with what remains of its deadline as its {@code grpc-timeout}, which
   * the gRPC server enforces and propagates; a call whose caller went away while it waited, or
   * whose time ran out, is not handed to the service.
   */
  private static void admitted(
      HttpServerRequest request,
      GrpcServer grpc,
      EntryGuard guard,
      io.vertx.core.Context call,
      Future<Void> ended,
      long deadline) {
    if (ended.isComplete() || request.response().closed()) {
      return;
    }
    if (deadline != Long.MAX_VALUE) {
      long remaining = deadline - System.nanoTime();
      if (remaining <= 0) {
        answer(request, GrpcStatus.DEADLINE_EXCEEDED, "deadline exceeded in queue");
        request.resume();
        return;
      }
      request.headers().set("grpc-timeout", grpcTimeout(remaining));
    }
    serve(request, grpc, guard, call);
    request.resume();
  }

  /** Hands the call to the gRPC server, after the guard admits it when there is one. */
  private static void serve(
      HttpServerRequest request, GrpcServer grpc, EntryGuard guard, io.vertx.core.Context call) {
    if (guard == null) {
      CallerIdentity.from(request.headers())
          .ifPresent(identity -> CallerIdentity.attach(call, identity));
      grpc.handle(request);
      return;
    }
    request.pause();
    guard
        .admit(request)
        .onComplete(
            admitted -> {
              if (admitted.failed()) {
                answer(
                    request,
                    GrpcStatus.UNAUTHENTICATED,
                    String.valueOf(admitted.cause().getMessage()));
                request.resume();
                return;
              }
              if (admitted.result() != null) {
                CallerIdentity.attach(call, admitted.result());
              }
              grpc.handle(request);
              request.resume();
            });
  }

  /** A trailers-only answer: HTTP 200 with grpc-status in the headers. */
  private static void answer(HttpServerRequest request, GrpcStatus status, String message) {
    request
        .response()
        .putHeader("content-type", answerContentType(request))
        .putHeader("grpc-status", Integer.toString(status.code))
        .putHeader("grpc-message", percentEncoded(message))
        .end();
  }

  /**
   * A {@code grpc-message} value as the gRPC protocol encodes it: printable ASCII but {@code %} as
   * is, every other UTF-8 byte as {@code %XX}.
   */
  static String percentEncoded(String message) {
    StringBuilder encoded = new StringBuilder(message.length());
    for (byte b : message.getBytes(java.nio.charset.StandardCharsets.UTF_8)) {
      if (b >= 0x20 && b <= 0x7e && b != '%') {
        encoded.append((char) b);
      } else {
        encoded.append('%').append(String.format("%02X", b & 0xff));
      }
    }
    return encoded.toString();
  }

  /** A {@code grpc-timeout} value in nanoseconds; {@link Long#MAX_VALUE} when absent or invalid. */
  static long grpcTimeoutNanos(String header) {
    if (header == null || header.length() < 2 || header.length() > 9) {
      return Long.MAX_VALUE;
    }
    long amount;
    try {
      amount = Long.parseLong(header.substring(0, header.length() - 1));
    } catch (NumberFormatException e) {
      return Long.MAX_VALUE;
    }
    if (amount < 0) {
      return Long.MAX_VALUE;
    }
    java.util.concurrent.TimeUnit unit =
        switch (header.charAt(header.length() - 1)) {
          case 'H' -> java.util.concurrent.TimeUnit.HOURS;
          case 'M' -> java.util.concurrent.TimeUnit.MINUTES;
          case 'S' -> java.util.concurrent.TimeUnit.SECONDS;
          case 'm' -> java.util.concurrent.TimeUnit.MILLISECONDS;
          case 'u' -> java.util.concurrent.TimeUnit.MICROSECONDS;
          case 'n' -> java.util.concurrent.TimeUnit.NANOSECONDS;
          default -> null;
        };
    return unit == null ? Long.MAX_VALUE : unit.toNanos(amount);
  }

  /**
   * A {@code grpc-timeout} value (at most eight digits) for {@code nanos}, rounded up to the
   * millisecond, which is what the server's deadline timer counts in.
   */
  static String grpcTimeout(long nanos) {
    long millis = Math.max(1, (nanos + 999_999) / 1_000_000);
    if (millis < 100_000_000L) {
      return millis + "m";
    }
    return Math.min(99_999_999L, (millis + 999) / 1000) + "S";
  }

  private static String grpcStatusName(String code) {
    if (code == null) {
      return "none";
    }
    try {
      return io.vertx.grpc.common.GrpcStatus.valueOf(Integer.parseInt(code)).name();
    } catch (RuntimeException e) {
      return "invalid";
    }
  }

  /**
   * Registers {@code name} at {@code host:port}, tagged with the role and the Courier version.
   *
   * @return the registration id, for {@link Discovery#deregister(String)} on stop
   */
  public static Future<String> register(
      Discovery discovery, String name, String host, int port, String role) {
    return register(discovery, name, host, port, role, "grpc", Map.of());
  }

  /**
   * Registers {@code name} at {@code host:port}, tagged with the role, the protocol ({@code grpc},
   * {@code http}, {@code eventbus}), the Courier version and {@code extra} tags.
   *
   * @return the registration id, for {@link Discovery#deregister(String)} on stop
   */
  public static Future<String> register(
      Discovery discovery,
      String name,
      String host,
      int port,
      String role,
      String protocol,
      Map<String, String> extra) {
    Map<String, String> tags = new HashMap<>(extra);
    tags.put("role", role);
    tags.put("protocol", protocol);
    tags.put(
        "version",
        Endpoints.class.getPackage().getImplementationVersion() == null
            ? "dev"
            : Endpoints.class.getPackage().getImplementationVersion());
    return discovery
        .register(new ServiceInstance(null, name, host, port, tags))
        .map(ServiceInstance::id);
  }
}
