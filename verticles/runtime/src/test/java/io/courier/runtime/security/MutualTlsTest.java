package io.courier.runtime.security;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.courier.runtime.config.ConfigException;
import io.courier.runtime.config.MtlsConfig;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

@DisplayName("A mutual-TLS identity read from PEM files")
class MutualTlsTest {

  @TempDir Path dir;

  private DevCertificates ca;
  private Path caFile;

  @BeforeEach
  void authority() throws Exception {
    ca = DevCertificates.authority("unit CA", Duration.ofDays(1));
    caFile = ca.writeCertificate(dir.resolve("ca.pem"));
  }

  @Test
  @DisplayName("names the role of its spiffe://courier/ URI SAN as its identity")
  void shouldTakeItsIdentityFromTheSpiffeUri() throws Exception {
    DevCertificates.Issued issued = ca.issue("order-service", Duration.ofHours(1), dir);

    MutualTls tls = MutualTls.read(config(issued.certificate(), issued.key(), caFile));

    assertThat(tls.enabled()).isTrue();
    assertThat(tls.identities()).containsExactly("order-service");
    assertThat(MutualTls.identities(issued.x509())).containsExactly("order-service");
    assertThat(MutualTls.identities(ca.certificate())).isEmpty();
    assertThat(MutualTls.read(new MtlsConfig(false, "", "", "", List.of())).enabled()).isFalse();
  }

  @Test
  @DisplayName("refuses a CA file holding no certificate, naming the key")
  void shouldRefuseACaFileWithoutCertificate() throws Exception {
    DevCertificates.Issued issued = ca.issue("gateway", Duration.ofHours(1), dir);
    Path garbage = Files.writeString(dir.resolve("garbage.pem"), "-----BEGIN NOTHING-----\n");

    assertThatThrownBy(() -> MutualTls.read(config(issued.certificate(), issued.key(), garbage)))
        .isInstanceOf(ConfigException.class)
        .hasMessage(
            "key 'security.mtls.caFile' names '" + garbage + "', which holds no PEM certificate");
  }

  @Test
  @DisplayName("refuses a key file holding no private key, without showing its content")
  void shouldRefuseAKeyFileWithoutKey() throws Exception {
    DevCertificates.Issued issued = ca.issue("gateway", Duration.ofHours(1), dir);

    assertThatThrownBy(() -> MutualTls.read(config(issued.certificate(), caFile, caFile)))
        .isInstanceOf(ConfigException.class)
        .hasMessage("key 'security.mtls.keyFile' names '" + caFile + "', which holds no PEM key");
  }

  @Test
  @DisplayName("refuses its own certificate once it has expired")
  void shouldRefuseAnExpiredOwnCertificate() throws Exception {
    Instant now = Instant.now();
    DevCertificates.Issued issued =
        ca.issue("gateway", now.minus(Duration.ofDays(2)), now.minus(Duration.ofDays(1)), dir);

    assertThatThrownBy(() -> MutualTls.read(config(issued.certificate(), issued.key(), caFile)))
        .isInstanceOf(ConfigException.class)
        .hasMessageStartingWith(
            "key 'security.mtls.certFile' names '"
                + issued.certificate()
                + "', whose certificate is valid only from ");
  }

  @Test
  @DisplayName("refuses a file that cannot be read, naming the key")
  void shouldRefuseAMissingFile() throws Exception {
    Path missing = dir.resolve("nope.pem");

    assertThatThrownBy(() -> MutualTls.read(config(missing, missing, caFile)))
        .isInstanceOf(ConfigException.class)
        .hasMessageStartingWith(
            "key 'security.mtls.certFile' names '" + missing + "', which cannot be read");
  }

  private static MtlsConfig config(Path cert, Path key, Path authority) {
    return new MtlsConfig(true, cert.toString(), key.toString(), authority.toString(), List.of());
  }
}
