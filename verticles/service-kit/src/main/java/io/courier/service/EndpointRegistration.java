package io.courier.service;

import io.courier.runtime.RoleContext;
import io.courier.runtime.RoleDeployment;
import io.courier.runtime.ServiceRegistration;
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
  private final Map<String, String> tags;
  private ServiceRegistration registration;

  private EndpointRegistration(
      RoleContext context,
      String service,
      String endpoint,
      String protocol,
      Map<String, String> tags) {
    this.context = context;
    this.service = service;
    this.endpoint = endpoint;
    this.protocol = protocol;
    this.tags = Map.copyOf(tags);
  }

  /**
   * A deployment registering the endpoint announced as {@code endpoint} (e.g. {@code gateway}, or
   * {@code health} for a service reached over the event bus, whose readiness is its health) as
   * {@code service}, tagged with the context's role, {@code protocol} and {@code tags}.
   */
  public static RoleDeployment deployment(
      RoleContext context,
      String service,
      String endpoint,
      String protocol,
      Map<String, String> tags) {
    return RoleDeployment.of(
        service + "-registration",
        () -> new EndpointRegistration(context, service, endpoint, protocol, tags),
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
    return context
        .register(service, port, protocol, tags)
        .onSuccess(registered -> registration = registered);
  }

  @Override
  public Future<?> stop() {
    return registration == null ? Future.succeededFuture() : registration.deregister();
  }

  private static int portAfterColon(String hostPort) {
    return Integer.parseInt(hostPort.substring(hostPort.lastIndexOf(':') + 1));
  }
}
