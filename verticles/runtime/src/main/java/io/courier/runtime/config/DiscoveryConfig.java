package io.courier.runtime.config;

import io.vertx.core.net.PemTrustOptions;
import io.vertx.ext.consul.ConsulClientOptions;
import java.util.Set;

/**
 * Service discovery.
 *
 * @param backend {@code embedded} (cluster-wide map) or {@code consul}
 * @param consulHost Consul agent host
 * @param consulPort Consul agent HTTP port
 * @param consulAclToken ACL token sent as {@code X-Consul-Token}; empty sends none. Keep it in a
 *     Secret ({@code COURIER_DISCOVERY_CONSUL_ACL_TOKEN}), never in a file
 * @param consulTls talk HTTPS to the agent
 * @param consulCaFile PEM file of the CA that signed the agent's certificate; empty trusts the
 *     JVM's CAs
 * @param zone the zone (rack, availability zone) this process runs in, added as the {@code zone}
 *     tag of every registration; empty adds none
 * @param consulImport with the embedded backend: also serve the services others registered in the
 *     Consul agent at consulHost:consulPort (with consulAclToken), imported through
 *     vertx-service-discovery-bridge-consul; healthy instances only, their Consul meta as tags
 * @param consulImportPeriodMs how often the import reads Consul's catalog
 */
public record DiscoveryConfig(
    String backend,
    String consulHost,
    int consulPort,
    String consulAclToken,
    boolean consulTls,
    String consulCaFile,
    String zone,
    boolean consulImport,
    long consulImportPeriodMs) {

  private static final Set<String> BACKENDS = Set.of("embedded", "consul");

  public static final DiscoveryConfig DEFAULTS =
      new DiscoveryConfig("embedded", "127.0.0.1", 8500, "", false, "", "", false, 2_000);

  public DiscoveryConfig {
    ConfigChecks checks = new ConfigChecks();
    if (!BACKENDS.contains(backend)) {
      checks.invalid("backend", "is '" + backend + "'; must be one of embedded, consul");
    }
    if ("consul".equals(backend) || consulImport) {
      // The CA file and the token are checked with the other Consul settings when loaded.
      checks.text("consulHost", consulHost).port("consulPort", consulPort);
    }
    if (consulImport) {
      if ("consul".equals(backend)) {
        checks.invalid(
            "consulImport",
            "is true with the consul backend, which resolves from Consul already; it imports into"
                + " the embedded backend");
      }
      if (consulTls) {
        checks.invalid(
            "consulImport",
            "is true with consulTls: the Consul bridge (vertx-service-discovery-bridge-consul)"
                + " speaks plain HTTP only; import from the node's local agent over HTTP");
      }
      checks.atLeast("consulImportPeriodMs", consulImportPeriodMs, 100);
    }
    checks.orThrow();
  }

  /**
   * How to reach the Consul agent these settings name: host, port, ACL token, TLS and its CA. The
   * Consul backend uses it, and so do the resilience policies' KV source ({@code
   * resilience.consulKey}).
   */
  public ConsulClientOptions consulClientOptions() {
    ConsulClientOptions options = new ConsulClientOptions().setHost(consulHost).setPort(consulPort);
    if (!consulAclToken.isBlank()) {
      options.setAclToken(consulAclToken);
    }
    if (consulTls) {
      options.setSsl(true).setVerifyHost(true);
      if (!consulCaFile.isBlank()) {
        options.setTrustOptions(new PemTrustOptions().addCertPath(consulCaFile));
      }
    }
    return options;
  }

  /** Whether the backend is Consul. */
  public boolean consul() {
    return "consul".equals(backend);
  }
}
