package io.courier.runtime.config;

import java.util.List;

/**
 * The clustered event bus (Hazelcast).
 *
 * @param enabled false runs a plain, single-process Vert.x
 * @param name Hazelcast cluster name; members with another name never join
 * @param host address the event bus and Hazelcast bind to
 * @param publicHost address peers use to reach this member; empty means {@code host}
 * @param port Hazelcast member port
 * @param eventBusPort event-bus TCP port; 0 picks a free one
 * @param members TCP-IP members ({@code host:port}), used unless Kubernetes discovery is on
 * @param kubernetes Hazelcast Kubernetes discovery
 * @param hazelcastConfig path of a Hazelcast XML file to start from; empty uses Vert.x's default
 */
public record ClusterConfig(
    boolean enabled,
    String name,
    String host,
    String publicHost,
    int port,
    int eventBusPort,
    List<String> members,
    KubernetesConfig kubernetes,
    String hazelcastConfig) {

  public static final ClusterConfig DEFAULTS =
      new ClusterConfig(
          false,
          "courier",
          "127.0.0.1",
          "",
          5701,
          0,
          List.of("127.0.0.1:5701"),
          KubernetesConfig.DEFAULTS,
          "");

  public ClusterConfig {
    members = List.copyOf(members);
    if (enabled) {
      ConfigChecks checks = new ConfigChecks().text("name", name).text("host", host);
      if ("0.0.0.0".equals(host) && publicHost.isBlank()) {
        checks.missing(
            "publicHost",
            "the address peers reach this member at when cluster.host is 0.0.0.0 (the pod IP)");
      }
      checks.port("port", port).port("eventBusPort", eventBusPort);
      if (kubernetes.enabled()) {
        if (kubernetes.serviceName().isBlank() && kubernetes.serviceDns().isBlank()) {
          checks.missing(
              "kubernetes.serviceName",
              "the headless service of the members (or set cluster.kubernetes.serviceDns)");
        }
      } else {
        if (members.isEmpty()) {
          checks.missing("members", "at least one host:port");
        }
        checks.hostPorts("members", members);
      }
      checks.orThrow();
    }
  }

  /**
   * Hazelcast's Kubernetes discovery.
   *
   * @param enabled use the Kubernetes API (DNS lookup when serviceDns is set) instead of TCP-IP
   * @param namespace the pods' namespace; empty reads it from the pod
   * @param serviceName the headless service selecting the members
   * @param serviceDns DNS name of a headless service, for DNS lookup mode; empty uses the API
   */
  public record KubernetesConfig(
      boolean enabled, String namespace, String serviceName, String serviceDns) {
    public static final KubernetesConfig DEFAULTS = new KubernetesConfig(false, "", "", "");
  }
}
