package io.courier.runtime.config;

/**
 * Where the service endpoints of a process (gRPC servers, HTTP servers of its roles) bind, and the
 * address discovery publishes for them.
 *
 * @param host address the services' servers bind to
 * @param advertisedHost address registered in discovery for peers; empty means {@code host}
 */
public record ServicesConfig(String host, String advertisedHost) {

  public static final ServicesConfig DEFAULTS = new ServicesConfig("127.0.0.1", "");

  public ServicesConfig {
    new ConfigChecks().text("host", host).orThrow();
  }

  /** The address peers should use. */
  public String reachableHost() {
    return advertisedHost.isBlank() ? host : advertisedHost;
  }
}
