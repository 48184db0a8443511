package io.courier.app;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.PrintWriter;
import java.io.StringWriter;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import picocli.CommandLine;

@DisplayName("The courier command line")
class CourierMainTest {

  private final StringWriter out = new StringWriter();
  private final StringWriter err = new StringWriter();

  private int execute(String... args) {
    CommandLine cli = CourierMain.commandLine();
    cli.setOut(new PrintWriter(out));
    cli.setErr(new PrintWriter(err));
    return cli.execute(args);
  }

  @ParameterizedTest(name = "courier {0} --help")
  @ValueSource(strings = {"run", "config", "roles", "send", "tail", "dlt"})
  @DisplayName("explains every command with --help")
  void shouldExplainEveryCommand(String command) {
    assertThat(execute(command, "--help")).isZero();
    assertThat(out.toString()).startsWith("Usage: courier " + command).contains("--help");
  }

  @Test
  @DisplayName("lists its commands with --help")
  void shouldListCommands() {
    assertThat(execute("--help")).isZero();
    assertThat(out.toString()).contains("run", "config", "roles");
  }

  @Test
  @DisplayName("asks for a command when given none")
  void shouldAskForCommand() {
    assertThat(execute()).isEqualTo(2);
    assertThat(err.toString())
        .contains(
            "name a command: run, config, roles, send, tail, dlt, certs, token, broker or cluster");
  }

  @Test
  @DisplayName(
      "mints a development token with the subject, scopes, issuer and audience of the config")
  void shouldMintDevelopmentToken() {
    assertThat(
            execute(
                "token",
                "--config",
                "../../conf/dev.json",
                "--roles",
                "gateway",
                "--sub",
                "u1",
                "--scope",
                "orders:write,orders:read",
                "--ttl",
                "5"))
        .as(err.toString())
        .isZero();
    String[] parts = out.toString().trim().split("\\.");
    assertThat(parts).hasSize(3);
    io.vertx.core.json.JsonObject header =
        new io.vertx.core.json.JsonObject(
            new String(java.util.Base64.getUrlDecoder().decode(parts[0])));
    io.vertx.core.json.JsonObject claims =
        new io.vertx.core.json.JsonObject(
            new String(java.util.Base64.getUrlDecoder().decode(parts[1])));
    assertThat(header.getString("alg")).isEqualTo("ES256");
    assertThat(header.getString("kid")).startsWith("dev-");
    assertThat(claims.getString("sub")).isEqualTo("u1");
    assertThat(claims.getString("scope")).isEqualTo("orders:read orders:write");
    assertThat(claims.getString("iss")).isEqualTo("courier-dev");
    assertThat(claims.getString("aud")).isEqualTo("courier-api");
    assertThat(claims.getLong("exp") - claims.getLong("iat")).isEqualTo(300);
  }

  @Test
  @DisplayName("refuses to mint a token for a configuration without a development key")
  void shouldRefuseTokenWithoutDevKey() {
    System.setProperty("courier.gateway.auth.devKeyDir", "");
    System.setProperty("courier.gateway.auth.jwksUrl", "https://idp.example/jwks.json");
    try {
      assertThat(
              execute(
                  "token", "--sub", "u1", "--config", "../../conf/dev.json", "--roles", "gateway"))
          .isEqualTo(2);
      assertThat(err.toString()).contains("no gateway.auth.devKeyDir").contains("idp.example");
      assertThat(out.toString()).isEmpty();
    } finally {
      System.clearProperty("courier.gateway.auth.devKeyDir");
      System.clearProperty("courier.gateway.auth.jwksUrl");
    }
  }

  @Test
  @DisplayName("lists the gateway among the roles on its classpath")
  void shouldListRoles() {
    assertThat(execute("roles")).isZero();
    assertThat(out.toString().lines()).contains("gateway", "kafka-bridge", "resilience");
  }

  @Test
  @DisplayName("checks the shipped dev configuration and prints it as JSON")
  void shouldCheckDevConfiguration() {
    // The dev profile names its seed files relative to the repository root, where the README
    // starts Courier; this test runs in verticles/app.
    System.setProperty("courier.services.user.seedFile", "../../conf/seed/users.json");
    System.setProperty("courier.services.inventory.seedFile", "../../conf/seed/inventory.json");
    try {
      assertThat(execute("config", "--config", "../../conf/dev.json")).as(err.toString()).isZero();
    } finally {
      System.clearProperty("courier.services.user.seedFile");
      System.clearProperty("courier.services.inventory.seedFile");
    }
    assertThat(out.toString()).contains("\"profile\" : \"dev\"");
    assertThat(err.toString()).contains("configuration OK");
  }

  @Test
  @DisplayName("names the bad key and exits 2 for a configuration that does not check")
  void shouldRefuseBadConfiguration() {
    assertThat(execute("config", "--config", "../../conf/dev.json", "--roles", "gateway,nope"))
        .isEqualTo(2);
    assertThat(err.toString())
        .contains("courier: configuration error: key 'roles' (--roles) names unknown role 'nope'");
  }

  @Test
  @DisplayName("lists the environment variable of every key")
  void shouldListEnvironmentVariables() {
    assertThat(execute("config", "--env")).isZero();
    assertThat(out.toString()).contains("COURIER_GATEWAY_PORT", "COURIER_KAFKA_BOOTSTRAP_SERVERS");
  }

  @org.junit.jupiter.api.Test
  @org.junit.jupiter.api.DisplayName(
      "certs dev writes a CA and per-role certificates naming the role, signed by that CA")
  void shouldWriteDevCertificates(@org.junit.jupiter.api.io.TempDir java.nio.file.Path dir)
      throws Exception {
    assertThat(execute("certs", "dev", "--dir", dir.toString(), "--roles", "gateway,order-service"))
        .as(err.toString())
        .isZero();

    var factory = java.security.cert.CertificateFactory.getInstance("X.509");
    java.security.cert.X509Certificate ca;
    try (var in = java.nio.file.Files.newInputStream(dir.resolve("ca.pem"))) {
      ca = (java.security.cert.X509Certificate) factory.generateCertificate(in);
    }
    for (String role : java.util.List.of("gateway", "order-service")) {
      java.security.cert.X509Certificate leaf;
      try (var in = java.nio.file.Files.newInputStream(dir.resolve(role + ".pem"))) {
        leaf = (java.security.cert.X509Certificate) factory.generateCertificate(in);
      }
      leaf.verify(ca.getPublicKey());
      leaf.checkValidity();
      assertThat(leaf.getSubjectAlternativeNames())
          .anySatisfy(san -> assertThat(san.get(1)).isEqualTo("spiffe://courier/" + role))
          .anySatisfy(san -> assertThat(san.get(1)).isEqualTo("127.0.0.1"));
      assertThat(java.nio.file.Files.readString(dir.resolve(role + "-key.pem")))
          .startsWith("-----BEGIN PRIVATE KEY-----");
      assertThat(java.nio.file.Files.getPosixFilePermissions(dir.resolve(role + "-key.pem")))
          .containsExactlyInAnyOrder(
              java.nio.file.attribute.PosixFilePermission.OWNER_READ,
              java.nio.file.attribute.PosixFilePermission.OWNER_WRITE);
    }
    assertThat(execute("certs", "prod")).isEqualTo(2);
    assertThat(err.toString()).contains("only `courier certs dev` exists");
  }
}
