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
 *     its servers) or {@code server=peer} (only the server of that role), where {@code peer} is a
 *     role name or its {@code spiffe://courier/<role>} URI. A server that no entry names accepts
 *     any certificate issued by the CA; others answer PERMISSION_DENIED to callers not listed
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
        && (parts.length == 1 || !parts[0].isBlank());
  }

  /** The server role an {@link #allowedPeers} entry is limited to, or empty for any server. */
  public static String serverOf(String entry) {
    int equals = entry.indexOf('=');
    return equals < 0 ? "" : entry.substring(0, equals).strip();
  }
}
