package io.courier.runtime.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The loader's layers and messages, over the runtime's own sections and two role sections declared
 * here the way roles declare theirs: one at the top level ({@code gateway}) and one nested in the
 * runtime's {@code services} section. The real gateway and service sections are tested in their
 * modules, the shipped profiles in the app module.
 */
@DisplayName("The configuration loader")
class ConfigLoaderTest {

  /** A role's section at the top level. */
  record Edge(int port) {
    public Edge {
      new ConfigChecks().port("port", port).orThrow();
    }
  }

  /** A role's section nested in the runtime's {@code services}. */
  record Provider(double declineRate) {
    public Provider {
      new ConfigChecks().share("declineRate", declineRate).orThrow();
    }
  }

  private static final ConfigSection<Edge> EDGE =
      ConfigSection.of("gateway", Edge.class, new Edge(8080));
  private static final ConfigSection<Provider> PROVIDER =
      ConfigSection.of("services.paymentProvider", Provider.class, new Provider(0.1));

  private static final Map<String, List<ConfigSection<?>>> ROLES =
      Map.of(
          "gateway",
          List.of(EDGE),
          "kafka-bridge",
          List.of(),
          "resilience",
          List.of(),
          "order-service",
          List.of(PROVIDER));

  @TempDir Path dir;

  private static ConfigLoader loader(Map<String, String> env, Map<String, String> props) {
    return new ConfigLoader(env, props, ROLES, List.of("gateway"));
  }

