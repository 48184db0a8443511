package io.courier.gateway;

import io.courier.gateway.GatewayConfig.TlsConfig;
import io.courier.runtime.security.MutualTls;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpServer;
import io.vertx.core.http.HttpServerOptions;
import io.vertx.core.net.PemKeyCertOptions;
import io.vertx.core.net.ServerSSLOptions;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The gateway's TLS: TLS 1.2 and 1.3 with AEAD suites only (the same policy as {@link MutualTls}
 * between services), HTTP/2 or HTTP/1.1 by ALPN, the identity read from PEM files and swapped in
 * place when they change. A changed file that does not load (half written, wrong key, not PEM) is
 * reported and the current identity stays.
 */
final class EdgeTls {

  private static final Logger LOG = LoggerFactory.getLogger(EdgeTls.class);

  private final Vertx vertx;
  private final TlsConfig config;
  private String loaded = "";
  private String refused = "";
  private String settling = "";
  private long timer = -1;

  EdgeTls(Vertx vertx, TlsConfig config) {
    this.vertx = vertx;
    this.config = config;
  }

  /** Adds TLS to the server options (the files are read now, on the caller's worker). */
  HttpServerOptions apply(HttpServerOptions options) {
    if (!config.enabled()) {
      return options;
    }
    options.setSsl(true).setUseAlpn(true).setKeyCertOptions(pem(read()));
    options.setEnabledSecureTransportProtocols(MutualTls.PROTOCOLS);
    MutualTls.CIPHER_SUITES.forEach(options::addEnabledCipherSuite);
    return options;
  }

  /** Starts watching the files of a listening server. */
  void watch(HttpServer server) {
    if (!config.enabled()) {
      return;
    }
    timer = vertx.setPeriodic(config.reloadPeriodMs(), id -> reload(server));
  }

  void stop() {
    if (timer >= 0) {
      vertx.cancelTimer(timer);
    }
  }

  private void reload(HttpServer server) {
    vertx
        .executeBlocking(this::read, false)
        .compose(
            files -> {
              if (files.fingerprint().equals(loaded) || files.fingerprint().equals(refused)) {
                settling = "";
                return Future.succeededFuture(false);
              }
              // judged once two checks in a row read the same files, so a rotation caught between
              // writing the certificate and writing its key is not reported as broken
              if (!files.fingerprint().equals(settling)) {
                settling = files.fingerprint();
                return Future.succeededFuture(false);
              }
              settling = "";
              refused = files.fingerprint();
              ServerSSLOptions ssl =
                  new ServerSSLOptions()
                      .setKeyCertOptions(pem(files))
                      .setUseAlpn(true)
                      .setEnabledSecureTransportProtocols(MutualTls.PROTOCOLS);
              MutualTls.CIPHER_SUITES.forEach(ssl::addEnabledCipherSuite);
              return server
                  .updateSSLOptions(ssl)
                  .map(
                      updated -> {
                        loaded = files.fingerprint();
                        refused = "";
                        LOG.info(
                            "gateway TLS identity reloaded from {} and {}",
                            config.certFile(),
                            config.keyFile());
                        return updated;
                      });
            })
        .onFailure(
            e ->
                LOG.error(
                    "gateway TLS files {} / {} changed but do not load; the current identity stays:"
                        + " {}",
                    config.certFile(),
                    config.keyFile(),
                    e.getMessage()));
  }

  private record Files(Buffer cert, Buffer key) {
    String fingerprint() {
      return cert.length() + ":" + cert.toString().hashCode() + ":" + key.toString().hashCode();
    }
  }

  private Files read() {
    Files files =
        new Files(
            vertx.fileSystem().readFileBlocking(config.certFile()),
            vertx.fileSystem().readFileBlocking(config.keyFile()));
    if (loaded.isEmpty()) {
      loaded = files.fingerprint();
    }
    return files;
  }

  private static PemKeyCertOptions pem(Files files) {
    return new PemKeyCertOptions().setCertValue(files.cert()).setKeyValue(files.key());
  }
}
