package io.courier.gateway;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.courier.gateway.GatewayConfig.RateLimitConfig;
import io.courier.gateway.GatewayConfig.RouteRateLimitConfig;
import io.courier.runtime.config.ConfigException;
import io.courier.runtime.config.ConfigLoader;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The gateway's configuration section, read by the runtime's loader as a role's section. */
@DisplayName("The gateway's configuration")
class GatewayConfigTest {

  @TempDir Path dir;

  private static ConfigLoader loader(Map<String, String> env, Map<String, String> props) {
    return new ConfigLoader(
        env,
        props,
        Map.of(
            GatewayRole.NAME,
            new GatewayRole().configSections(),
            "kafka-bridge",
            List.of(),
            "resilience",
            List.of(),
            "order-service",
            List.of()),
        List.of(GatewayRole.NAME));
  }

  private Path file(String json) throws IOException {
    Path file = dir.resolve("courier.json");
    Files.writeString(file, json);
    return file;
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
  @DisplayName("reads the bulk limits of PlaceOrders and refuses bad ones naming the key")
  void shouldRefuseBadBulkLimits() throws IOException {
    assertThat(
            loader(
                    Map.of(
                        "COURIER_GATEWAY_BULK_MAX_IN_FLIGHT",
                        "8",
                        "COURIER_KAFKA_BOOTSTRAP_SERVERS",
                        "127.0.0.1:9092"),
                    Map.of())
                .load(null)
                .section(GatewayConfig.SECTION)
                .bulk())
        .isEqualTo(new BulkConfig(8, 10_000));
    Path file = file("{\"gateway\": {\"bulk\": {\"maxInFlight\": 0, \"maxItems\": 2000000}}}");

    assertThatThrownBy(() -> loader(Map.of(), Map.of()).load(file))
        .isInstanceOfSatisfying(
            ConfigException.class,
            e ->
                assertThat(e.problems())
                    .startsWith(
                        "key 'gateway.bulk.maxInFlight' (" + file + ") is 0; must be >= 1",
                        "key 'gateway.bulk.maxItems' ("
                            + file
                            + ") is 2000000; must be <= 1000000"));
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
  @DisplayName("reads rate limits per operation, a route's 0 taking the default, and env overrides")
  void shouldReadRateLimitsPerOperation() throws IOException {
    Path file =
        file(
            "{\"kafka\": {\"bootstrapServers\": \"127.0.0.1:9092\"},"
                + " \"gateway\": {\"rateLimit\": {\"enabled\": true, \"requestsPerSecond\": 10,"
                + " \"burst\": 30, \"routes\": {\"placeOrder\": {\"requestsPerSecond\": 2}}}}}");

    RateLimitConfig limits =
        loader(Map.of("COURIER_GATEWAY_RATE_LIMIT_ROUTES_GET_STOCK_BURST", "60"), Map.of())
            .load(file)
            .section(GatewayConfig.SECTION)
            .rateLimit();

    assertThat(limits.enabled()).isTrue();
    assertThat(limits.route("placeOrder")).isEqualTo(new RouteRateLimitConfig(2, 30));
    assertThat(limits.route("getStock")).isEqualTo(new RouteRateLimitConfig(10, 60));
    assertThat(limits.route("getOrder")).isEqualTo(new RouteRateLimitConfig(10, 30));
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
}
