package io.courier.runtime.config;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;

/**
 * How every Kafka client of the process (the producer, consumers, owners, admin clients and the
 * command line's) authenticates to the brokers and encrypts its traffic ({@code kafka.security}).
 * The default is PLAINTEXT, as the embedded broker speaks.
 *
 * @param protocol {@code PLAINTEXT}, {@code SSL}, {@code SASL_PLAINTEXT} or {@code SASL_SSL}
 *     (Kafka's {@code security.protocol})
 * @param caFile with SSL: the PEM certificates the brokers' certificates must chain to; empty
 *     trusts the JVM's own authorities
 * @param certFile with SSL: this client's PEM certificate chain, for brokers that require client
 *     certificates (mutual TLS); empty presents none
 * @param keyFile its PEM private key (PKCS#8, unencrypted)
 * @param saslMechanism with SASL: {@code PLAIN}, {@code SCRAM-SHA-256}, {@code SCRAM-SHA-512} or
 *     {@code OAUTHBEARER}
 * @param username PLAIN and SCRAM: the user
 * @param password PLAIN and SCRAM: its password; give it from a Secret ({@code
 *     COURIER_KAFKA_SECURITY_PASSWORD}), never in a file
 * @param oauthTokenEndpoint OAUTHBEARER: the identity provider's token endpoint (https), where the
 *     client credentials are exchanged for a token
 * @param oauthClientId OAUTHBEARER: the client id
 * @param oauthClientSecret OAUTHBEARER: its secret, from a Secret ({@code
 *     COURIER_KAFKA_SECURITY_OAUTH_CLIENT_SECRET})
 * @param oauthScope OAUTHBEARER: the scope asked for; empty asks for none
 */
