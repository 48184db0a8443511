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

  private static void failOn(LoadBalancer balancer, ServiceInstance instance, int times) {
    for (int i = 0; i < times; i++) {
      balancer.pick(List.of(instance)).orElseThrow().release(false);
    }
  }
}
