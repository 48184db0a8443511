package io.courier.runtime;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.courier.runtime.config.ConfigChecks;
import io.courier.runtime.config.ConfigException;
import io.courier.runtime.config.ConfigSection;
import io.courier.runtime.config.CourierConfig;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

/**
 * The runtime README's "Adding a service", as written there: a role with a configuration record and
 * nothing else is read, overridden and refused like the runtime's own keys.
 */
@DisplayName("A service added as a role with its own section")
class AddingAServiceTest {

  record StockAlertsConfig(int threshold, String webhookUrl) {
    static final StockAlertsConfig DEFAULTS = new StockAlertsConfig(10, "");
    static final ConfigSection<StockAlertsConfig> SECTION =
        ConfigSection.of("services.stockAlerts", StockAlertsConfig.class, DEFAULTS);

    StockAlertsConfig {
      new ConfigChecks().atLeast("threshold", threshold, 1).url("webhookUrl", webhookUrl).orThrow();
    }
  }

  static final class StockAlertsRole implements Role {
    @Override
    public String name() {
      return "stock-alerts";
    }

    @Override
    public List<ConfigSection<?>> configSections() {
      return List.of(StockAlertsConfig.SECTION);
    }

    @Override
    public List<RoleDeployment> deployments(RoleContext context) {
      return List.of();
    }
  }

  private static final Map<String, Role> ROLES = Map.of("stock-alerts", new StockAlertsRole());

  @Test
  @DisplayName("reads its keys from the environment and system properties, under their own names")
  void shouldReadTheSectionLikeAnyOther() {
    CourierConfig config =
        Roles.configLoader(
                Map.of(
                    "COURIER_SERVICES_STOCK_ALERTS_THRESHOLD", "25",
                    "COURIER_KAFKA_BOOTSTRAP_SERVERS", "127.0.0.1:9092",
                    "COURIER_ROLES", "stock-alerts"),
                Map.of("courier.services.stockAlerts.webhookUrl", "http://127.0.0.1:9/alerts"),
                ROLES)
            .load(null);

    assertThat(config.section(StockAlertsConfig.SECTION))
        .isEqualTo(new StockAlertsConfig(25, "http://127.0.0.1:9/alerts"));
    assertThat(config.roles()).containsExactly("stock-alerts");
    assertThat(Roles.configLoader(Map.of(), Map.of(), ROLES).environmentNames())
        .containsEntry("services.stockAlerts.threshold", "COURIER_SERVICES_STOCK_ALERTS_THRESHOLD");
  }

  @Test
  @DisplayName("refuses a bad value naming the key and where it came from")
  void shouldRefuseABadValueNamingTheKey() {
    assertThatThrownBy(
            () ->
                Roles.configLoader(
                        Map.of(
                            "COURIER_SERVICES_STOCK_ALERTS_THRESHOLD", "0",
                            "COURIER_KAFKA_BOOTSTRAP_SERVERS", "127.0.0.1:9092",
                            "COURIER_ROLES", "stock-alerts"),
                        Map.of(),
                        ROLES)
                    .load(null))
        .isInstanceOf(ConfigException.class)
        .hasMessage(
            "key 'services.stockAlerts.threshold' (environment variable"
                + " COURIER_SERVICES_STOCK_ALERTS_THRESHOLD) is 0; must be >= 1");
  }
}
