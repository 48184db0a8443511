package io.courier.resilience;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

@DisplayName("The resilience policy file")
class ResiliencePoliciesTest {

  private static final Path SHIPPED = Path.of("..", "..", "conf", "resilience.json");

  private static String shipped() throws IOException {
    return Files.readString(SHIPPED);
  }

  @Test
  @DisplayName("shipped in conf/ parses, with a target for every call of the order flow")
  void shouldParseShippedFile() throws IOException {
    ResiliencePolicies policies = ResiliencePolicies.parse(shipped(), "conf/resilience.json");

    assertThat(policies.targets())
        .containsKeys("order-service", "user-service", "inventory-service", "payment-provider");
    // Placing an order is retried only because it carries an idempotency key.
    assertThat(policies.targets().get("order-service").idempotent()).isTrue();
    assertThat(policies.policies().get("writes").retryPolicy().maxAttempts()).isEqualTo(2);
    assertThat(policies.policies().get("standard").breakerPolicy().failureRatio()).isEqualTo(0.5);
  }

  @Test
  @DisplayName("refuses an unknown key, naming it")
  void shouldRefuseUnknownKey() throws IOException {
    String json = shipped().replace("\"maxQueued\": 256", "\"maxQueued\": 256, \"maxQueue\": 1");

    assertThatThrownBy(() -> ResiliencePolicies.parse(json, "r.json"))
        .isInstanceOf(InvalidPolicyException.class)
        .hasMessageStartingWith("r.json: key 'policies.standard.bulkhead.maxQueue': ")
        .hasMessageContaining("Unrecognized field \"maxQueue\"");
  }

  @Test
  @DisplayName("refuses negative durations and ratios above 1, naming each key")
  void shouldRefuseOutOfRangeValues() throws IOException {
    String json =
        shipped()
            .replace("\"attemptTimeoutMs\": 500", "\"attemptTimeoutMs\": -5")
            .replace(
                "\"failureRatio\": 0.5, \"slowCallRatio\": 0.8, \"slowCallMs\": 1000",
                "\"failureRatio\": 1.2, \"slowCallRatio\": 0.8, \"slowCallMs\": 1000");

    assertThatThrownBy(() -> ResiliencePolicies.parse(json, "r.json"))
        .hasMessageContaining("key 'policies.standard.attemptTimeoutMs' must be positive, was -5")
        .hasMessageContaining(
            "key 'policies.standard.breaker.failureRatio' must be in (0, 1], was 1.2");
  }

  @Test
  @DisplayName("refuses a target naming a policy that does not exist, and a missing field")
  void shouldRefuseDanglingPolicyAndMissingField() throws IOException {
    assertThatThrownBy(
            () ->
                ResiliencePolicies.parse(
                    shipped().replace("\"policy\": \"standard\"", "\"policy\": \"gold\""),
                    "r.json"))
        .hasMessageContaining("key 'targets.user-service.policy' names unknown policy 'gold'");
    assertThatThrownBy(
            () ->
                ResiliencePolicies.parse(
                    shipped().replace("\"deadlineMs\": 2000", "\"deadlineMs\": \"2s\""), "r.json"))
        .hasMessageStartingWith("r.json: key 'targets.user-service.deadlineMs'");
    assertThatThrownBy(() -> ResiliencePolicies.parse("{\"policies\": {}}", "r.json"))
        .isInstanceOf(InvalidPolicyException.class)
        .hasMessageContaining("targets");
  }

  @Test
  @DisplayName("refuses an unknown fallback mode and a static fallback without a value")
  void shouldRefuseBadFallbacks() throws IOException {
    String unknownMode =
        shipped()
            .replace(
                "\"maxQueued\": 256}", "\"maxQueued\": 256}, \"fallback\": {\"mode\": \"guess\"}");
    String staticWithoutValue =
        shipped()
            .replace(
                "\"maxQueued\": 256}", "\"maxQueued\": 256}, \"fallback\": {\"mode\": \"static\"}");

    assertThatThrownBy(() -> ResiliencePolicies.parse(unknownMode, "r.json"))
        .hasMessageContaining(
            "key 'policies.standard.fallback.mode' must be none, cache or static, was guess");
    assertThatThrownBy(() -> ResiliencePolicies.parse(staticWithoutValue, "r.json"))
        .hasMessageContaining(
            "key 'policies.standard.fallback.value' is required for a static fallback");
  }
}
