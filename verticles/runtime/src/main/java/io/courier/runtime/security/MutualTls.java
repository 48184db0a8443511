package io.courier.runtime.security;

import io.courier.runtime.config.ConfigException;
import io.courier.runtime.config.MtlsConfig;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.eventbus.EventBusOptions;
import io.vertx.core.http.ClientAuth;
import io.vertx.core.http.HttpClientOptions;
import io.vertx.core.http.HttpConnection;
import io.vertx.core.http.HttpServerOptions;
import io.vertx.core.net.PemKeyCertOptions;
import io.vertx.core.net.PemTrustOptions;
import io.vertx.core.net.TCPSSLOptions;
import io.vertx.core.net.TrustOptions;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyStore;
import java.security.cert.Certificate;
import java.security.cert.CertificateException;
import java.security.cert.CertificateFactory;
import java.security.cert.CertificateParsingException;
import java.security.cert.X509Certificate;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;
import java.util.stream.Collectors;
import javax.net.ssl.SSLEngine;
import javax.net.ssl.SSLPeerUnverifiedException;
import javax.net.ssl.TrustManager;
import javax.net.ssl.TrustManagerFactory;
import javax.net.ssl.X509ExtendedTrustManager;

/**
 * This process's mutual-TLS identity ({@code security.mtls}): its certificate and key and the CA
 * its peers' certificates must chain to, read once from PEM files, and the server, client and
 * event-bus options built from them. TLS 1.2 and 1.3 with forward-secret AEAD suites only.
 *
 * <p>A certificate's service identity is the role in its {@code spiffe://courier/<role>} URI SAN (a
 * process running several roles that others call may hold one URI per role). Servers require a
 * client certificate from the CA and check the caller's identity against {@code allowedPeers}; gRPC
 * clients check that the server presents the identity of the role they meant to call (not its host
 * name: pod addresses are in no certificate).
 */
public final class MutualTls {

  /** The URI SAN prefix of a Courier service identity: {@code spiffe://courier/<role>}. */
  public static final String IDENTITY_PREFIX = "spiffe://courier/";

  public static final Set<String> PROTOCOLS = Set.of("TLSv1.2", "TLSv1.3");

  /** Forward-secret AEAD suites: TLS 1.3's three, and ECDHE with GCM or ChaCha20 for 1.2. */
  public static final List<String> CIPHER_SUITES =
      List.of(
          "TLS_AES_128_GCM_SHA256",
          "TLS_AES_256_GCM_SHA384",
          "TLS_CHACHA20_POLY1305_SHA256",
          "TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256",
          "TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256",
          "TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384",
          "TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384",
          "TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256",
          "TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256");

  private static final MutualTls DISABLED =
      new MutualTls(null, null, null, List.of(), Set.of(), Map.of());

  private final Buffer certificate;
  private final Buffer key;
  private final Buffer authorities;
  private final List<X509Certificate> trusted;
  private final Set<String> identities;

  /** Allowed peer identities by server role; {@code ""} holds those allowed on every server. */
  private final Map<String, Set<String>> allowed;

  private MutualTls(
      Buffer certificate,
      Buffer key,
      Buffer authorities,
      List<X509Certificate> trusted,
      Set<String> identities,
      Map<String, Set<String>> allowed) {
    this.certificate = certificate;
    this.key = key;
    this.authorities = authorities;
    this.trusted = trusted;
    this.identities = identities;
    this.allowed = allowed;
  }

  /** No mutual TLS: every {@code apply} method returns its options unchanged. */
  public static MutualTls disabled() {
    return DISABLED;
  }

  /** Reads the files on a worker thread; {@link #disabled()} when {@code security.mtls} is off. */
  public static Future<MutualTls> load(Vertx vertx, MtlsConfig config) {
    if (!config.enabled()) {
      return Future.succeededFuture(DISABLED);
    }
    return vertx.executeBlocking(() -> read(config), false);
  }

