package io.courier.gateway;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.courier.gateway.GatewayConfig.RateLimitConfig;
import io.courier.gateway.GatewayConfig.RouteRateLimitConfig;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

@DisplayName("The client address the gateway limits by")
class ClientAddressTest {

  private final ClientAddress behindIngress =
      new ClientAddress(List.of("10.0.0.0/8", "192.168.1.7", "fd00::/8"));

  @Test
  @DisplayName("is the TCP peer when no proxy is trusted, whatever X-Forwarded-For says")
  void shouldIgnoreTheHeaderWithoutTrustedProxies() {
    ClientAddress none = new ClientAddress(List.of());

    assertThat(none.of("10.1.2.3", List.of("203.0.113.9"))).isEqualTo("10.1.2.3");
    assertThat(behindIngress.of("198.51.100.4", List.of("203.0.113.9"))).isEqualTo("198.51.100.4");
    assertThat(none.of(null, List.of())).isEqualTo("unknown");
  }

  @Test
  @DisplayName(
      "is the rightmost untrusted hop of X-Forwarded-For behind a trusted proxy, over several"
          + " headers, IPv6 included")
  void shouldTakeTheRightmostUntrustedHop() {
    assertThat(behindIngress.of("10.0.0.5", List.of("203.0.113.9"))).isEqualTo("203.0.113.9");
    assertThat(
            behindIngress.of(
                "10.0.0.5", List.of("1.1.1.1, 203.0.113.9", "192.168.1.7 , 10.20.30.40")))
        .as("a client-supplied leftmost hop is not believed")
        .isEqualTo("203.0.113.9");
    assertThat(behindIngress.of("fd12::1", List.of("2001:db8::7")))
        .isEqualTo("2001:db8:0:0:0:0:0:7");
    assertThat(behindIngress.of("10.0.0.5", List.of())).as("no header").isEqualTo("10.0.0.5");
    assertThat(behindIngress.of("10.0.0.5", List.of("10.0.0.6")))
        .as("only trusted hops: the leftmost of them")
        .isEqualTo("10.0.0.6");
  }

  @ParameterizedTest(name = "{0}")
  @ValueSource(strings = {"unknown", "evil.example.com", "_", "203.0.113.9:443x", "<script>"})
  @DisplayName("stops at a hop that is not an IP literal, and never asks DNS")
  void shouldStopAtNonAddresses(String hop) {
    assertThat(behindIngress.of("10.0.0.5", List.of("203.0.113.9, " + hop))).isEqualTo("10.0.0.5");
  }

  @Test
  @DisplayName("refuses trusted proxies and API keys that are not what they must be, by key")
  void shouldRefuseBadConfiguration() {
    assertThatThrownBy(() -> config(List.of("10.0.0.0/33"), List.of()))
        .hasMessageContaining("trustedProxies")
        .hasMessageContaining("prefix length outside 0..32");
    assertThatThrownBy(() -> config(List.of("ingress.local"), List.of()))
        .hasMessageContaining("trustedProxies")
        .hasMessageContaining("not an IP address or a CIDR range");
    assertThatThrownBy(() -> config(List.of(), List.of("my-secret-key")))
        .hasMessageContaining("apiKeys")
        .hasMessageContaining("SHA-256")
        .hasMessageNotContaining("my-secret-key");
    assertThatThrownBy(
            () ->
                new RateLimitConfig(
                    true,
                    5,
                    5,
                    10,
                    100,
                    Map.of(),
                    new RouteRateLimitConfig(10, 0),
                    List.of(),
                    List.of()))
        .hasMessageContaining("preAuth");
    assertThat(config(List.of("::1", "127.0.0.1/32"), List.of("a".repeat(64))).apiKeys())
        .hasSize(1);
  }

  private static RateLimitConfig config(List<String> proxies, List<String> keys) {
    return new RateLimitConfig(
        true, 5, 5, 10, 100, Map.of(), RateLimitConfig.DEFAULTS.preAuth(), proxies, keys);
  }
}
