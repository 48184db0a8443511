package io.courier.load;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.courier.load.InjectionProfile.Stage;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

@DisplayName("InjectionProfile")
class InjectionProfileTest {

  @Test
  void shouldRampFromOneArrivalPerSecondThenHoldTheRate() {
    InjectionProfile ramp = InjectionProfile.of("ramp", 50, 30, 5, 5, 10);

    assertThat(ramp.stages()).containsExactly(new Stage(1, 50, 5), new Stage(50, 50, 30));
    assertThat(ramp.seconds()).isEqualTo(35);
    assertThat(ramp.steps()).hasSize(2);
  }

  @Test
  void shouldHoldTheRateFromTheFirstSecondWhenSteady() {
    InjectionProfile steady = InjectionProfile.of("steady", 50, 30, 5, 5, 10);

    assertThat(steady.stages()).containsExactly(new Stage(50, 50, 30));
    assertThat(steady.arrivals()).isEqualTo(1_500);
  }

  @Test
  void shouldStepToTheSpikeBetweenTwoHalvesAtTheRate() {
    InjectionProfile spike = InjectionProfile.of("spike", 20, 21, 5, 5, 10);

    assertThat(spike.stages())
        .containsExactly(new Stage(20, 20, 10), new Stage(100, 100, 10), new Stage(20, 20, 11));
    assertThat(spike.seconds()).isEqualTo(31);
    assertThat(spike.arrivals()).isEqualTo(20 * 21 + 100 * 10);
    assertThat(spike.steps()).hasSize(3);
  }

  @Test
  void shouldLeaveOutStagesOfZeroSeconds() {
    InjectionProfile noRamp = InjectionProfile.of("ramp", 50, 30, 0, 5, 10);

    assertThat(noRamp.stages()).containsExactly(new Stage(50, 50, 30));
  }

  @Test
  void shouldNameThePropertyWhenTheProfileIsUnknown() {
    assertThatThrownBy(() -> InjectionProfile.of("burst", 50, 30, 5, 5, 10))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("courier.injection")
        .hasMessageContaining("spike");
  }

  @Test
  void shouldNameThePropertyWhenTheSpikeFactorIsBelowOne() {
    assertThatThrownBy(() -> InjectionProfile.of("spike", 50, 30, 5, 0.5, 10))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("courier.spikeFactor");
  }
}
