package io.courier.runtime.config;

/**
 * The management server every process runs, whatever its roles: {@code /health/live}, {@code
 * /health/ready} and {@code /health/started}, for Kubernetes probes and load balancers.
 *
 * @param enabled false runs no management server (the gateway still serves health)
 * @param host address it binds to
 * @param port its port; 0 picks a free one
 */
public record ManagementConfig(boolean enabled, String host, int port) {

  public static final ManagementConfig DEFAULTS = new ManagementConfig(true, "127.0.0.1", 0);

  public ManagementConfig {
    new ConfigChecks().text("host", host).port("port", port).orThrow();
  }
}