  private Path file(String json) throws IOException {
    Path file = dir.resolve("courier.json");
    Files.writeString(file, json);
    return file;
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

    assertThat(config.section(EDGE).port()).isEqualTo(18080);
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

    assertThat(config.section(EDGE).port()).isEqualTo(28080);
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
  @DisplayName("passes over the service links a kubelet sets for Services named courier-*")
  void shouldPassOverKubernetesServiceLinks() throws IOException {
    Path file = file("{\"kafka\": {\"embedded\": {\"enabled\": true}}}");
    // What a kubelet sets for Service courier-gateway (port 8080 "http", port 9090 "grpc") and
    // courier-kafka-bridge (no port name): the first is also the name of a real key, gateway.port.
    Map<String, String> kubelet = new java.util.TreeMap<>();
    kubelet.put("COURIER_GATEWAY_SERVICE_HOST", "10.96.0.10");
    kubelet.put("COURIER_GATEWAY_SERVICE_PORT", "8080");
    kubelet.put("COURIER_GATEWAY_SERVICE_PORT_HTTP", "8080");
    kubelet.put("COURIER_GATEWAY_SERVICE_PORT_GRPC", "9090");
    kubelet.put("COURIER_GATEWAY_PORT", "tcp://10.96.0.10:8080");
    kubelet.put("COURIER_GATEWAY_PORT_8080_TCP", "tcp://10.96.0.10:8080");
    kubelet.put("COURIER_GATEWAY_PORT_8080_TCP_PROTO", "tcp");
    kubelet.put("COURIER_GATEWAY_PORT_8080_TCP_PORT", "8080");
    kubelet.put("COURIER_GATEWAY_PORT_8080_TCP_ADDR", "10.96.0.10");
    kubelet.put("COURIER_GATEWAY_PORT_9090_TCP", "tcp://10.96.0.10:9090");
    kubelet.put("COURIER_KAFKA_BRIDGE_SERVICE_HOST", "10.96.0.11");
    kubelet.put("COURIER_KAFKA_BRIDGE_PORT", "udp://10.96.0.11:53");

    CourierConfig config = loader(kubelet, Map.of()).load(file);

    assertThat(config.section(EDGE).port()).as("the default, not the link").isEqualTo(8080);
  }

  @Test
  @DisplayName("still applies a real key named like a link, and refuses a bad value for it")
  void shouldApplyRealKeysThatLookLikeLinks() throws IOException {
    Path file = file("{\"kafka\": {\"embedded\": {\"enabled\": true}}}");

    assertThat(
            loader(Map.of("COURIER_GATEWAY_PORT", "18081"), Map.of())
                .load(file)
                .section(EDGE)
                .port())
        .isEqualTo(18081);
    assertThatThrownBy(
            () -> loader(Map.of("COURIER_GATEWAY_PORT", "http://10.0.0.1:80"), Map.of()).load(file))
        .as("not a link value (http): a bad port")
        .isInstanceOf(ConfigException.class)
        .hasMessageContaining("COURIER_GATEWAY_PORT");
    assertThatThrownBy(
            () -> loader(Map.of("COURIER_GATEWAY_PROT_8080_TCP", "x"), Map.of()).load(file))
        .as("a misspelt key is no link")
        .isInstanceOf(ConfigException.class)
        .hasMessageContaining("unknown environment variable COURIER_GATEWAY_PROT_8080_TCP");
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

    assertThat(fromFile.section(PROVIDER).declineRate()).isEqualTo(0.25);
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
  @DisplayName(
      "reads grpc.reflection (off unless set) and refuses a health watch interval out of range")
  void shouldReadTheGrpcSection() throws IOException {
    Path file =
        file(
            "{\"kafka\": {\"embedded\": {\"enabled\": true}},"
                + " \"grpc\": {\"healthWatchIntervalMs\": 250}}");

    CourierConfig config = loader(Map.of(), Map.of()).load(file);
    assertThat(config.grpc().reflection()).isFalse();
    assertThat(config.grpc().healthWatchIntervalMs()).isEqualTo(250);
    assertThat(loader(Map.of("COURIER_GRPC_REFLECTION", "true"), Map.of()).load(file).grpc())
        .isEqualTo(new GrpcConfig(true, 250));
    assertThatThrownBy(
            () -> loader(Map.of("COURIER_GRPC_REFLECTION", "maybe"), Map.of()).load(file))
        .isInstanceOf(ConfigException.class)
        .hasMessageContaining("COURIER_GRPC_REFLECTION");
    assertThatThrownBy(
            () -> loader(Map.of(), Map.of("courier.grpc.healthWatchIntervalMs", "10")).load(file))
        .isInstanceOf(ConfigException.class)
        .hasMessageContaining("grpc.healthWatchIntervalMs")
        .hasMessageContaining("must be >= 50");
    assertThatThrownBy(
            () ->
                loader(Map.of(), Map.of("courier.grpc.healthWatchIntervalMs", "600000")).load(file))
        .isInstanceOf(ConfigException.class)
        .hasMessageContaining("grpc.healthWatchIntervalMs")
        .hasMessageContaining("must be <= 60000");
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
                + " \"payments=gateway\", \"order-service/PlaceOrder=gateway\","
                + " \"order-service/A/B=gateway\", \"/PlaceOrder=gateway\","
                + " \"payments/Pay=gateway\"]}}, \"kafka\": {\"embedded\": {\"enabled\": true}}}");
    String shape = ", which is not peer, server-role=peer or server-role/Method=peer";

    assertThatThrownBy(() -> loader(Map.of(), Map.of()).load(file))
        .isInstanceOfSatisfying(
            ConfigException.class,
            e ->
                assertThat(e.problems())
                    .containsExactly(
                        "key 'security.mtls.allowedPeers' (" + file + ") holds 'a=b=c'" + shape,
                        "key 'security.mtls.allowedPeers' (" + file + ") holds '=x'" + shape,
                        "key 'security.mtls.allowedPeers' ("
                            + file
                            + ") holds 'payments=gateway', whose server 'payments' is no role;"
                            + " known roles: gateway, kafka-bridge, order-service, resilience",
                        "key 'security.mtls.allowedPeers' ("
                            + file
                            + ") holds 'order-service/A/B=gateway'"
                            + shape,
                        "key 'security.mtls.allowedPeers' ("
                            + file
                            + ") holds '/PlaceOrder=gateway'"
                            + shape,
                        "key 'security.mtls.allowedPeers' ("
                            + file
                            + ") holds 'payments/Pay=gateway', whose server 'payments' is no role;"
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
  @DisplayName("refuses a consumer release timeout a rebalance could not wait out, and defaults it")
  void shouldRefuseAReleaseTimeoutPastTheMaxPollInterval() throws IOException {
    Path file =
        file(
            "{\"kafka\": {\"embedded\": {\"enabled\": true},"
                + " \"consumer\": {\"releaseTimeoutMs\": 300000}}}");

    assertThatThrownBy(() -> loader(Map.of(), Map.of()).load(file))
        .isInstanceOfSatisfying(
            ConfigException.class,
            e ->
                assertThat(e.problems())
                    .containsExactly(
                        "key 'kafka.consumer.releaseTimeoutMs' ("
                            + file
                            + ") is 300000; must be < 300000 (Kafka's max.poll.interval.ms), or a"
                            + " rebalance would put the member out of its group"));
    Path defaults = file("{\"kafka\": {\"embedded\": {\"enabled\": true}}}");
    assertThat(loader(Map.of(), Map.of()).load(defaults).kafka().consumer().releaseTimeoutMs())
        .isEqualTo(5_000);
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

  @Test
  @DisplayName(
      "takes the Consul import with the embedded backend, and refuses it with the consul backend,"
          + " with TLS, and with a scan period under 100 ms")
  void shouldValidateTheConsulImport() throws IOException {
    DiscoveryConfig discovery =
        loader(
                Map.of(
                    "COURIER_KAFKA_BOOTSTRAP_SERVERS", "127.0.0.1:9092",
                    "COURIER_DISCOVERY_CONSUL_IMPORT", "true",
                    "COURIER_DISCOVERY_CONSUL_IMPORT_PERIOD_MS", "5000"),
                Map.of())
            .load(null)
            .discovery();
    assertThat(discovery.consulImport()).isTrue();
    assertThat(discovery.consulImportPeriodMs()).isEqualTo(5000);
    assertThat(discovery.consul()).isFalse();

    assertThatThrownBy(
            () ->
                loader(
                        Map.of(
                            "COURIER_KAFKA_BOOTSTRAP_SERVERS", "127.0.0.1:9092",
                            "COURIER_DISCOVERY_BACKEND", "consul",
                            "COURIER_DISCOVERY_CONSUL_TLS", "true",
                            "COURIER_DISCOVERY_CONSUL_IMPORT", "true",
                            "COURIER_DISCOVERY_CONSUL_IMPORT_PERIOD_MS", "50"),
                        Map.of())
                    .load(null))
        .isInstanceOfSatisfying(
            ConfigException.class,
            e ->
                assertThat(e.problems())
                    .anySatisfy(
                        p ->
                            assertThat(p)
                                .startsWith("key 'discovery.consulImport'")
                                .contains("resolves from Consul already"))
                    .anySatisfy(
                        p ->
                            assertThat(p)
                                .startsWith("key 'discovery.consulImport'")
                                .contains("plain HTTP only"))
                    .anySatisfy(
                        p -> assertThat(p).startsWith("key 'discovery.consulImportPeriodMs'")));
  }
}
