package io.courier.service;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.catchThrowable;
import static org.assertj.core.api.Assertions.within;

import io.courier.discovery.ServiceInstance;
import io.courier.resilience.FailureClass;
import io.courier.resilience.FailureClassifier;
import io.courier.resilience.Routing;
import io.vertx.grpc.common.GrpcStatus;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

@DisplayName("Choosing the version a call goes to")
class VersionRouterTest {

  private static final String TARGET = "inventory-service";

  /** Two instances of version 1 (zones a and b) and one of version 2 (zone b). */
  private static final List<ServiceInstance> KNOWN =
      List.of(instance(9001, "1", "a"), instance(9002, "1", "b"), instance(9003, "2", "b"));

  private static ServiceInstance instance(int port, String version, String zone) {
    return new ServiceInstance(
        "i" + port, TARGET, "127.0.0.1", port, Map.of("version", version, "zone", zone));
  }

  private static Routing weights(Map<String, Integer> weights, String stickyBy) {
    return new Routing(null, weights, stickyBy, null, null);
  }

  private static String choose(Routing routing, String requested, String key, Random random) {
    return VersionRouter.choose(
        TARGET,
        routing,
        KNOWN,
        requested == null ? null : new RequestedVersion(requested),
        key,
        random);
  }

  @Test
  @DisplayName("splits calls by the weights within a tolerance (fixed seed)")
  void shouldSplitByWeights() {
    Routing routing = weights(Map.of("1", 95, "2", 5), null);
    Random random = new Random(42);
    Map<String, Integer> picks = new HashMap<>();
    int calls = 20_000;
    for (int i = 0; i < calls; i++) {
      picks.merge(choose(routing, null, null, random), 1, Integer::sum);
    }
    assertThat(picks).containsOnlyKeys("1", "2");
    assertThat(picks.get("2") / (double) calls).isCloseTo(0.05, within(0.01));
  }

  @Test
  @DisplayName("gives a weighted version without instances' share to the versions that have some")
  void shouldSkipWeightedVersionWithoutInstances() {
    Routing routing = weights(Map.of("1", 50, "3", 50), null);
    Random random = new Random(1);
    for (int i = 0; i < 200; i++) {
      assertThat(choose(routing, null, null, random)).isEqualTo("1");
    }
  }

  @Test
  @DisplayName("sticks one subject to one version, spreads many subjects by the weights")
  void shouldStickPerSubject() {
    Routing routing = weights(Map.of("1", 80, "2", 20), "subject");
    Random random = new Random(7);
    int onTwo = 0;
    int subjects = 10_000;
    for (int i = 0; i < subjects; i++) {
      String subject = "user-" + i;
      String first = choose(routing, null, subject, random);
      for (int again = 0; again < 3; again++) {
        assertThat(choose(routing, null, subject, random)).as(subject).isEqualTo(first);
      }
      onTwo += "2".equals(first) ? 1 : 0;
    }
    assertThat(onTwo / (double) subjects).isCloseTo(0.2, within(0.02));
  }

  @Test
  @DisplayName("moves only the subjects in the share that changed when a weight grows")
  void shouldMoveFewSubjectsWhenWeightsChange() {
    Routing before = weights(Map.of("1", 95, "2", 5), "subject");
    Routing after = weights(Map.of("1", 90, "2", 10), "subject");
    List<String> movedBack = new ArrayList<>();
    int moved = 0;
    for (int i = 0; i < 10_000; i++) {
      String subject = "user-" + i;
      String was = choose(before, null, subject, null);
      String is = choose(after, null, subject, null);
      if (!was.equals(is)) {
        moved++;
        if ("1".equals(is)) {
          movedBack.add(subject);
        }
      }
    }
    assertThat(movedBack).as("subjects on version 2 moved back to 1").isEmpty();
    assertThat(moved / 10_000.0).isCloseTo(0.05, within(0.01));
  }

  @Test
  @DisplayName("sends a request naming a version to that version, whatever the weights say")
  void shouldFollowTheHeader() {
    Routing routing = weights(Map.of("1", 100), "subject");
    assertThat(choose(routing, "2", "user-1", new Random(3))).isEqualTo("2");
    Routing ignoring = new Routing(false, Map.of("1", 100), null, null, null);
    assertThat(choose(ignoring, "2", null, new Random(3)))
        .as("byHeader false: weights only")
        .isEqualTo("1");
  }

  @Test
  @DisplayName("refuses a requested version without instances, naming the target and version")
  void shouldRefuseAnUnknownVersion() {
    Routing routing = weights(Map.of("1", 100), null);
    assertThatThrownBy(() -> choose(routing, "9", null, new Random(3)))
        .isInstanceOfSatisfying(
            ServiceError.Failure.class,
            failure -> {
              assertThat(failure.error().status()).isEqualTo(503);
              assertThat(failure.error().type()).isEqualTo("version-unavailable");
              assertThat(failure.error().detail())
                  .isEqualTo("no instance of version '9' of inventory-service is known");
            });
    ServiceError refusal =
        ((ServiceError.Failure) catchThrowable(() -> choose(routing, "9", null, new Random(3))))
            .error();
    // Crossing a hop, the refusal is neither retried nor counted against the callee.
    assertThat(refusal.toReply().failureCode()).isEqualTo(412);
    assertThat(FailureClassifier.classify(refusal.toReply()).failureClass())
        .isEqualTo(FailureClass.CLIENT_ERROR);
    assertThat(FailureClassifier.classify(refusal.toReply()).retryable()).isFalse();
    assertThat(refusal.toGrpc().status()).isEqualTo(GrpcStatus.FAILED_PRECONDITION);
    assertThat(ServiceError.of(refusal.toReply()))
        .as("the client still sees it")
        .isEqualTo(refusal);
    Routing fallingBack = new Routing(null, Map.of("1", 100), null, null, "weights");
    assertThat(choose(fallingBack, "9", null, new Random(3)))
        .as("onMissingVersion weights")
        .isEqualTo("1");
  }

  @Test
  @DisplayName("routes any instance without weights, and refuses when no weighted version has one")
  void shouldRouteAnyWithoutWeightsAndRefuseWithoutWeightedInstances() {
    assertThat(choose(new Routing(null, null, null, true, null), null, null, new Random(3)))
        .isNull();
    assertThat(choose(null, "2", null, new Random(3))).as("no routing: header ignored").isNull();
    assertThatThrownBy(() -> choose(weights(Map.of("7", 1), null), null, null, new Random(3)))
        .isInstanceOf(ServiceError.Failure.class)
        .hasMessageContaining("no instance of a weighted version [7] of inventory-service");
  }

  @Test
  @DisplayName("tells instances of a version and of a zone apart")
  void shouldMatchVersionAndZoneTags() {
    assertThat(KNOWN.stream().filter(i -> VersionRouter.of(i, "1")).map(ServiceInstance::port))
        .containsExactly(9001, 9002);
    assertThat(KNOWN.stream().filter(i -> VersionRouter.of(i, null))).hasSize(3);
    assertThat(KNOWN.stream().filter(i -> VersionRouter.in(i, "b")).map(ServiceInstance::port))
        .containsExactly(9002, 9003);
  }

  @Test
  @DisplayName("refuses a malformed requested version, naming the header")
  void shouldRefuseAMalformedVersion() {
    assertThatThrownBy(() -> new RequestedVersion("2; drop"))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageStartingWith("x-courier-version must match");
  }
}
