package io.courier.app.flow;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.courier.kafka.embedded.EmbeddedKafkaBroker;
import io.courier.kafka.embedded.SharedKafkaBroker;
import io.courier.runtime.CourierRuntime;
import io.courier.runtime.security.DevCertificates;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpClient;
import io.vertx.core.http.HttpClientOptions;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.HttpVersion;
import io.vertx.core.http.RequestOptions;
import io.vertx.core.net.PemTrustOptions;
import java.math.BigInteger;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/**
 * HTTPS at the gateway with certificates this test issues from its own CA: HTTP/1.1 and HTTP/2 by
 * ALPN, TLS 1.2+ with AEAD suites only, and certificate rotation under traffic without a failed
 * request; files that do not load leave the served identity in place.
 */
@ExtendWith(SharedKafkaBroker.class)
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@DisplayName("The gateway over TLS")
class EdgeTlsIT {

  @TempDir static Path work;

  private DevCertificates ca;
  private Path certs;
  private CourierRuntime runtime;
  private Vertx vertx;
  private int port;

  @BeforeAll
  void start(EmbeddedKafkaBroker kafka) throws Exception {
    certs = work.resolve("certs");
    ca = DevCertificates.authority("test CA " + UUID.randomUUID(), Duration.ofDays(1));
    ca.writeCertificate(certs.resolve("ca.pem"));
    DevCertificates.Issued gateway = ca.issue("gateway", Duration.ofHours(1), certs);
    runtime =
        OrderFlowIT.startGatewayOnly(
            kafka,
            work,
            Map.of(
                "courier.gateway.tls.enabled",
                "true",
                "courier.gateway.tls.certFile",
                gateway.certificate().toString(),
                "courier.gateway.tls.keyFile",
                gateway.key().toString(),
                "courier.gateway.tls.reloadPeriodMs",
                "200"));
    assertThat(runtime.endpoints().get("gateway")).startsWith("https://");
    port = URI.create(runtime.endpoints().get("gateway")).getPort();
    vertx = Vertx.vertx();
  }

  @AfterAll
  void stop() throws Exception {
    if (runtime != null) {
      runtime.stop(Duration.ofSeconds(20)).await(30, TimeUnit.SECONDS);
    }
    if (vertx != null) {
      vertx.close().await(10, TimeUnit.SECONDS);
    }
  }

  @Test
  @Timeout(30)
  @DisplayName("serves HTTP/1.1 and HTTP/2 (ALPN) over TLS 1.3 to a client trusting the CA")
  void shouldServeBothProtocols() throws Exception {
    Answer one = get(client(HttpVersion.HTTP_1_1, true));
    Answer two = get(client(HttpVersion.HTTP_2, true));

    assertThat(one.statusCode()).isEqualTo(200);
    assertThat(one.version()).isEqualTo(HttpVersion.HTTP_1_1);
    assertThat(two.statusCode()).isEqualTo(200);
    assertThat(two.version()).isEqualTo(HttpVersion.HTTP_2);
    assertThat(one.protocol()).isEqualTo("TLSv1.3");
  }

  @Test
  @Timeout(30)
  @DisplayName("refuses a client offering only a CBC suite, and one that does not trust the CA")
  void shouldRefuseWeakSuitesAndUntrustingClients() throws Exception {
    HttpClient cbcOnly =
        vertx.createHttpClient(
            options(HttpVersion.HTTP_1_1, true)
                .setEnabledSecureTransportProtocols(Set.of("TLSv1.2"))
                .addEnabledCipherSuite("TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA256"));
    assertThatThrownBy(() -> get(cbcOnly)).isInstanceOf(javax.net.ssl.SSLHandshakeException.class);
    HttpClient otherCa =
        vertx.createHttpClient(
            new HttpClientOptions()
                .setSsl(true)
                .setVerifyHost(true)
                .setTrustOptions(
                    new PemTrustOptions()
                        .addCertValue(
                            io.vertx.core.buffer.Buffer.buffer(
                                Files.readString(
                                    DevCertificates.authority("stranger", Duration.ofDays(1))
                                        .writeCertificate(work.resolve("stranger.pem")))))));
    assertThatThrownBy(() -> get(otherCa)).isInstanceOf(javax.net.ssl.SSLHandshakeException.class);
  }

  @Test
  @Timeout(60)
  @DisplayName("rotates its certificate under traffic without a failed request")
  void shouldRotateUnderTraffic() throws Exception {
    HttpClient client = client(HttpVersion.HTTP_1_1, false);
    Set<BigInteger> served = ConcurrentHashMap.newKeySet();
    BigInteger before = serial(get(client));
    int failures = 0;
    int requests = 0;
    long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(25);
    boolean rotated = false;
    boolean broken = false;
    BigInteger after = null;
    while (System.nanoTime() < end && (after == null || served.size() < 2 || requests < 100)) {
      if (requests == 30 && !broken) {
        // A half-written rotation: not PEM. The server must keep serving its current identity.
        Files.writeString(certs.resolve("gateway.pem"), "-----BEGIN CERTIFICATE-----\ngarbage");
        broken = true;
      }
      if (requests == 60 && !rotated) {
        after = ca.issue("gateway", Duration.ofHours(1), certs).x509().getSerialNumber();
        rotated = true;
      }
      try {
        Answer response = get(client);
        if (response.statusCode() == 200) {
          served.add(serial(response));
        } else {
          failures++;
        }
      } catch (Exception e) {
        failures++;
      }
      requests++;
    }

    assertThat(failures).isZero();
    assertThat(served).contains(before, after);
  }

  private HttpClient client(HttpVersion version, boolean keepAlive) {
    return vertx.createHttpClient(options(version, keepAlive));
  }

  private HttpClientOptions options(HttpVersion version, boolean keepAlive) {
    return new HttpClientOptions()
        .setSsl(true)
        .setUseAlpn(true)
        .setVerifyHost(true)
        .setKeepAlive(keepAlive)
        .setProtocolVersion(version)
        .setTrustOptions(new PemTrustOptions().addCertPath(certs.resolve("ca.pem").toString()));
  }

  /** One answer, with what the TLS session showed while it was open. */
  private record Answer(int statusCode, HttpVersion version, String protocol, BigInteger serial) {}

  private Answer get(HttpClient client) throws Exception {
    Future<Answer> response =
        client
            .request(
                new RequestOptions()
                    .setMethod(HttpMethod.GET)
                    .setHost("localhost")
                    .setPort(port)
                    .setURI("/health/live"))
            .compose(
                request ->
                    request
                        .send()
                        .compose(
                            r -> {
                              Answer answer;
                              try {
                                var connection = r.request().connection();
                                answer =
                                    new Answer(
                                        r.statusCode(),
                                        r.version(),
                                        connection.sslSession().getProtocol(),
                                        ((X509Certificate) connection.peerCertificates().get(0))
                                            .getSerialNumber());
                              } catch (Exception e) {
                                return Future.failedFuture(e);
                              }
                              return r.body().map(b -> answer);
                            }));
    return response.await(10, TimeUnit.SECONDS);
  }

  private static BigInteger serial(Answer answer) {
    return answer.serial();
  }
}