public record KafkaSecurityConfig(
    String protocol,
    String caFile,
    String certFile,
    String keyFile,
    String saslMechanism,
    String username,
    String password,
    String oauthTokenEndpoint,
    String oauthClientId,
    String oauthClientSecret,
    String oauthScope) {

  // Before DEFAULTS: its constructor checks against them.
  private static final Set<String> PROTOCOLS =
      Set.of("PLAINTEXT", "SSL", "SASL_PLAINTEXT", "SASL_SSL");
  private static final Set<String> MECHANISMS =
      Set.of("PLAIN", "SCRAM-SHA-256", "SCRAM-SHA-512", "OAUTHBEARER");

  public static final KafkaSecurityConfig DEFAULTS =
      new KafkaSecurityConfig("PLAINTEXT", "", "", "", "", "", "", "", "", "", "");

  /** The JVM property Kafka 4 reads for the token endpoints an OAUTHBEARER client may call. */
  public static final String ALLOWED_TOKEN_URLS = "org.apache.kafka.sasl.oauthbearer.allowed.urls";

  public KafkaSecurityConfig {
    ConfigChecks checks = new ConfigChecks();
    if (!PROTOCOLS.contains(protocol)) {
      checks.invalid(
          "protocol", "is '" + protocol + "'; must be one of " + new TreeSet<>(PROTOCOLS));
    }
    boolean ssl = protocol.endsWith("SSL");
    boolean sasl = protocol.startsWith("SASL_");
    if (!ssl && !(caFile.isBlank() && certFile.isBlank() && keyFile.isBlank())) {
      checks.invalid("caFile", "is set but protocol " + protocol + " has no TLS to use it");
    }
    if (certFile.isBlank() != keyFile.isBlank()) {
      checks.keys(
          java.util.List.of("certFile", "keyFile"),
          "set both or neither: a certificate and its key");
    }
    if (!sasl && !saslMechanism.isBlank()) {
      checks.invalid(
          "saslMechanism", "is set but protocol " + protocol + " does not authenticate with SASL");
    }
    if (sasl) {
      if (!MECHANISMS.contains(saslMechanism)) {
        checks.invalid(
            "saslMechanism",
            "is '"
                + saslMechanism
                + "'; with "
                + protocol
                + " it must be one of "
                + new TreeSet<>(MECHANISMS));
      } else if (saslMechanism.equals("OAUTHBEARER")) {
        checks.text("oauthClientId", oauthClientId).text("oauthClientSecret", oauthClientSecret);
        if (!oauthTokenEndpoint.startsWith("https://")) {
          checks.invalid(
              "oauthTokenEndpoint",
              "is '" + oauthTokenEndpoint + "'; must be the token endpoint's https:// URL");
        }
      } else {
        checks.text("username", username).text("password", password);
      }
    }
    checks.orThrow();
  }

  /**
   * Adds the OAUTHBEARER token endpoint to the JVM property through which Kafka 4 clients allow
   * token endpoints ({@value #ALLOWED_TOKEN_URLS}; a client refuses any URL not listed there). The
   * property is the JVM's: call it once at start, before the first client, from the process that
   * owns the JVM.
   */
  public void allowTokenEndpoint() {
    if (!sasl() || !saslMechanism.equals("OAUTHBEARER")) {
      return;
    }
    synchronized (KafkaSecurityConfig.class) {
      String allowed = System.getProperty(ALLOWED_TOKEN_URLS, "");
      if (!java.util.Arrays.asList(allowed.split(",")).contains(oauthTokenEndpoint)) {
        System.setProperty(
            ALLOWED_TOKEN_URLS,
            allowed.isBlank() ? oauthTokenEndpoint : allowed + "," + oauthTokenEndpoint);
      }
    }
  }

  /** Whether the clients authenticate with SASL. */
  public boolean sasl() {
    return protocol.startsWith("SASL_");
  }

  /**
   * The client properties these settings stand for, to add to every Kafka client's (blocking: the
   * PEM files are read; call it where the client is created, off the event loop).
   */
  public Map<String, Object> clientProperties() {
    Map<String, Object> props = new LinkedHashMap<>();
    props.put("security.protocol", protocol);
    if (protocol.endsWith("SSL")) {
      if (!caFile.isBlank()) {
        props.put("ssl.truststore.type", "PEM");
        props.put("ssl.truststore.certificates", read("kafka.security.caFile", caFile));
      }
      if (!certFile.isBlank()) {
        props.put("ssl.keystore.type", "PEM");
        props.put("ssl.keystore.certificate.chain", read("kafka.security.certFile", certFile));
        props.put("ssl.keystore.key", read("kafka.security.keyFile", keyFile));
      }
    }
    if (sasl()) {
      props.put("sasl.mechanism", saslMechanism);
      if (saslMechanism.equals("OAUTHBEARER")) {
        props.put(
            "sasl.login.callback.handler.class",
            "org.apache.kafka.common.security.oauthbearer.OAuthBearerLoginCallbackHandler");
        props.put("sasl.oauthbearer.token.endpoint.url", oauthTokenEndpoint);
        props.put(
            "sasl.jaas.config",
            "org.apache.kafka.common.security.oauthbearer.OAuthBearerLoginModule required"
                + " clientId=\""
                + quoted(oauthClientId)
                + "\" clientSecret=\""
                + quoted(oauthClientSecret)
                + "\""
                + (oauthScope.isBlank() ? "" : " scope=\"" + quoted(oauthScope) + "\"")
                + ";");
      } else {
        String module =
            saslMechanism.equals("PLAIN")
                ? "org.apache.kafka.common.security.plain.PlainLoginModule"
                : "org.apache.kafka.common.security.scram.ScramLoginModule";
        props.put(
            "sasl.jaas.config",
            module
                + " required username=\""
                + quoted(username)
                + "\" password=\""
                + quoted(password)
                + "\";");
      }
    }
    return props;
  }

  /** A JAAS option value between double quotes: backslashes and quotes escaped. */
  private static String quoted(String value) {
    return value.replace("\\", "\\\\").replace("\"", "\\\"");
  }

  private static String read(String key, String file) {
    try {
      return Files.readString(Path.of(file));
    } catch (IOException e) {
      throw new UncheckedIOException(
          "key '" + key + "' names '" + file + "', which cannot be read", e);
    }
  }

  @Override
  public String toString() {
    // Passwords and secrets never reach a log line.
    return "KafkaSecurityConfig[protocol="
        + protocol
        + ", saslMechanism="
        + saslMechanism
        + ", username="
        + username
        + ", caFile="
        + caFile
        + "]";
  }
}
