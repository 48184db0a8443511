package io.courier.runtime.config;

/**
 * The admin server: {@code GET /admin} (cluster members, every process's roles and endpoints,
 * breaker and bulkhead states, discovered services, consumer lag, as JSON), {@code GET|PUT
 * /admin/loggers/{name}} (log levels at run time), {@code GET /admin/dlt} and {@code POST
 * /admin/dlt/{topic}/replay} (dead letters), the operator's console in a browser at {@code GET
 * /console}, and with fault injection on {@code GET|PUT|DELETE /admin/faults/{point}}.
 *
 * <p>With {@code tokenFile} set, every {@code /admin} request must carry {@code Authorization:
 * Bearer <the file's content>} (401 otherwise); the console asks for the token once. Without it the
 * server is open, and so must stay on loopback: a host that is not loopback with no {@code
 * tokenFile} is refused.
 *
 * @param enabled false runs no admin server
 * @param host address it binds to
 * @param port its port; 0 picks a free one
 * @param faultInjection lets {@code PUT /admin/faults/{point}} slow down or fail the roles' fault
 *     points (chaos tests); production (security.production) refuses it
 * @param tokenFile a file holding the bearer token every admin request must carry (at least 32
 *     characters; mount it from a Secret); empty leaves a loopback admin server open
 */
public record AdminConfig(
    boolean enabled, String host, int port, boolean faultInjection, String tokenFile) {

  public static final AdminConfig DEFAULTS = new AdminConfig(true, "127.0.0.1", 0, false, "");

  public AdminConfig {
    new ConfigChecks().text("host", host).port("port", port).orThrow();
    tokenFile = tokenFile == null ? "" : tokenFile.strip();
  }

  /** True when requests must carry the token of {@link #tokenFile}. */
  public boolean authenticated() {
    return !tokenFile.isEmpty();
  }

  /** True when {@link #host} is a loopback address. */
  public boolean loopback() {
    return host.startsWith("127.")
        || host.equals("localhost")
        || host.equals("::1")
        || host.equals("[::1]");
  }
}
