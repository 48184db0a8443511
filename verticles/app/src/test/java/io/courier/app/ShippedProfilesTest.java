package io.courier.app;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.courier.gateway.GatewayConfig;
import io.courier.gateway.GatewayConfig.RouteRateLimitConfig;
import io.courier.runtime.Roles;
import io.courier.runtime.config.AdminConfig;
import io.courier.runtime.config.ConfigException;
import io.courier.runtime.config.ConfigLoader;
import io.courier.runtime.config.ConfigSection;
import io.courier.runtime.config.CourierConfig;
import io.courier.runtime.security.DevCertificates;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The profiles shipped in {@code conf/}, read with every role of the build and its sections. */
@DisplayName("The shipped profiles")
class ShippedProfilesTest {

  /** An identity key as an operator puts it in the courier-secrets Secret. */
  private static final String IDENTITY_KEY =
      java.util.Base64.getEncoder()
          .encodeToString(
              "an identity key of 32 bytes, ok!"
                  .getBytes(java.nio.charset.StandardCharsets.US_ASCII));

  private static final Path CONF = Path.of("..", "..", "conf");

  private static final Map<String, List<ConfigSection<?>>> ROLES =
      Roles.configSections(Roles.available().values());
  private static final List<String> DEFAULTS = Roles.defaults(Roles.available().values());

  @TempDir static Path certs;

  /**
   * What a production pod's environment gives conf/prod.json: Kafka, Consul, the pod address, the
   * JWKS, the identity key, and (as the courier-tls-gateway Secret would) the mutual-TLS files,
   * issued by a CA made for the test.
   */
  private static Map<String, String> prodEnvironment() throws Exception {
    Path dir = certs.resolve("gateway");
    if (!java.nio.file.Files.exists(dir)) {
      DevCertificates ca = DevCertificates.authority("shipped profiles CA", Duration.ofDays(1));
      DevCertificates.Issued gateway = ca.issue("gateway", Duration.ofHours(1), dir);
      ca.writeCertificate(dir.resolve("ca.crt"));
      java.nio.file.Files.move(gateway.certificate(), dir.resolve("tls.crt"));
      java.nio.file.Files.move(gateway.key(), dir.resolve("tls.key"));
    }
    Map<String, String> env = new java.util.HashMap<>();
    env.put("COURIER_KAFKA_BOOTSTRAP_SERVERS", "kafka-0.kafka:9092,kafka-1.kafka:9092");
    env.put("COURIER_DISCOVERY_CONSUL_HOST", "consul.consul");
    env.put("COURIER_CLUSTER_PUBLIC_HOST", "10.1.2.3");
    env.put("COURIER_GATEWAY_AUTH_JWKS_URL", "https://auth.example.com/.well-known/jwks.json");
    env.put("COURIER_SECURITY_IDENTITY_KEY", IDENTITY_KEY);
    env.put("COURIER_SECURITY_MTLS_CERT_FILE", dir.resolve("tls.crt").toString());
    env.put("COURIER_SECURITY_MTLS_KEY_FILE", dir.resolve("tls.key").toString());
    env.put("COURIER_SECURITY_MTLS_CA_FILE", dir.resolve("ca.crt").toString());
    return env;
  }

  private static ConfigLoader loader(Map<String, String> env, Map<String, String> props) {
    return new ConfigLoader(env, props, ROLES, DEFAULTS);
  }

