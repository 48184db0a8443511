package io.courier.discovery;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

@DisplayName("The load balancer")
class LoadBalancerTest {

  private static final ServiceInstance A =
      new ServiceInstance("a", "inventory", "10.0.0.1", 9000, null);
  private static final ServiceInstance B =
      new ServiceInstance("b", "inventory", "10.0.0.2", 9000, null);
  private static final ServiceInstance C =
      new ServiceInstance("c", "inventory", "10.0.0.3", 9000, null);
  private static final List<ServiceInstance> ALL = List.of(A, B, C);
  private static final OutlierPolicy OUTLIERS =
      new OutlierPolicy(3, Duration.ofSeconds(10), Duration.ofSeconds(60), 50);

  private final AtomicLong now = new AtomicLong(1_000_000_000L);

  private LoadBalancer balancer(LoadBalancer.Strategy strategy) {
    return new LoadBalancer(strategy, OUTLIERS, now::get, new Random(11));
  }

  private static Map<String, Integer> spread(LoadBalancer balancer, int calls) {
    Map<String, Integer> counts = new HashMap<>();
    for (int i = 0; i < calls; i++) {
      LoadBalancer.Lease lease = balancer.pick(ALL).orElseThrow();
      counts.merge(lease.instance().id(), 1, Integer::sum);
      lease.release(true);
    }
    return counts;
  }

  @Test
  @DisplayName("round robin spreads calls evenly")
  void shouldSpreadEvenlyWithRoundRobin() {
    assertThat(spread(balancer(LoadBalancer.Strategy.ROUND_ROBIN), 300))
        .containsEntry("a", 100)
        .containsEntry("b", 100)
        .containsEntry("c", 100);
  }

  @Test
  @DisplayName("power of two choices keeps calls away from the busiest instance")
  void shouldAvoidBusiestInstanceWithTwoChoices() {
    LoadBalancer balancer = balancer(LoadBalancer.Strategy.POWER_OF_TWO_CHOICES);
    List<LoadBalancer.Lease> heldOnA = new ArrayList<>();
    while (heldOnA.size() < 5) {
      LoadBalancer.Lease lease = balancer.pick(List.of(A)).orElseThrow();
      heldOnA.add(lease);
    }

    Map<String, Integer> counts = spread(balancer, 200);

    assertThat(counts.getOrDefault("a", 0)).isZero();
    assertThat(counts.get("b") + counts.get("c")).isEqualTo(200);
    assertThat(counts.get("b")).isBetween(60, 140);
  }

  @Test
  @DisplayName(
      "ejects an instance after consecutive failures, brings it back, and doubles the next ejection")
  void shouldEjectAndReadmit() {
    LoadBalancer balancer = balancer(LoadBalancer.Strategy.ROUND_ROBIN);
    failOn(balancer, A, 3);

    assertThat(balancer.isEjected(A)).isTrue();
    assertThat(spread(balancer, 100)).doesNotContainKey("a");

    now.addAndGet(Duration.ofSeconds(11).toNanos());
    assertThat(balancer.isEjected(A)).isFalse();
    assertThat(spread(balancer, 30)).containsKey("a");

    failOn(balancer, A, 3);
    assertThat(balancer.remainingEjection(A)).isEqualTo(Duration.ofSeconds(20));
  }

  @Test
  @DisplayName("a success resets the failure count")
  void shouldResetOnSuccess() {
    LoadBalancer balancer = balancer(LoadBalancer.Strategy.ROUND_ROBIN);
    failOn(balancer, A, 2);
    balancer.pick(List.of(A)).orElseThrow().release(true);
    failOn(balancer, A, 2);

    assertThat(balancer.isEjected(A)).isFalse();
  }

  @Test
  @DisplayName("never ejects more than the maximum share, readmitting the longest-ejected first")
  void shouldCapEjectedShare() {
    LoadBalancer balancer = balancer(LoadBalancer.Strategy.ROUND_ROBIN);
    List<ServiceInstance> pair = List.of(A, B);
    failOn(balancer, A, 3);
    now.addAndGet(1_000);
    failOn(balancer, B, 3);

    Map<String, Integer> counts = new HashMap<>();
    for (int i = 0; i < 10; i++) {
      LoadBalancer.Lease lease = balancer.pick(pair).orElseThrow();
      counts.merge(lease.instance().id(), 1, Integer::sum);
      lease.release(true);
    }
    assertThat(counts).containsOnlyKeys("a");
  }

  @Test
  @DisplayName("has nothing to offer when nothing is resolved")
  void shouldReturnEmptyForNoInstances() {
    assertThat(balancer(LoadBalancer.Strategy.ROUND_ROBIN).pick(List.of())).isEmpty();
  }

  @Test
  @DisplayName(
      "ejects an instance whose failure ratio in an interval reaches the limit, though never three in a row")
  void shouldEjectOnFailureRatio() {
    LoadBalancer balancer = ratioBalancer();
    alternateOn(balancer, A, 9);
    assertThat(balancer.isEjected(A)).as("9 calls: below minRequests").isFalse();
    balancer.pick(List.of(A)).orElseThrow().release(false);
    assertThat(balancer.isEjected(A)).as("5 of 10 failed, never 2 in a row").isTrue();
    assertThat(spread(balancer, 30)).doesNotContainKey("a");
  }

