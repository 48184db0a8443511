package io.courier.resilience;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

@DisplayName("A target's routing section in the policy file")
class RoutingPolicyTest {

  private static final Path SHIPPED = Path.of("..", "..", "conf", "resilience.json");

  private static final String INVENTORY =
      "\"inventory-service\": {\"address\": \"grpc:inventory-service\", \"policy\": \"owners\","
          + " \"idempotent\": true, \"deadlineMs\": 3000, \"routing\": ";

  /** The shipped file with {@code routing} added to the inventory target. */
  private static String withRouting(String routing) throws IOException {
    String shipped = Files.readString(SHIPPED);
    assertThat(shipped).contains(INVENTORY + "{}");
    return shipped.replace(INVENTORY + "{}", INVENTORY + routing);
  }

  private static Routing parse(String routing) throws IOException {
    return ResiliencePolicies.parse(withRouting(routing), "r.json")
        .targets()
        .get("inventory-service")
        .routing();
  }

  @Test
  @DisplayName(
      "is optional, and shipped on the inventory target only: the header alone routes there")
  void shouldShipRoutingOnTheInventoryOnly() throws IOException {
    ResiliencePolicies shipped = ResiliencePolicies.parse(Files.readString(SHIPPED), "r.json");
    assertThat(shipped.targets().get("user-service").routing()).isNull();
    Routing inventory = shipped.targets().get("inventory-service").routing();
    assertThat(inventory.followsHeader()).isTrue();
    assertThat(inventory.weightsByVersion()).isEmpty();
    assertThat(inventory.fallsBackToWeights()).isFalse();
  }

  @Test
  @DisplayName("reads weights, stickiness, zone preference and the fallback, with defaults")
  void shouldReadEveryKey() throws IOException {
    Routing full =
        parse(
            "{\"byHeader\": false, \"weights\": {\"2\": 5, \"1\": 95}, \"stickyBy\": \"subject\","
                + " \"preferZone\": true, \"onMissingVersion\": \"weights\"}");
    assertThat(full.followsHeader()).isFalse();
    assertThat(full.weightsByVersion()).containsExactly(Map.entry("1", 95), Map.entry("2", 5));
    assertThat(full.stickyBy()).isEqualTo("subject");
    assertThat(full.zonePreferred()).isTrue();
    assertThat(full.fallsBackToWeights()).isTrue();

    Routing empty = parse("{}");
    assertThat(empty.followsHeader()).as("default").isTrue();
    assertThat(empty.weightsByVersion()).isEmpty();
    assertThat(empty.zonePreferred()).as("default").isFalse();
    assertThat(empty.fallsBackToWeights()).as("default: refuse").isFalse();
  }

  @Test
  @DisplayName("refuses bad weights, naming each key")
  void shouldRefuseBadWeights() throws IOException {
    assertThatThrownBy(
            () ->
                ResiliencePolicies.parse(
                    withRouting("{\"weights\": {\"1\": -1, \"bad version\": 3}}"), "r.json"))
        .isInstanceOf(InvalidPolicyException.class)
        .hasMessageContaining("key 'targets.inventory-service.routing.weights.1' must be 0..")
        .hasMessageContaining(
            "key 'targets.inventory-service.routing.weights' version 'bad version' must match");
    assertThatThrownBy(
            () -> ResiliencePolicies.parse(withRouting("{\"weights\": {\"1\": 0}}"), "r.json"))
        .hasMessageContaining(
            "key 'targets.inventory-service.routing.weights' must give at least one version a"
                + " weight above 0");
    assertThatThrownBy(() -> ResiliencePolicies.parse(withRouting("{\"weights\": {}}"), "r.json"))
        .hasMessageContaining(
            "key 'targets.inventory-service.routing.weights' must name at least one version");
    assertThatThrownBy(
            () -> ResiliencePolicies.parse(withRouting("{\"weights\": {\"1\": \"95\"}}"), "r.json"))
        .hasMessageContaining("key 'targets.inventory-service.routing.weights.1'");
  }

  @Test
  @DisplayName("refuses an unknown stickyBy, an unknown fallback and unknown keys")
  void shouldRefuseBadChoices() throws IOException {
    assertThatThrownBy(
            () ->
                ResiliencePolicies.parse(
                    withRouting(
                        "{\"weights\": {\"1\": 1}, \"stickyBy\": \"cookie\","
                            + " \"onMissingVersion\": \"any\"}"),
                    "r.json"))
        .hasMessageContaining(
            "key 'targets.inventory-service.routing.stickyBy' must be subject, was cookie")
        .hasMessageContaining(
            "key 'targets.inventory-service.routing.onMissingVersion' must be refuse or weights,"
                + " was any");
    assertThatThrownBy(
            () -> ResiliencePolicies.parse(withRouting("{\"stickyBy\": \"subject\"}"), "r.json"))
        .hasMessageContaining(
            "key 'targets.inventory-service.routing.stickyBy' needs weights to stick to");
    assertThatThrownBy(
            () -> ResiliencePolicies.parse(withRouting("{\"header\": \"x-v\"}"), "r.json"))
        .hasMessageStartingWith("r.json: key 'targets.inventory-service.routing.header'")
        .hasMessageContaining("Unrecognized field \"header\"");
  }
}