  @Test
  @DisplayName("reads the shipped dev profile with embedded Kafka and no cluster")
  void shouldReadShippedDevProfile() {
    // The seed files are named relative to the repository root, where the README starts Courier.
    CourierConfig config =
        new ConfigLoader(
                Map.of(),
                Map.of(
                    "courier.services.user.seedFile",
                    CONF.resolve("seed/users.json").toString(),
                    "courier.services.inventory.seedFile",
                    CONF.resolve("seed/inventory.json").toString()),
                ROLES,
                DEFAULTS)
            .load(CONF.resolve("dev.json"));

    assertThat(config.profile()).isEqualTo("dev");
    assertThat(config.roles())
        .containsExactly(
            "kafka-bridge",
            "resilience",
            "user-service",
            "inventory-service",
            "order-service",
            "payment-service",
            "notification-service",
            "gateway");
    assertThat(config.kafka().embedded().enabled()).isTrue();
    assertThat(config.cluster().enabled()).isFalse();
    assertThat(config.section(GatewayConfig.SECTION).host()).isEqualTo("127.0.0.1");
    // One client drives the flow tests and the load simulations: no limit in development.
    assertThat(config.section(GatewayConfig.SECTION).rateLimit().enabled()).isFalse();
    // grpcurl and Postman find the services by reflection in development.
    assertThat(config.grpc().reflection()).as("grpc.reflection").isTrue();
  }

  @Test
  @DisplayName("reads the shipped cluster profile with loopback TCP-IP members")
  void shouldReadShippedClusterProfile() {
    // Every member runs the whole flow, seed files named from the repository root.
    CourierConfig config =
        loader(
                Map.of(),
                Map.of(
                    "courier.services.user.seedFile",
                    CONF.resolve("seed/users.json").toString(),
                    "courier.services.inventory.seedFile",
                    CONF.resolve("seed/inventory.json").toString()))
            .load(CONF.resolve("cluster.json"));

    assertThat(config.cluster().enabled()).isTrue();
    assertThat(config.cluster().members()).allMatch(member -> member.startsWith("127.0.0.1:"));
    assertThat(config.kafka().bootstrapServers()).isEqualTo("127.0.0.1:9092");
    // Every member runs the whole flow (the README's three-member cluster on one machine), and
    // the ports a second member would clash on are set by its command or picked free.
    assertThat(config.roles())
        .containsExactlyInAnyOrder(
            "gateway",
            "user-service",
            "inventory-service",
            "order-service",
            "payment-service",
            "notification-service");
    assertThat(config.section(GatewayConfig.SECTION).grpcPort()).isZero();
    assertThat(config.management().port()).isZero();
    assertThat(config.admin().port()).isZero();
  }

  @Test
  @DisplayName(
      "refuses the prod profile until Kafka, Consul and the pod address come from the environment")
  void shouldRequireProdValuesFromEnvironment() throws Exception {
    Path prod = CONF.resolve("prod.json");
    assertThatThrownBy(() -> new ConfigLoader(Map.of(), Map.of(), ROLES, DEFAULTS).load(prod))
        .isInstanceOfSatisfying(
            ConfigException.class,
            e ->
                assertThat(e.problems())
                    .anySatisfy(
                        p ->
                            assertThat(p)
                                .startsWith(
                                    "missing required value for key 'kafka.bootstrapServers' ("
                                        + prod
                                        + ")")
                                .contains("COURIER_KAFKA_BOOTSTRAP_SERVERS"))
                    .anySatisfy(
                        p ->
                            assertThat(p)
                                .contains("'discovery.consulHost'")
                                .contains(prod.toString()))
                    .anySatisfy(p -> assertThat(p).contains("'cluster.publicHost'"))
                    .anySatisfy(p -> assertThat(p).contains("'gateway.auth.jwksUrl'"))
                    .anySatisfy(
                        p ->
                            assertThat(p)
                                .contains("'security.identity.key'")
                                .contains("COURIER_SECURITY_IDENTITY_KEY")));

    CourierConfig config =
        new ConfigLoader(prodEnvironment(), Map.of(), ROLES, DEFAULTS).load(prod);
    assertThat(config.prod()).as("security.production").isTrue();
    assertThat(config.security().identity().required()).isTrue();
    assertThat(config.kafka().bootstrapServers())
        .isEqualTo("kafka-0.kafka:9092,kafka-1.kafka:9092");
    assertThat(config.cluster().kubernetes().enabled()).isTrue();
    assertThat(config.security().mtls().enabled()).isTrue();
    assertThat(config.grpc().reflection()).as("grpc.reflection").isFalse();
    assertThat(config.section(GatewayConfig.SECTION).rateLimit().enabled()).isTrue();
    assertThat(config.section(GatewayConfig.SECTION).rateLimit().route("placeOrder"))
        .isEqualTo(new RouteRateLimitConfig(20, 40));
  }

