package io.courier.service;

import io.courier.discovery.Discovery;
import io.courier.discovery.ServiceInstance;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpServer;
import io.vertx.core.http.HttpServerOptions;
import io.vertx.grpc.server.GrpcServer;
import io.vertx.grpc.server.GrpcServerOptions;
import io.vertx.grpc.server.Service;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/** Starting a service's gRPC server and publishing it in discovery. */
public final class Endpoints {

  private Endpoints() {}

  /**
   * A gRPC server (HTTP/2 cleartext) serving {@code services}. Incoming {@code grpc-timeout}
   * deadlines are enforced and propagated to the calls the handler makes.
   */
  public static Future<HttpServer> grpcServer(
      Vertx vertx, String host, int port, List<Service> services) {
    GrpcServer grpc =
        GrpcServer.server(
            vertx,
            new GrpcServerOptions()
                .setScheduleDeadlineAutomatically(true)
                .setDeadlinePropagation(true));
    services.forEach(grpc::addService);
    return vertx
        .createHttpServer(new HttpServerOptions().setHost(host).setPort(port))
        .requestHandler(grpc)
        .listen();
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
