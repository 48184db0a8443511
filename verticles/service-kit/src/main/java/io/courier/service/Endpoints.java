package io.courier.service;

import io.courier.discovery.Discovery;
import io.courier.discovery.ServiceInstance;
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
    return grpcServer(vertx, MutualTls.disabled(), "", host, port, services, null);
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
    return grpcServer(vertx, MutualTls.disabled(), "", host, port, services, guard);
  }

  /**
   * A gRPC server of {@code role} serving {@code services}, over mutual TLS when {@code tls} is
   * enabled: callers must present a certificate of the CA, and a caller whose identity {@code
   * security.mtls.allowedPeers} does not allow for {@code role} gets PERMISSION_DENIED. Incoming
   * {@code grpc-timeout} deadlines are enforced and propagated to the calls the handler makes.
   */
  public static Future<HttpServer> grpcServer(
      Vertx vertx, MutualTls tls, String role, String host, int port, List<Service> services) {
    return grpcServer(vertx, tls, role, host, port, services, null);
  }

  private static Future<HttpServer> grpcServer(
      Vertx vertx,
      MutualTls tls,
      String role,
      String host,
      int port,
      List<Service> services,
      EntryGuard guard) {
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
              measured(registry, timers, methods, request, refusal.isEmpty() ? grpc : null, guard);
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
    request
        .response()
        .putHeader("content-type", answerContentType(request))
        .putHeader("grpc-status", Integer.toString(GrpcStatus.PERMISSION_DENIED.code))
        .putHeader("grpc-message", "caller not allowed")
        .end();
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
   * the label set. A refused call ({@code grpc} null) is only measured.
   */
  private static void measured(
      MeterRegistry registry,
      java.util.Map<String, Timer> timers,
      java.util.Set<String> methods,
      HttpServerRequest request,
      GrpcServer grpc,
      EntryGuard guard) {
    long start = System.nanoTime();
    String method = methods.contains(request.path()) ? request.path().substring(1) : "unknown";
    String contentType = request.getHeader("content-type");
    boolean grpcWeb = contentType != null && contentType.startsWith("application/grpc-web");
    io.vertx.core.http.HttpServerResponse response = request.response();
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
        });
    if (grpc == null) {
      return;
    }
    // The call's own (duplicated) context carries the caller's identity to the service method.
    io.vertx.core.Context call = Vertx.currentContext();
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
                // A trailers-only answer: HTTP 200 with grpc-status in the headers.
                response
                    .putHeader("content-type", answerContentType(request))
                    .putHeader(
                        "grpc-status",
                        Integer.toString(io.vertx.grpc.common.GrpcStatus.UNAUTHENTICATED.code))
                    .putHeader(
                        "grpc-message",
                        java.net.URLEncoder.encode(
                                String.valueOf(admitted.cause().getMessage()),
                                java.nio.charset.StandardCharsets.UTF_8)
                            .replace("+", "%20"))
                    .end();
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
    Map<String, String> tags = new HashMap<>();
    tags.put("role", role);
    tags.put("protocol", "grpc");
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
