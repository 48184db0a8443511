package io.courier.runtime.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

@DisplayName("The configuration loader")
class ConfigLoaderTest {

  private static final Set<String> ROLES =
      Set.of("gateway", "kafka-bridge", "resilience", "order-service");
  private static final Path CONF = Path.of("..", "..", "conf");

  @TempDir Path dir;

  private static final Set<String> DEV_ROLES =
      Set.of(
          "gateway",
          "kafka-bridge",
          "resilience",
          "user-service",
          "inventory-service",
          "order-service",
          "payment-service",
          "notification-service");

  private static ConfigLoader loader(Map<String, String> env, Map<String, String> props) {
    return new ConfigLoader(env, props, ROLES);
  }

  private Path file(String json) throws IOException {
    Path file = dir.resolve("courier.json");
    Files.writeString(file, json);
    return file;
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
                DEV_ROLES)
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
    assertThat(config.gateway().host()).isEqualTo("127.0.0.1");
    // One client drives the flow tests and the load simulations: no limit in development.
    assertThat(config.gateway().rateLimit().enabled()).isFalse();
  }

  @Test
  @DisplayName("reads the shipped cluster profile with loopback TCP-IP members")
  void shouldReadShippedClusterProfile() {
    CourierConfig config = loader(Map.of(), Map.of()).load(CONF.resolve("cluster.json"));

    assertThat(config.cluster().enabled()).isTrue();
    assertThat(config.cluster().members()).allMatch(member -> member.startsWith("127.0.0.1:"));
    assertThat(config.kafka().bootstrapServers()).isEqualTo("127.0.0.1:9092");
  }

  @Test
  @DisplayName(
      "refuses the prod profile until Kafka, Consul and the pod address come from the environment")
  void shouldRequireProdValuesFromEnvironment() {
    Path prod = CONF.resolve("prod.json");
    assertThatThrownBy(() -> new ConfigLoader(Map.of(), Map.of(), DEV_ROLES).load(prod))
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
                    .anySatisfy(p -> assertThat(p).contains("'gateway.auth.jwksUrl'")));

    CourierConfig config =
        new ConfigLoader(
                Map.of(
                    "COURIER_KAFKA_BOOTSTRAP_SERVERS", "kafka-0.kafka:9092,kafka-1.kafka:9092",
                    "COURIER_DISCOVERY_CONSUL_HOST", "consul.consul",
                    "COURIER_CLUSTER_PUBLIC_HOST", "10.1.2.3",
                    "COURIER_GATEWAY_AUTH_JWKS_URL",
                        "https://auth.example.com/.well-known/jwks.json"),
                Map.of(),
                DEV_ROLES)
            .load(prod);
    assertThat(config.kafka().bootstrapServers())
        .isEqualTo("kafka-0.kafka:9092,kafka-1.kafka:9092");
    assertThat(config.cluster().kubernetes().enabled()).isTrue();
    assertThat(config.security().mtls().keyFile()).isEqualTo("/etc/courier/tls/tls.key");
    assertThat(config.gateway().rateLimit().enabled()).isTrue();
    assertThat(config.gateway().rateLimit().route("placeOrder"))
        .isEqualTo(new CourierConfig.RouteRateLimitConfig(20, 40));
  }

  @Test
  @DisplayName("names an unknown key and the file it is in, with a suggestion")
  void shouldNameUnknownKeyAndFile() throws IOException {
    Path file = file("{\"kafka\": {\"bootstrapServer\": \"127.0.0.1:9092\"}}");

    assertThatThrownBy(() -> loader(Map.of(), Map.of()).load(file))
        .isInstanceOf(ConfigException.class)
        .hasMessage(
            "unknown key 'kafka.bootstrapServer' in "
                + file
                + " (did you mean 'bootstrapServers'?)");
  }

  @Test
  @DisplayName("names a value of the wrong type, the key and the file")
  void shouldNameWrongType() throws IOException {
    Path file = file("{\"gateway\": {\"port\": \"8080\"}, \"cluster\": {\"enabled\": 1}}");

    assertThatThrownBy(() -> loader(Map.of(), Map.of()).load(file))
        .isInstanceOfSatisfying(
            ConfigException.class,
            e ->
                assertThat(e.problems())
                    .containsExactly(
                        "key 'gateway.port' in "
                            + file
                            + " must be a whole number, was a string \"8080\"",
                        "key 'cluster.enabled' in "
                            + file
                            + " must be true or false, was a number 1"));
  }

  @Test
  @DisplayName("refuses an object where a value belongs, and a value where an object belongs")
  void shouldRefuseShapeMismatch() throws IOException {
    Path file = file("{\"kafka\": \"127.0.0.1:9092\", \"roles\": [\"gateway\", 3]}");

    assertThatThrownBy(() -> loader(Map.of(), Map.of()).load(file))
        .isInstanceOfSatisfying(
            ConfigException.class,
            e ->
                assertThat(e.problems())
                    .containsExactly(
                        "key 'kafka' in "
                            + file
                            + " must be an object, was a string \"127.0.0.1:9092\"",
                        "key 'roles' in "
                            + file
                            + " must be a list of strings, was a list [\"gateway\",3]"));
  }

  @Test
  @DisplayName("names a missing required value and the file that lacks it")
  void shouldNameMissingRequiredValue() throws IOException {
    Path file = file("{\"kafka\": {\"embedded\": {\"enabled\": false}}}");

    assertThatThrownBy(() -> loader(Map.of(), Map.of()).load(file))
        .isInstanceOf(ConfigException.class)
        .hasMessageStartingWith(
            "missing required value for key 'kafka.bootstrapServers' (" + file + "): needs")
        .hasMessageContaining("COURIER_KAFKA_BOOTSTRAP_SERVERS")
        .hasMessageContaining("-Dcourier.kafka.bootstrapServers");
  }

  @Test
  @DisplayName("lets an environment variable override the file, typed like the key")
  void shouldApplyEnvironmentOverride() throws IOException {
    Path file =
        file("{\"gateway\": {\"port\": 8080}, \"kafka\": {\"embedded\": {\"enabled\": true}}}");

    CourierConfig config =
        loader(
                Map.of(
                    "COURIER_GATEWAY_PORT", "18080",
                    "COURIER_KAFKA_EMBEDDED_DATA_DIR", "/tmp/k",
                    "COURIER_ROLES", "order-service, gateway",
                    "COURIER_CLUSTER_ENABLED", "FALSE",
                    "PATH", "/usr/bin"),
                Map.of())
            .load(file);

    assertThat(config.gateway().port()).isEqualTo(18080);
    assertThat(config.kafka().embedded().dataDir()).isEqualTo("/tmp/k");
    assertThat(config.roles()).containsExactly("order-service", "gateway");
    assertThat(config.cluster().enabled()).isFalse();
  }

  @Test
  @DisplayName("lets a system property override an environment variable")
  void shouldLetSystemPropertyOverrideEnvironment() throws IOException {
    Path file = file("{\"kafka\": {\"embedded\": {\"enabled\": true}}}");

    CourierConfig config =
        loader(Map.of("COURIER_GATEWAY_PORT", "18080"), Map.of("courier.gateway.port", "28080"))
            .load(file);

    assertThat(config.gateway().port()).isEqualTo(28080);
  }

  @Test
  @DisplayName("names the variable when an environment override has the wrong type")
  void shouldNameBadEnvironmentOverride() throws IOException {
    Path file = file("{\"kafka\": {\"embedded\": {\"enabled\": true}}}");

    assertThatThrownBy(() -> loader(Map.of("COURIER_GATEWAY_PORT", "http"), Map.of()).load(file))
        .isInstanceOf(ConfigException.class)
        .hasMessage(
            "key 'gateway.port' in environment variable COURIER_GATEWAY_PORT must be a whole"
                + " number, was 'http'");
  }

  @Test
  @DisplayName("refuses a COURIER_ variable or courier. property that matches no key")
  void shouldRefuseUnknownOverrides() throws IOException {
    Path file = file("{\"kafka\": {\"embedded\": {\"enabled\": true}}}");

    assertThatThrownBy(
            () ->
                loader(Map.of("COURIER_GATEWAY_PROT", "1"), Map.of("courier.gateway.prot", "1"))
                    .load(file))
        .isInstanceOfSatisfying(
            ConfigException.class,
            e ->
                assertThat(e.problems())
                    .containsExactly(
                        "unknown environment variable COURIER_GATEWAY_PROT: no such configuration key",
                        "unknown system property courier.gateway.prot: no such configuration key"));
  }

  @Test
  @DisplayName("names a role that is not on the classpath, and where it was asked for")
  void shouldNameUnknownRole() throws IOException {
    Path file = file("{\"kafka\": {\"embedded\": {\"enabled\": true}}}");
    Map<String, ConfigLoader.Override> cli =
        Map.of("roles", new ConfigLoader.Override("gateway,payments", "--roles"));

    assertThatThrownBy(() -> loader(Map.of(), Map.of()).load(file, cli))
        .isInstanceOf(ConfigException.class)
        .hasMessage(
            "key 'roles' (--roles) names unknown role 'payments'; known roles: gateway,"
                + " kafka-bridge, order-service, resilience");
  }

  @Test
  @DisplayName("refuses out-of-range values with the key and the bound")
  void shouldRefuseOutOfRangeValues() throws IOException {
    Path file =
        file(
            "{\"gateway\": {\"port\": 70000, \"instances\": 0},"
                + " \"kafka\": {\"embedded\": {\"enabled\": true}},"
                + " \"discovery\": {\"backend\": \"zookeeper\"}}");

    assertThatThrownBy(() -> loader(Map.of(), Map.of()).load(file))
        .isInstanceOfSatisfying(
            ConfigException.class,
            e ->
                assertThat(e.problems())
                    .containsExactly(
                        "key 'discovery.backend' ("
                            + file
                            + ") is 'zookeeper'; must be one of embedded, consul",
                        "key 'gateway.port' (" + file + ") is 70000; must be a port, 0..65535",
                        "key 'gateway.instances' (" + file + ") is 0; must be >= 1"));
  }

  @Test
  @DisplayName("reads fractions and lists of numbers from files and from overrides")
  void shouldReadFractionsAndNumberLists() throws IOException {
    Path file =
        file(
            "{\"services\": {\"paymentProvider\": {\"declineRate\": 0.25}},"
                + " \"metrics\": {\"sloMillis\": [1, 2, 3]},"
                + " \"tracing\": {\"sampleRatio\": 1},"
                + " \"kafka\": {\"embedded\": {\"enabled\": true}}}");

    CourierConfig fromFile = loader(Map.of(), Map.of()).load(file);
    CourierConfig overridden =
        loader(
                Map.of(
                    "COURIER_TRACING_SAMPLE_RATIO", "0.1", "COURIER_METRICS_SLO_MILLIS", "10, 100"),
                Map.of())
            .load(file);

    assertThat(fromFile.services().paymentProvider().declineRate()).isEqualTo(0.25);
    assertThat(fromFile.metrics().sloMillis()).containsExactly(1L, 2L, 3L);
    assertThat(fromFile.tracing().sampleRatio()).isEqualTo(1.0);
    assertThat(overridden.tracing().sampleRatio()).isEqualTo(0.1);
    assertThat(overridden.metrics().sloMillis()).containsExactly(10L, 100L);
    assertThatThrownBy(
            () -> loader(Map.of("COURIER_TRACING_SAMPLE_RATIO", "a lot"), Map.of()).load(file))
        .isInstanceOf(ConfigException.class)
        .hasMessageContaining("COURIER_TRACING_SAMPLE_RATIO")
        .hasMessageContaining("a number");
    assertThatThrownBy(
            () -> loader(Map.of("COURIER_METRICS_SLO_MILLIS", "10,fast"), Map.of()).load(file))
        .isInstanceOf(ConfigException.class)
        .hasMessageContaining("COURIER_METRICS_SLO_MILLIS");
  }

  @Test
  @DisplayName("refuses TLS at the gateway without readable certificate and key files")
  void shouldRefuseTlsWithoutFiles() throws IOException {
    Path file =
        file(
            "{\"gateway\": {\"tls\": {\"enabled\": true, \"certFile\": \"/nope/gw.pem\"}},"
                + " \"kafka\": {\"embedded\": {\"enabled\": true}}}");

    assertThatThrownBy(() -> loader(Map.of(), Map.of()).load(file))
        .isInstanceOfSatisfying(
            ConfigException.class,
            e ->
                assertThat(e.problems())
                    .anySatisfy(
                        p ->
                            assertThat(p)
                                .startsWith(
                                    "key 'gateway.tls.certFile' ("
                                        + file
                                        + ") names '/nope/gw.pem'")
                                .contains("not a readable file"))
                    .anySatisfy(
                        p ->
                            assertThat(p)
                                .contains("gateway.tls.keyFile")
                                .contains("a PEM private key")));
  }

  @Test
  @DisplayName("refuses mutual TLS without readable certificate, key and CA files, naming each key")
  void shouldRefuseMtlsWithoutReadableFiles() throws IOException {
    Path cert = Files.writeString(dir.resolve("cert.pem"), "not read by the validator");
    Path file =
        file(
            "{\"security\": {\"mtls\": {\"enabled\": true, \"certFile\": \""
                + cert
                + "\", \"caFile\": \""
                + dir
                + "\"}}, \"kafka\": {\"embedded\": {\"enabled\": true}}}");

    assertThatThrownBy(() -> loader(Map.of(), Map.of()).load(file))
        .isInstanceOfSatisfying(
            ConfigException.class,
            e ->
                assertThat(e.problems())
                    .hasSize(2)
                    .anySatisfy(
                        p ->
                            assertThat(p)
                                .startsWith(
                                    "missing required value for key 'security.mtls.keyFile' ("
                                        + file
                                        + "): needs its PEM private key")
                                .contains("COURIER_SECURITY_MTLS_KEY_FILE"))
                    .anySatisfy(
                        p ->
                            assertThat(p)
                                .startsWith(
                                    "key 'security.mtls.caFile' ("
                                        + file
                                        + ") names '"
                                        + dir
                                        + "', which is not a readable file")));
  }

  @Test
  @DisplayName("takes mutual TLS settings from the environment, the allowed peers as a list")
  void shouldReadMtlsFromEnvironment() throws IOException {
    Path pem = Files.writeString(dir.resolve("any.pem"), "-");
    Path file = file("{\"kafka\": {\"embedded\": {\"enabled\": true}}}");

    CourierConfig config =
        loader(
                Map.of(
                    "COURIER_SECURITY_MTLS_ENABLED", "true",
                    "COURIER_SECURITY_MTLS_CERT_FILE", pem.toString(),
                    "COURIER_SECURITY_MTLS_KEY_FILE", pem.toString(),
                    "COURIER_SECURITY_MTLS_CA_FILE", pem.toString(),
                    "COURIER_SECURITY_MTLS_ALLOWED_PEERS",
                        "order-service=gateway, spiffe://courier/order-service"),
                Map.of())
            .load(file);

    MtlsConfig mtls = config.security().mtls();
    assertThat(mtls.enabled()).isTrue();
    assertThat(mtls.certFile()).isEqualTo(pem.toString());
    assertThat(mtls.caFile()).isEqualTo(pem.toString());
    assertThat(mtls.allowedPeers())
        .containsExactly("order-service=gateway", "spiffe://courier/order-service");
    assertThat(loader(Map.of(), Map.of()).load(file).security().mtls().enabled()).isFalse();
  }

  @Test
  @DisplayName("refuses allowed peers that are not peer or role=peer, or name no role")
  void shouldRefuseMalformedAllowedPeers() throws IOException {
    Path file =
        file(
            "{\"security\": {\"mtls\": {\"allowedPeers\": [\"gateway\", \"a=b=c\", \"=x\","
                + " \"payments=gateway\"]}}, \"kafka\": {\"embedded\": {\"enabled\": true}}}");

    assertThatThrownBy(() -> loader(Map.of(), Map.of()).load(file))
        .isInstanceOfSatisfying(
            ConfigException.class,
            e ->
                assertThat(e.problems())
                    .containsExactly(
                        "key 'security.mtls.allowedPeers' ("
                            + file
                            + ") holds 'a=b=c', which is not peer or server-role=peer",
                        "key 'security.mtls.allowedPeers' ("
                            + file
                            + ") holds '=x', which is not peer or server-role=peer",
                        "key 'security.mtls.allowedPeers' ("
                            + file
                            + ") holds 'payments=gateway', whose server 'payments' is no role;"
                            + " known roles: gateway, kafka-bridge, order-service, resilience"));
  }

  @Test
  @DisplayName("refuses a quiet period as long as the drain, and a bad management port")
  void shouldRefuseQuietPeriodPastTheDrain() throws IOException {
    Path file =
        file(
            "{\"shutdown\": {\"drainTimeoutMs\": 5000, \"quietPeriodMs\": 5000},"
                + " \"management\": {\"port\": -1},"
                + " \"kafka\": {\"embedded\": {\"enabled\": true}}}");

    assertThatThrownBy(() -> loader(Map.of(), Map.of()).load(file))
        .isInstanceOfSatisfying(
            ConfigException.class,
            e ->
                assertThat(e.problems())
                    .containsExactly(
                        "key 'shutdown.quietPeriodMs' ("
                            + file
                            + ") must be shorter than shutdown.drainTimeoutMs, which includes it",
                        "key 'management.port' (" + file + ") is -1; must be a port, 0..65535"));
  }

  @Test
  @DisplayName("points at the line and column of malformed JSON")
  void shouldPointAtMalformedJson() throws IOException {
    Path file = file("{\n  \"gateway\": {\"port\": 8080,}\n}");

    assertThatThrownBy(() -> loader(Map.of(), Map.of()).load(file))
        .isInstanceOf(ConfigException.class)
        .hasMessageStartingWith(file + ": not valid JSON at line 2, column");
  }

  @Test
  @DisplayName("names the limit JSON nested over 1,000 deep or a 1,200-digit number breaks")
  void shouldRefuseJsonPastStreamLimits() throws IOException {
    Path deep = file("{\"gateway\": " + "[".repeat(1_200) + "]".repeat(1_200) + "}");
    assertThatThrownBy(() -> loader(Map.of(), Map.of()).load(deep))
        .isInstanceOf(ConfigException.class)
        .hasMessageStartingWith(deep + ": not valid JSON: Document nesting depth (1001)");

    Path longNumber = file("{\"gateway\": {\"port\": 1" + "0".repeat(1_200) + "}}");
    assertThatThrownBy(() -> loader(Map.of(), Map.of()).load(longNumber))
        .isInstanceOf(ConfigException.class)
        .hasMessageStartingWith(longNumber + ": not valid JSON: Number value length");
  }

  @Test
  @DisplayName("refuses a file name holding a NUL character as no valid path, naming the key")
  void shouldRefuseFileNameWithNul() throws IOException {
    Path file =
        file(
            "{\"gateway\": {\"tls\": {\"enabled\": true, \"certFile\": \"cert\\u0000.pem\","
                + " \"keyFile\": \"key.pem\"}}, \"kafka\": {\"embedded\": {\"enabled\": true}}}");

    assertThatThrownBy(() -> loader(Map.of(), Map.of()).load(file))
        .isInstanceOfSatisfying(
            ConfigException.class,
            e ->
                assertThat(e.problems())
                    .contains(
                        "key 'gateway.tls.certFile' ("
                            + file
                            + ") names 'cert\u0000.pem', which is no valid path: Nul character"
                            + " not allowed"));
  }

  @Test
  @DisplayName("says so when the file does not exist")
  void shouldSayWhenFileIsMissing() {
    Path missing = dir.resolve("nope.json");
    assertThatThrownBy(() -> loader(Map.of(), Map.of()).load(missing))
        .isInstanceOf(ConfigException.class)
        .hasMessage(missing + ": no such file");
  }

  @Test
  @DisplayName("derives one environment variable per key")
  void shouldDeriveEnvironmentNames() {
    Map<String, String> names = loader(Map.of(), Map.of()).environmentNames();

    assertThat(names)
        .containsEntry("kafka.embedded.controllerPort", "COURIER_KAFKA_EMBEDDED_CONTROLLER_PORT")
        .containsEntry("roles", "COURIER_ROLES")
        .containsEntry("shutdown.drainTimeoutMs", "COURIER_SHUTDOWN_DRAIN_TIMEOUT_MS");
    assertThat(List.copyOf(names.values())).doesNotHaveDuplicates();
  }

  @Test
  @DisplayName("reads rate limits per operation, a route's 0 taking the default, and env overrides")
  void shouldReadRateLimitsPerOperation() throws IOException {
    Path file =
        file(
            "{\"kafka\": {\"bootstrapServers\": \"127.0.0.1:9092\"},"
                + " \"gateway\": {\"rateLimit\": {\"enabled\": true, \"requestsPerSecond\": 10,"
                + " \"burst\": 30, \"routes\": {\"placeOrder\": {\"requestsPerSecond\": 2}}}}}");

    CourierConfig.RateLimitConfig limits =
        loader(Map.of("COURIER_GATEWAY_RATE_LIMIT_ROUTES_GET_STOCK_BURST", "60"), Map.of())
            .load(file)
            .gateway()
            .rateLimit();

    assertThat(limits.enabled()).isTrue();
    assertThat(limits.route("placeOrder")).isEqualTo(new CourierConfig.RouteRateLimitConfig(2, 30));
    assertThat(limits.route("getStock")).isEqualTo(new CourierConfig.RouteRateLimitConfig(10, 60));
    assertThat(limits.route("getOrder")).isEqualTo(new CourierConfig.RouteRateLimitConfig(10, 30));
  }

  @Test
  @DisplayName("refuses a rate limit below its minimum and a route that is no operation, by key")
  void shouldRefuseBadRateLimits() throws IOException {
    Path file =
        file(
            "{\"gateway\": {\"rateLimit\": {\"burst\": 0,"
                + " \"routes\": {\"placeOrder\": {\"burst\": -1}, \"placeOrdr\": {}}}}}");

    assertThatThrownBy(() -> loader(Map.of(), Map.of()).load(file))
        .isInstanceOfSatisfying(
            ConfigException.class,
            e ->
                assertThat(e.problems())
                    .anySatisfy(
                        p ->
                            assertThat(p)
                                .contains("unknown key 'gateway.rateLimit.routes.placeOrdr'")
                                .contains("did you mean 'placeOrder'")));
    Path values =
        file(
            "{\"gateway\": {\"rateLimit\": {\"burst\": 0,"
                + " \"routes\": {\"placeOrder\": {\"burst\": -1}}}}}");
    assertThatThrownBy(() -> loader(Map.of(), Map.of()).load(values))
        .isInstanceOfSatisfying(
            ConfigException.class,
            e ->
                assertThat(e.problems())
                    .anySatisfy(
                        p -> assertThat(p).startsWith("key 'gateway.rateLimit.burst' (" + values))
                    .anySatisfy(
                        p ->
                            assertThat(p)
                                .startsWith("key 'gateway.rateLimit.routes.placeOrder.burst'")
                                .endsWith("must be >= 0")));
  }

  @Test
  @DisplayName("refuses fault injection in the prod profile, naming the key and where it was set")
  void shouldRefuseFaultInjectionInProd() {
    Path prod = CONF.resolve("prod.json");
    assertThatThrownBy(
            () ->
                new ConfigLoader(
                        Map.of(
                            "COURIER_KAFKA_BOOTSTRAP_SERVERS", "kafka-0.kafka:9092",
                            "COURIER_DISCOVERY_CONSUL_HOST", "consul.consul",
                            "COURIER_CLUSTER_PUBLIC_HOST", "10.1.2.3",
                            "COURIER_GATEWAY_AUTH_JWKS_URL",
                                "https://auth.example.com/.well-known/jwks.json",
                            "COURIER_ADMIN_FAULT_INJECTION", "true"),
                        Map.of(),
                        DEV_ROLES)
                    .load(prod))
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
                                .contains("prod profile refuses")));
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
      "takes Consul's ACL token and TLS from the environment, and refuses a CA without TLS, a"
          + " missing CA file and a token a header cannot carry")
  void shouldValidateConsulAccess() throws IOException {
    Path ca = dir.resolve("consul-ca.pem");
    Files.writeString(ca, "-----BEGIN CERTIFICATE-----\n");
    DiscoveryConfig discovery =
        loader(
                Map.of(
                    "COURIER_KAFKA_BOOTSTRAP_SERVERS", "127.0.0.1:9092",
                    "COURIER_DISCOVERY_BACKEND", "consul",
                    "COURIER_DISCOVERY_CONSUL_ACL_TOKEN", "b1gt0ken",
                    "COURIER_DISCOVERY_CONSUL_TLS", "true",
                    "COURIER_DISCOVERY_CONSUL_CA_FILE", ca.toString()),
                Map.of())
            .load(null)
            .discovery();
    assertThat(discovery.consulAclToken()).isEqualTo("b1gt0ken");
    assertThat(discovery.consulTls()).isTrue();
    assertThat(discovery.consulCaFile()).isEqualTo(ca.toString());

    assertThatThrownBy(
            () ->
                loader(
                        Map.of(
                            "COURIER_KAFKA_BOOTSTRAP_SERVERS", "127.0.0.1:9092",
                            "COURIER_DISCOVERY_BACKEND", "consul",
                            "COURIER_DISCOVERY_CONSUL_ACL_TOKEN", "two words",
                            "COURIER_DISCOVERY_CONSUL_CA_FILE", dir.resolve("nope.pem").toString()),
                        Map.of())
                    .load(null))
        .isInstanceOfSatisfying(
            ConfigException.class,
            e ->
                assertThat(e.problems())
                    .anySatisfy(
                        p ->
                            assertThat(p)
                                .startsWith("key 'discovery.consulCaFile'")
                                .contains("discovery.consulTls is false"))
                    .anySatisfy(
                        p ->
                            assertThat(p)
                                .startsWith("key 'discovery.consulCaFile'")
                                .contains("not a readable file"))
                    .anySatisfy(
                        p ->
                            assertThat(p)
                                .startsWith("key 'discovery.consulAclToken'")
                                .contains("a header cannot carry")));
  }
}
