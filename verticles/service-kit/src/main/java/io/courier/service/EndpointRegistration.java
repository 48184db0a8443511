package io.courier.service;

import io.courier.discovery.Discovery;
import io.courier.runtime.RoleContext;
import io.courier.runtime.RoleDeployment;
import io.vertx.core.Future;
import io.vertx.core.VerticleBase;
import java.net.URI;
import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Registers an endpoint this process announced (the gateway's REST port, a role's event-bus
 * service) in discovery, and deregisters it on stop. Deployed as a role's last deployment, it
 * registers once the endpoint listens and, since a role's deployments stop in reverse order,
 * deregisters before the endpoint stops accepting.
 */
public final class EndpointRegistration extends VerticleBase {

  private static final Logger LOG = LoggerFactory.getLogger(EndpointRegistration.class);

  private final RoleContext context;
  private final String service;
  private final String endpoint;
  private final String protocol;
  private final String role;
  private final Map<String, String> tags;
  private Discovery discovery;
  private String registration;

  private EndpointRegistration(
      RoleContext context,
      String service,
      String endpoint,
      String protocol,
      String role,
      Map<String, String> tags) {
    this.context = context;
    this.service = service;
    this.endpoint = endpoint;
    this.protocol = protocol;
    this.role = role;
    this.tags = Map.copyOf(tags);
  }

  /**
   * A deployment registering the endpoint announced as {@code endpoint} (e.g. {@code gateway}, or
   * {@code health} for a service reached over the event bus, whose readiness is its health) as
   * {@code service}.
   */
  public static RoleDeployment deployment(
      RoleContext context,
      String service,
      String endpoint,
      String protocol,
      String role,
      Map<String, String> tags) {
    return RoleDeployment.of(
        service + "-registration",
        () -> new EndpointRegistration(context, service, endpoint, protocol, role, tags),
        1);
  }

  @Override
  public Future<?> start() {
    String where = context.endpoints().get(endpoint);
    if (where == null) {
      LOG.info(
          "{} not registered in discovery: no '{}' endpoint in this process", service, endpoint);
      return Future.succeededFuture();
    }
    int port = where.contains("://") ? URI.create(where).getPort() : portAfterColon(where);
    discovery = Discoveries.create(vertx, context.config().discovery());
    return Endpoints.register(
            discovery,
            service,
            context.config().services().reachableHost(),
            port,
            role,
            protocol,
            tags)
        .onSuccess(id -> registration = id);
  }

  @Override
  public Future<?> stop() {
    if (discovery == null) {
      return Future.succeededFuture();
    }
    Future<Void> deregistered =
        registration == null ? Future.succeededFuture() : discovery.deregister(registration);
    return deregistered.eventually(
        () -> {
          discovery.close();
          return Future.succeededFuture();
        });
  }

  private static int portAfterColon(String hostPort) {
    return Integer.parseInt(hostPort.substring(hostPort.lastIndexOf(':') + 1));
  }
}
