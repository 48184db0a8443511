package io.courier.runtime.config;

import java.util.List;

/**
 * Mutual TLS between services: every gRPC server between services and the clustered event bus
 * require a client certificate issued by {@code caFile}, and every client presents this process's
 * certificate. A certificate's service identity is its {@code spiffe://courier/<role>} URI SAN. The
 * files are read once, at start; a rotated certificate takes effect on restart.
 *
 * @param enabled false keeps gRPC between services and the event bus in cleartext
 * @param certFile this process's certificate chain, PEM (leaf first)
 * @param keyFile its private key, PEM (PKCS#8); read from the file only, never logged
 * @param caFile the certificate authorities a peer's certificate must chain to, PEM
 * @param allowedPeers which identities may call this process's gRPC servers: {@code peer} (any of
 *     its servers), {@code server=peer} (only the server of that role) or {@code
 *     server/Method=peer} (only that method, e.g. {@code inventory-service/ReleaseStock=
 *     order-service}), where {@code peer} is a role name or its {@code spiffe://courier/<role>}
 *     URI. A server that no entry names accepts any certificate issued by the CA; others answer
 *     PERMISSION_DENIED to callers not listed, and a method with entries of its own only to the
 *     peers they list
 */
public record MtlsConfig(
    boolean enabled, String certFile, String keyFile, String caFile, List<String> allowedPeers) {

  public static final MtlsConfig DEFAULTS = new MtlsConfig(false, "", "", "", List.of());

  public MtlsConfig {
    allowedPeers = List.copyOf(allowedPeers);
  }

  /**
   * Whether an {@link #allowedPeers} entry is {@code peer} or {@code server-role=peer}, without
   * blanks. Checked with the roles the build knows, when the configuration is loaded.
   */
  public static boolean wellFormed(String entry) {
    String[] parts = entry.split("=", -1);
    String peer = parts[parts.length - 1].strip();
    return parts.length <= 2
        && !peer.isEmpty()
        && peer.chars().noneMatch(Character::isWhitespace)
        && (parts.length == 1 || !parts[0].isBlank())
        && (parts.length == 1 || parts[0].chars().filter(c -> c == '/').count() <= 1)
        && (parts.length == 1 || !parts[0].strip().startsWith("/"))
        && (parts.length == 1 || !parts[0].strip().endsWith("/"));
  }

  /** The server role an {@link #allowedPeers} entry is limited to, or empty for any server. */
  public static String serverOf(String entry) {
    int equals = entry.indexOf('=');
    String server = equals < 0 ? "" : entry.substring(0, equals).strip();
    int slash = server.indexOf('/');
    return slash < 0 ? server : server.substring(0, slash).strip();
  }

  /** The method an {@link #allowedPeers} entry is limited to, or empty for every method. */
  public static String methodOf(String entry) {
    int equals = entry.indexOf('=');
    String server = equals < 0 ? "" : entry.substring(0, equals);
    int slash = server.indexOf('/');
    return slash < 0 ? "" : server.substring(slash + 1).strip();
  }
}
