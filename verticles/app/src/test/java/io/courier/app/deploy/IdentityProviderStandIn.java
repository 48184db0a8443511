package io.courier.app.deploy;

import com.sun.net.httpserver.HttpsConfigurator;
import com.sun.net.httpserver.HttpsServer;
import io.courier.runtime.security.DevCertificates;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyFactory;
import java.security.KeyPairGenerator;
import java.security.KeyStore;
import java.security.PrivateKey;
import java.security.cert.Certificate;
import java.security.interfaces.RSAPublicKey;
import java.security.spec.PKCS8EncodedKeySpec;
import java.time.Duration;
import java.util.Base64;
import java.util.List;
import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLContext;

/**
 * The identity provider a gateway fetches its token-signing keys from ({@code
 * gateway.auth.jwksUrl}): an HTTPS server on 127.0.0.1 at the URL's port that answers the URL's
 * path with a JWKS of one RS256 key, under a certificate for the URL's host issued by a CA made
 * here. A client trusts it through {@link #trustStore()} (a PKCS#12 file holding that CA).
 */
final class IdentityProviderStandIn implements AutoCloseable {

  static final String TRUST_STORE_PASSWORD = "changeit";

  private final HttpsServer server;
  private final Path trustStore;

  IdentityProviderStandIn(URI jwksUrl, Path dir) throws IOException, GeneralSecurityException {
    Files.createDirectories(dir);
    DevCertificates authority =
        DevCertificates.authority("identity provider stand-in CA", Duration.ofDays(1));
    DevCertificates.Issued issued = authority.issue(jwksUrl.getHost(), Duration.ofHours(4), dir);

    KeyStore keys = KeyStore.getInstance("PKCS12");
    keys.load(null, null);
    keys.setKeyEntry(
        "idp",
        privateKey(issued.key()),
        TRUST_STORE_PASSWORD.toCharArray(),
        new Certificate[] {issued.x509(), authority.certificate()});
    KeyManagerFactory managers =
        KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
    managers.init(keys, TRUST_STORE_PASSWORD.toCharArray());
    SSLContext tls = SSLContext.getInstance("TLS");
    tls.init(managers.getKeyManagers(), null, null);

    KeyStore trusted = KeyStore.getInstance("PKCS12");
    trusted.load(null, null);
    trusted.setCertificateEntry("idp-ca", authority.certificate());
    trustStore = dir.resolve("truststore.p12");
    try (OutputStream out = Files.newOutputStream(trustStore)) {
      trusted.store(out, TRUST_STORE_PASSWORD.toCharArray());
    }

    byte[] jwks = jwks().encode().getBytes(StandardCharsets.UTF_8);
    int port = jwksUrl.getPort() == -1 ? 443 : jwksUrl.getPort();
    try {
      server = HttpsServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), port), 0);
    } catch (IOException e) {
      throw new IOException(
          "the identity provider stand-in needs 127.0.0.1:" + port + " (" + jwksUrl + ")", e);
    }
    server.setHttpsConfigurator(new HttpsConfigurator(tls));
    server.createContext(
        jwksUrl.getPath(),
        exchange -> {
          try (exchange) {
            exchange.getResponseHeaders().set("Content-Type", "application/json");
            exchange.sendResponseHeaders(200, jwks.length);
            exchange.getResponseBody().write(jwks);
          }
        });
    server.start();
  }

  /** A PKCS#12 trust store (password {@value #TRUST_STORE_PASSWORD}) holding the stand-in's CA. */
  Path trustStore() {
    return trustStore;
  }

  private static JsonObject jwks() throws GeneralSecurityException {
    KeyPairGenerator generator = KeyPairGenerator.getInstance("RSA");
    generator.initialize(2048);
    RSAPublicKey key = (RSAPublicKey) generator.generateKeyPair().getPublic();
    Base64.Encoder url = Base64.getUrlEncoder().withoutPadding();
    return new JsonObject()
        .put(
            "keys",
            new JsonArray(
                List.of(
                    new JsonObject()
                        .put("kty", "RSA")
                        .put("kid", "stand-in")
                        .put("use", "sig")
                        .put("alg", "RS256")
                        .put("n", url.encodeToString(unsigned(key.getModulus().toByteArray())))
                        .put(
                            "e",
                            url.encodeToString(unsigned(key.getPublicExponent().toByteArray()))))));
  }

  private static byte[] unsigned(byte[] bytes) {
    return bytes.length > 1 && bytes[0] == 0
        ? java.util.Arrays.copyOfRange(bytes, 1, bytes.length)
        : bytes;
  }

  private static PrivateKey privateKey(Path pem) throws IOException, GeneralSecurityException {
    String base64 =
        Files.readString(pem)
            .replaceAll("-----(BEGIN|END) [A-Z ]*PRIVATE KEY-----", "")
            .replaceAll("\\s", "");
    PKCS8EncodedKeySpec spec = new PKCS8EncodedKeySpec(Base64.getDecoder().decode(base64));
    try {
      return KeyFactory.getInstance("EC").generatePrivate(spec);
    } catch (GeneralSecurityException e) {
      return KeyFactory.getInstance("RSA").generatePrivate(spec);
    }
  }

  @Override
  public void close() {
    server.stop(0);
  }
}