  /**
   * Reads and checks the files (blocking: call it off the event loop). A file that cannot be read,
   * holds no PEM certificate or key, or a certificate of this process that is not valid now fails
   * with a {@link ConfigException} naming the key.
   */
  public static MutualTls read(MtlsConfig config) {
    if (!config.enabled()) {
      return DISABLED;
    }
    Buffer certificate = file("security.mtls.certFile", config.certFile());
    Buffer key = file("security.mtls.keyFile", config.keyFile());
    Buffer authorities = file("security.mtls.caFile", config.caFile());
    List<X509Certificate> chain = certificates("security.mtls.certFile", config, certificate);
    List<X509Certificate> trusted = certificates("security.mtls.caFile", config, authorities);
    if (!key.toString(StandardCharsets.US_ASCII).contains("PRIVATE KEY-----")) {
      throw new ConfigException(
          "key 'security.mtls.keyFile' names '" + config.keyFile() + "', which holds no PEM key");
    }
    X509Certificate leaf = chain.get(0);
    try {
      leaf.checkValidity();
    } catch (GeneralSecurityException e) {
      throw new ConfigException(
          "key 'security.mtls.certFile' names '"
              + config.certFile()
              + "', whose certificate is valid only from "
              + leaf.getNotBefore().toInstant()
              + " to "
              + leaf.getNotAfter().toInstant());
    }
    Map<String, Set<String>> allowed = new HashMap<>();
    for (String entry : config.allowedPeers()) {
      int split = entry.indexOf('=');
      String server = MtlsConfig.serverOf(entry);
      String method = MtlsConfig.methodOf(entry);
      allowed
          .computeIfAbsent(method.isEmpty() ? server : server + "/" + method, s -> new HashSet<>())
          .add(role(entry.substring(split + 1)));
    }
    return new MutualTls(
        certificate, key, authorities, trusted, identities(leaf), Map.copyOf(allowed));
  }

  public boolean enabled() {
    return certificate != null;
  }

  /** This process's own identities (the roles its certificate names). */
  public Set<String> identities() {
    return identities;
  }

  /** A server requiring a client certificate issued by the CA; HTTP/2 by ALPN for gRPC. */
  public HttpServerOptions server(HttpServerOptions options) {
    if (enabled()) {
      secure(options).setUseAlpn(true).setClientAuth(ClientAuth.REQUIRED);
    }
    return options;
  }

  /**
   * A client presenting this process's certificate and accepting only a server whose certificate
   * chains to the CA and names {@code expectedPeer} ({@code spiffe://courier/<expectedPeer>}).
   */
  public HttpClientOptions client(HttpClientOptions options, String expectedPeer) {
    if (enabled()) {
      options.setSsl(true).setUseAlpn(true).setVerifyHost(false);
      options.setKeyCertOptions(keyCert());
      options.setEnabledSecureTransportProtocols(PROTOCOLS);
      CIPHER_SUITES.forEach(options::addEnabledCipherSuite);
      options.setTrustOptions(TrustOptions.wrap(new PeerTrustManager(trusted, role(expectedPeer))));
    }
    return options;
  }

  /**
   * The clustered event bus over TLS: each member requires the other's certificate to chain to the
   * CA (any identity; host names are not checked).
   */
  public EventBusOptions eventBus(EventBusOptions options) {
    if (enabled()) {
      // EventBusOptions trusts every server by default (DEFAULT_TRUST_ALL is true): without this a
      // member would send to a server presenting any certificate at all.
      secure(options).setClientAuth(ClientAuth.REQUIRED).setTrustAll(false);
    }
    return options;
  }

  /**
   * Why the peer of {@code connection} may not call the server of {@code serverRole}, or empty when
   * it may: always when mutual TLS is off or no {@code allowedPeers} entry concerns that server,
   * else when the certificate's identity is listed for it.
   */
  public Optional<String> refusal(String serverRole, HttpConnection connection) {
    return refusal(serverRole, "", connection);
  }