  @Test
  @DisplayName("refuses fault injection in the prod profile, naming the key and where it was set")
  void shouldRefuseFaultInjectionInProd() throws Exception {
    Path prod = CONF.resolve("prod.json");
    Map<String, String> env = prodEnvironment();
    env.put("COURIER_ADMIN_FAULT_INJECTION", "true");
    assertThatThrownBy(() -> new ConfigLoader(env, Map.of(), ROLES, DEFAULTS).load(prod))
        .isInstanceOfSatisfying(
            ConfigException.class,
            e ->
                assertThat(e.problems())
                    .singleElement()
                    .satisfies(
                        p ->
                            assertThat(p)
                                .startsWith("key 'admin.faultInjection' (")
                                .contains("COURIER_ADMIN_FAULT_INJECTION")
                                .contains("production (security.production) refuses")));
    assertThat(
            loader(
                    Map.of(
                        "COURIER_ADMIN_FAULT_INJECTION",
                        "true",
                        "COURIER_KAFKA_BOOTSTRAP_SERVERS",
                        "127.0.0.1:9092"),
                    Map.of())
                .load(null)
                .admin())
        .extracting(AdminConfig::faultInjection)
        .isEqualTo(true);
  }

  @Test
  @DisplayName(
      "refuses every development shortcut under security.production, whatever the profile is"
          + " called, naming each key")
  void shouldRefuseDevelopmentShortcutsInProduction() throws Exception {
    Map<String, String> env = prodEnvironment();
    env.put("COURIER_PROFILE", "staging-eu");
    env.put("COURIER_SECURITY_MTLS_ENABLED", "false");
    env.put("COURIER_KAFKA_EMBEDDED_ENABLED", "true");
    env.put("COURIER_ADMIN_HOST", "0.0.0.0");
    env.put("COURIER_SECURITY_IDENTITY_REQUIRED", "false");
    env.put("COURIER_GATEWAY_AUTH_JWKS_URL", "http://auth.example.com/jwks.json");
    env.put("COURIER_GATEWAY_TLS_TERMINATED_UPSTREAM", "false");
    Path prod = CONF.resolve("prod.json");

    assertThatThrownBy(() -> new ConfigLoader(env, Map.of(), ROLES, DEFAULTS).load(prod))
        .isInstanceOfSatisfying(
            ConfigException.class,
            e ->
                assertThat(e.problems())
                    .allSatisfy(p -> assertThat(p).contains("production (security.production)"))
                    .anySatisfy(p -> assertThat(p).startsWith("key 'security.mtls.enabled' ("))
                    .anySatisfy(p -> assertThat(p).startsWith("key 'kafka.embedded.enabled' ("))
                    .anySatisfy(p -> assertThat(p).startsWith("key 'admin.host' ("))
                    .anySatisfy(p -> assertThat(p).startsWith("key 'security.identity.required' ("))
                    .anySatisfy(p -> assertThat(p).startsWith("key 'gateway.auth.jwksUrl' ("))
                    .anySatisfy(p -> assertThat(p).startsWith("key 'gateway.tls.enabled' ("))
                    .hasSize(6));

    Map<String, String> relaxed = new java.util.HashMap<>(env);
    relaxed.put("COURIER_SECURITY_PRODUCTION", "false");
    // An admin server off loopback needs a token in every profile.
    relaxed.put("COURIER_ADMIN_HOST", "127.0.0.1");
    assertThat(new ConfigLoader(relaxed, Map.of(), ROLES, DEFAULTS).load(prod).prod())
        .as("the same shortcuts without the flag: a development deployment")
        .isFalse();
  }
}
