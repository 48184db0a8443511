package io.courier.runtime.config;

/**
 * The admin server: {@code GET /admin} (cluster members, every process's roles and endpoints,
 * breaker states, discovered services, consumer lag, as JSON) and {@code GET|PUT
 * /admin/loggers/{name}} (log levels at run time), and with fault injection on {@code
 * GET|PUT|DELETE /admin/faults/{point}}. It has no authentication yet: keep it on 127.0.0.1 (reach
 * it with {@code kubectl port-forward}).
 *
 * @param enabled false runs no admin server
 * @param host address it binds to
 * @param port its port; 0 picks a free one
 * @param faultInjection lets {@code PUT /admin/faults/{point}} slow down or fail the roles' fault
 *     points (chaos tests); production (security.production) refuses it
 */
public record AdminConfig(boolean enabled, String host, int port, boolean faultInjection) {

  public static final AdminConfig DEFAULTS = new AdminConfig(true, "127.0.0.1", 0, false);

  public AdminConfig {
    new ConfigChecks().text("host", host).port("port", port).orThrow();
  }
}