  /**
   * Why the peer of {@code connection} may not call {@code method} (e.g. {@code ReleaseStock}) of
   * the server of {@code serverRole}, or empty when it may: the peer must be allowed on the server
   * (as {@link #refusal(String, HttpConnection)}) and, when {@code allowedPeers} has entries for
   * {@code serverRole/method}, be one of them.
   */
  public Optional<String> refusal(String serverRole, String method, HttpConnection connection) {
    if (!enabled()) {
      return Optional.empty();
    }
    Set<String> peers = new HashSet<>(allowed.getOrDefault("", Set.of()));
    peers.addAll(allowed.getOrDefault(serverRole, Set.of()));
    Set<String> methodPeers =
        method.isEmpty() ? Set.of() : allowed.getOrDefault(serverRole + "/" + method, Set.of());
    if (peers.isEmpty() && methodPeers.isEmpty()) {
      return Optional.empty();
    }
    Set<String> callers = identities(connection);
    if (callers.isEmpty()) {
      return Optional.of("the peer's certificate names no " + IDENTITY_PREFIX + " identity");
    }
    if (!peers.isEmpty() && callers.stream().noneMatch(peers::contains)) {
      return Optional.of("peer " + callers + " may not call " + serverRole);
    }
    if (!methodPeers.isEmpty() && callers.stream().noneMatch(methodPeers::contains)) {
      return Optional.of("peer " + callers + " may not call " + serverRole + "/" + method);
    }
    return Optional.empty();
  }

  /** The identities of a TLS connection's peer, from its certificate. */
  public static Set<String> identities(HttpConnection connection) {
    if (!connection.isSsl()) {
      return Set.of();
    }
    try {
      List<Certificate> chain = connection.peerCertificates();
      return chain.isEmpty() ? Set.of() : identities(chain.get(0));
    } catch (SSLPeerUnverifiedException e) {
      return Set.of();
    }
  }

  /** The roles of a certificate's {@code spiffe://courier/<role>} URI SANs. */
  public static Set<String> identities(Certificate certificate) {
    if (!(certificate instanceof X509Certificate x509)) {
      return Set.of();
    }
    Set<String> roles = new TreeSet<>();
    try {
      Collection<List<?>> names = x509.getSubjectAlternativeNames();
      if (names == null) {
        return Set.of();
      }
      for (List<?> name : names) {
        // 6: uniformResourceIdentifier
        if (Integer.valueOf(6).equals(name.get(0))
            && name.get(1) instanceof String uri
            && uri.startsWith(IDENTITY_PREFIX)
            && uri.length() > IDENTITY_PREFIX.length()) {
          roles.add(uri.substring(IDENTITY_PREFIX.length()));
        }
      }
    } catch (CertificateParsingException e) {
      return Set.of();
    }
    return Set.copyOf(roles);
  }

  private <T extends TCPSSLOptions> T secure(T options) {
    options.setSsl(true);
    options.setKeyCertOptions(keyCert());
    options.setTrustOptions(new PemTrustOptions().addCertValue(authorities));
    options.setEnabledSecureTransportProtocols(PROTOCOLS);
    CIPHER_SUITES.forEach(options::addEnabledCipherSuite);
    return options;
  }

  private PemKeyCertOptions keyCert() {
    return new PemKeyCertOptions().setCertValue(certificate).setKeyValue(key);
  }

  /** {@code spiffe://courier/order-service} and {@code order-service} both name the role. */
  private static String role(String peer) {
    String stripped = peer.strip();
    return stripped.startsWith(IDENTITY_PREFIX)
        ? stripped.substring(IDENTITY_PREFIX.length())
        : stripped;
  }

  private static Buffer file(String key, String path) {
    try {
      return Buffer.buffer(Files.readAllBytes(Path.of(path)));
    } catch (IOException e) {
      throw new ConfigException(
          "key '" + key + "' names '" + path + "', which cannot be read: " + e.getMessage());
    }
  }

