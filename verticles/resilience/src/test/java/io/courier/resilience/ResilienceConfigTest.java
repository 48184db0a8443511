package io.courier.resilience;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.courier.runtime.config.InvalidConfigException;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

@DisplayName("The resilience section")
class ResilienceConfigTest {

  @Test
  @DisplayName("reads the file only by default and takes a Consul KV key when one is given")
  void shouldTakeAConsulKey() {
    assertThat(ResilienceConfig.DEFAULTS.fromConsul()).isFalse();
    ResilienceConfig config =
        new ResilienceConfig("conf/resilience.json", 2000, "courier/resilience");
    assertThat(config.fromConsul()).isTrue();
  }

  @Test
  @DisplayName("refuses a Consul key with a leading slash, a space or a control character")
  void shouldRefuseMalformedConsulKeys() {
    for (String bad : new String[] {"/courier/resilience", "courier resilience", "courier\tkey"}) {
      assertThatThrownBy(() -> new ResilienceConfig("conf/resilience.json", 2000, bad))
          .as(bad)
          .isInstanceOf(InvalidConfigException.class)
          .hasMessageContaining("consulKey");
    }
  }
}
