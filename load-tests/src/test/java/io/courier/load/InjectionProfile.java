package io.courier.load;

import static io.gatling.javaapi.core.CoreDsl.constantUsersPerSec;
import static io.gatling.javaapi.core.CoreDsl.rampUsersPerSec;

import io.gatling.javaapi.core.OpenInjectionStep;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * An open-model arrival profile: the stages of arrivals per second a simulation injects, chosen by
 * name with {@code -Dcourier.injection}.
 *
 * <ul>
 *   <li>{@code ramp} (default): from 1 arrival/s to the rate over the ramp seconds, then the rate
 *       for the given seconds;
 *   <li>{@code steady}: the rate for the given seconds from the first second;
 *   <li>{@code spike}: the rate for the first half of the given seconds, then the rate times the
 *       spike factor for the spike seconds (a step, no ramp), then the rate again for the second
 *       half, to see how the platform absorbs the burst and whether it recovers.
 * </ul>
 *
 * @param name the profile's name
 * @param stages the stages in order; none lasts zero seconds
 */
record InjectionProfile(String name, List<Stage> stages) {

  /** The property that picks the profile. */
  static final String PROPERTY = "courier.injection";

  /** The profiles there are, for messages. */
  static final List<String> NAMES = List.of("ramp", "steady", "spike");

  InjectionProfile {
    stages = List.copyOf(stages);
  }

  /**
   * One stage: arrivals per second going linearly from {@code fromPerSec} to {@code toPerSec} over
   * {@code seconds} (equal for a constant rate).
   */
  record Stage(double fromPerSec, double toPerSec, int seconds) {}

  /**
   * The profile called {@code name}.
   *
   * @throws IllegalArgumentException naming the property at fault when a name or value is bad
   */
  static InjectionProfile of(
      String name, int rate, int seconds, int rampSeconds, double spikeFactor, int spikeSeconds) {
    if (rate < 1) {
      throw new IllegalArgumentException("courier.rate must be at least 1, was " + rate);
    }
    if (seconds < 1) {
      throw new IllegalArgumentException("courier.seconds must be at least 1, was " + seconds);
    }
    if (rampSeconds < 0) {
      throw new IllegalArgumentException(
          "courier.rampSeconds must not be negative, was " + rampSeconds);
    }
    List<Stage> stages = new ArrayList<>();
    switch (name.toLowerCase(Locale.ROOT)) {
      case "ramp" -> {
        stages.add(new Stage(1, rate, rampSeconds));
        stages.add(new Stage(rate, rate, seconds));
      }
      case "steady" -> stages.add(new Stage(rate, rate, seconds));
      case "spike" -> {
        if (spikeFactor < 1) {
          throw new IllegalArgumentException(
              "courier.spikeFactor must be at least 1, was " + spikeFactor);
        }
        if (spikeSeconds < 1) {
          throw new IllegalArgumentException(
              "courier.spikeSeconds must be at least 1, was " + spikeSeconds);
        }
        double peak = rate * spikeFactor;
        stages.add(new Stage(rate, rate, seconds / 2));
        stages.add(new Stage(peak, peak, spikeSeconds));
        stages.add(new Stage(rate, rate, seconds - seconds / 2));
      }
      default ->
          throw new IllegalArgumentException(
              PROPERTY + " must be one of " + NAMES + ", was '" + name + "'");
    }
    stages.removeIf(stage -> stage.seconds() == 0);
    return new InjectionProfile(name.toLowerCase(Locale.ROOT), stages);
  }

  /** Seconds from the first arrival to the last. */
  int seconds() {
    return stages.stream().mapToInt(Stage::seconds).sum();
  }

  /** Arrivals the profile injects in all. */
  double arrivals() {
    return stages.stream()
        .mapToDouble(stage -> (stage.fromPerSec() + stage.toPerSec()) / 2 * stage.seconds())
        .sum();
  }

  /** The stages as Gatling open-model injection steps. */
  OpenInjectionStep[] steps() {
    return stages.stream()
        .map(
            stage ->
                stage.fromPerSec() == stage.toPerSec()
                    ? constantUsersPerSec(stage.fromPerSec())
                        .during(Duration.ofSeconds(stage.seconds()))
                    : rampUsersPerSec(stage.fromPerSec())
                        .to(stage.toPerSec())
                        .during(Duration.ofSeconds(stage.seconds())))
        .toArray(OpenInjectionStep[]::new);
  }

  @Override
  public String toString() {
    StringBuilder text = new StringBuilder(name).append(':');
    for (Stage stage : stages) {
      text.append(
          stage.fromPerSec() == stage.toPerSec()
              ? String.format(Locale.ROOT, " %.0f/s for %d s", stage.fromPerSec(), stage.seconds())
              : String.format(
                  Locale.ROOT,
                  " %.0f->%.0f/s over %d s",
                  stage.fromPerSec(),
                  stage.toPerSec(),
                  stage.seconds()));
    }
    return text.toString();
  }
}