  private static List<X509Certificate> certificates(String key, MtlsConfig config, Buffer content) {
    List<X509Certificate> certificates = new ArrayList<>();
    try {
      for (Certificate each :
          CertificateFactory.getInstance("X.509")
              .generateCertificates(new ByteArrayInputStream(content.getBytes()))) {
        certificates.add((X509Certificate) each);
      }
    } catch (GeneralSecurityException e) {
      certificates.clear();
    }
    if (certificates.isEmpty()) {
      throw new ConfigException(
          "key '"
              + key
              + "' names '"
              + ("security.mtls.caFile".equals(key) ? config.caFile() : config.certFile())
              + "', which holds no PEM certificate");
    }
    return List.copyOf(certificates);
  }

  /**
   * Trusts a server whose chain the CA signed (PKIX: signatures, validity, key usage) and whose
   * leaf names the expected role.
   */
  private static final class PeerTrustManager extends X509ExtendedTrustManager {

    private final X509ExtendedTrustManager authority;
    private final String expected;

    PeerTrustManager(List<X509Certificate> trusted, String expected) {
      this.expected = expected;
      try {
        KeyStore store = KeyStore.getInstance(KeyStore.getDefaultType());
        store.load(null, null);
        for (int i = 0; i < trusted.size(); i++) {
          store.setCertificateEntry("ca-" + i, trusted.get(i));
        }
        TrustManagerFactory factory = TrustManagerFactory.getInstance("PKIX");
        factory.init(store);
        X509ExtendedTrustManager found = null;
        for (TrustManager manager : factory.getTrustManagers()) {
          if (manager instanceof X509ExtendedTrustManager x509) {
            found = x509;
          }
        }
        if (found == null) {
          throw new IllegalStateException("the JDK offers no X509ExtendedTrustManager for PKIX");
        }
        this.authority = found;
      } catch (GeneralSecurityException | IOException e) {
        throw new IllegalStateException("cannot build the trust store of the CA", e);
      }
    }

    private void named(X509Certificate[] chain) throws CertificateException {
      Set<String> presented = identities(chain[0]);
      if (!presented.contains(expected)) {
        throw new CertificateException(
            "the server presents identity "
                + (presented.isEmpty()
                    ? "(none)"
                    : presented.stream()
                        .map(role -> IDENTITY_PREFIX + role)
                        .collect(Collectors.joining(", ")))
                + ", expected "
                + IDENTITY_PREFIX
                + expected);
      }
    }

    @Override
    public void checkServerTrusted(X509Certificate[] chain, String authType, SSLEngine engine)
        throws CertificateException {
      authority.checkServerTrusted(chain, authType, engine);
      named(chain);
    }

    @Override
    public void checkServerTrusted(X509Certificate[] chain, String authType, Socket socket)
        throws CertificateException {
      authority.checkServerTrusted(chain, authType, socket);
      named(chain);
    }

    @Override
    public void checkServerTrusted(X509Certificate[] chain, String authType)
        throws CertificateException {
      authority.checkServerTrusted(chain, authType);
      named(chain);
    }

    @Override
    public void checkClientTrusted(X509Certificate[] chain, String authType, SSLEngine engine)
        throws CertificateException {
      authority.checkClientTrusted(chain, authType, engine);
    }

    @Override
    public void checkClientTrusted(X509Certificate[] chain, String authType, Socket socket)
        throws CertificateException {
      authority.checkClientTrusted(chain, authType, socket);
    }

    @Override
    public void checkClientTrusted(X509Certificate[] chain, String authType)
        throws CertificateException {
      authority.checkClientTrusted(chain, authType);
    }

    @Override
    public X509Certificate[] getAcceptedIssuers() {
      return authority.getAcceptedIssuers();
    }
  }
}
