package io.courier.discovery;

import java.util.Map;
import java.util.Objects;

/**
 * One reachable instance of a service.
 *
 * @param id unique per instance (the registration id once registered)
 * @param name the service name peers resolve, e.g. {@code inventory-service}
 * @param host address to connect to
 * @param port port to connect to
 * @param tags version, zone, role and any other metadata
 */
public record ServiceInstance(
    String id, String name, String host, int port, Map<String, String> tags) {

  public ServiceInstance {
    Objects.requireNonNull(name, "name");
    Objects.requireNonNull(host, "host");
    if (port < 1 || port > 65_535) {
      throw new IllegalArgumentException("port must be 1..65535, was " + port);
    }
    tags = tags == null ? Map.of() : Map.copyOf(tags);
    id = id == null ? "" : id;
  }

  /** {@code host:port}. */
  public String address() {
    return host + ":" + port;
  }
}