  @Test
  @DisplayName("a ratio counted in an old interval does not eject")
  void shouldForgetOldIntervals() {
    LoadBalancer balancer = ratioBalancer();
    alternateOn(balancer, A, 9);
    now.addAndGet(Duration.ofSeconds(11).toNanos());
    balancer.pick(List.of(A)).orElseThrow().release(false);
    assertThat(balancer.isEjected(A)).isFalse();
  }

  @Test
  @DisplayName("the growing ejection decays while the instance stays healthy")
  void shouldDecayEjectionGrowth() {
    LoadBalancer balancer = balancer(LoadBalancer.Strategy.ROUND_ROBIN);
    for (int round = 0; round < 3; round++) {
      failOn(balancer, A, 3);
      now.addAndGet(balancer.remainingEjection(A).toNanos());
    }
    failOn(balancer, A, 3);
    assertThat(balancer.remainingEjection(A))
        .as("fourth ejection in a row")
        .isEqualTo(Duration.ofSeconds(60));
    now.addAndGet(Duration.ofSeconds(60).toNanos());
    // 2 x maxEjection back in rotation: two doublings forgiven
    now.addAndGet(Duration.ofSeconds(120).toNanos());
    failOn(balancer, A, 3);
    assertThat(balancer.remainingEjection(A))
        .as("fifth ejection: 10 s doubled twice, not four times")
        .isEqualTo(Duration.ofSeconds(40));
  }

  @Test
  @DisplayName("skips instances the caller's gate refuses, and has none when it refuses all")
  void shouldHonourTheGate() {
    LoadBalancer balancer = balancer(LoadBalancer.Strategy.POWER_OF_TWO_CHOICES);
    Map<String, Integer> counts = new HashMap<>();
    for (int i = 0; i < 50; i++) {
      LoadBalancer.Lease lease = balancer.pick(ALL, instance -> instance != B).orElseThrow();
      counts.merge(lease.instance().id(), 1, Integer::sum);
      lease.release(true);
    }
    assertThat(counts).containsOnlyKeys("a", "c");
    assertThat(balancer.pick(ALL, instance -> false)).isEmpty();
  }

  @Test
  @DisplayName(
      "power of two choices prefers an instance that has not just failed, though the failing one"
          + " has fewer calls outstanding, and forgets the failure after the base ejection time")
  void shouldAvoidAFreshlyFailedInstance() {
    LoadBalancer balancer = balancer(LoadBalancer.Strategy.POWER_OF_TWO_CHOICES);
    List<ServiceInstance> pair = List.of(A, B);
    List<LoadBalancer.Lease> heldOnB = new ArrayList<>();
    for (int i = 0; i < 3; i++) {
      heldOnB.add(balancer.pick(List.of(B)).orElseThrow());
    }
    balancer.pick(List.of(A)).orElseThrow().release(false);

    for (int i = 0; i < 20; i++) {
      LoadBalancer.Lease lease = balancer.pick(pair).orElseThrow();
      assertThat(lease.instance()).as("call %d", i).isEqualTo(B);
      lease.release(true);
    }
    now.addAndGet(Duration.ofSeconds(11).toNanos());
    assertThat(balancer.pick(pair).orElseThrow().instance())
        .as("the failure is old: fewest outstanding wins again")
        .isEqualTo(A);
    heldOnB.forEach(lease -> lease.release(true));
  }

  @Test
  @DisplayName("forgets instances that left discovery")
  void shouldForgetInstancesThatLeft() {
    LoadBalancer balancer = balancer(LoadBalancer.Strategy.ROUND_ROBIN);
    spread(balancer, 9);
    assertThat(balancer.tracked()).isEqualTo(3);
    balancer.retain(List.of(A));
    assertThat(balancer.tracked()).isEqualTo(1);
  }

  /** Ejects at half of at least 10 calls in 10 s, or 5 failures in a row. */
  private LoadBalancer ratioBalancer() {
    return new LoadBalancer(
        LoadBalancer.Strategy.ROUND_ROBIN,
        new OutlierPolicy(
            5, 0.5, 10, Duration.ofSeconds(10), Duration.ofSeconds(1), Duration.ofSeconds(8), 50),
        now::get,
        new Random(3));
  }

  /** {@code calls} calls on the instance, succeeding and failing by turns (a success first). */
  private static void alternateOn(LoadBalancer balancer, ServiceInstance instance, int calls) {
    for (int i = 0; i < calls; i++) {
      balancer.pick(List.of(instance)).orElseThrow().release(i % 2 == 0);
    }
  }

  private static void failOn(LoadBalancer balancer, ServiceInstance instance, int times) {
    for (int i = 0; i < times; i++) {
      balancer.pick(List.of(instance)).orElseThrow().release(false);
    }
  }
}
