package io.courier.service;

import io.courier.runtime.RoleContext;
import io.courier.runtime.ServiceRegistration;
import io.courier.runtime.config.ServicesConfig;
import io.courier.runtime.security.MutualTls;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpServer;
import io.vertx.grpc.server.Service;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * A role's gRPC service, started and registered in one step: the server on {@code services.host}
 * (over mutual TLS when {@code security.mtls} is on, under the service's inbound policy, measured,
 * with gRPC health following the process's readiness and reflection as {@code grpc} says), then its
 * registration in discovery as {@code service} and its announcement. {@link #stop()} undoes both in
 * reverse: peers stop seeing it before it stops accepting.
 */
public final class GrpcEndpoint {

  private final HttpServer server;
  private final ServiceRegistration registration;

  private GrpcEndpoint(HttpServer server, ServiceRegistration registration) {
    this.server = server;
    this.registration = registration;
  }

  /**
   * Starts {@code services} as the discovery name {@code service} on {@code port} (0 picks a free
   * one), held to {@code policies.inbound(service)}, opening callers' identities with the process's
   * seal.
   *
   * @param userFacing methods ({@code package.Service/Method}) that act for a user and so need the
   *     caller's identity when {@code security.identity.required}
   */
  public static Future<GrpcEndpoint> start(
      Vertx vertx,
      RoleContext context,
      Policies policies,
      String service,
      int port,
      List<Service> services,
      Set<String> userFacing) {
    ServicesConfig where = context.config().services();
    return MutualTls.load(vertx, context.config().security().mtls())
        .compose(
            tls ->
                GrpcServers.builder(vertx)
                    .host(where.host())
                    .port(port)
                    .services(services)
                    .mutualTls(tls, context.role())
                    .inbound(policies.inbound(service))
                    .identity(context.identity())
                    .userFacing(userFacing)
                    .readiness(context.readiness())
                    .grpc(context.config().grpc())
                    .meters(context.meters())
                    .listen())
        .compose(
            server ->
                context
                    .register(service, server.actualPort(), "grpc", Map.of())
                    .recover(error -> server.shutdown().transform(v -> Future.failedFuture(error)))
                    .map(
                        registration -> {
                          context.announce(
                              service + " (gRPC)",
                              where.reachableHost() + ":" + server.actualPort());
                          return new GrpcEndpoint(server, registration);
                        }));
  }

  /** The port it listens on. */
  public int port() {
    return server.actualPort();
  }

  /** Deregisters, then lets calls in flight finish and closes the server. */
  public Future<Void> stop() {
    return registration
        .deregister()
        .recover(error -> Future.succeededFuture())
        .compose(v -> server.shutdown());
  }
}
