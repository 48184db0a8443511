package io.courier.runtime.kafka.impl;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;

/**
 * The meters of one instance's share of a state topic, tagged with the ownership group: partitions
 * served, rebalances, how long a partition took to rebuild, and the write transactions (records
 * committed and refused, commit latency).
 */
final class OwnershipMeters {

  private final Counter rebalances;
  private final Timer rebuilds;
  private final Timer commits;
  private final Counter committed;
  private final Counter refused;

  OwnershipMeters(MeterRegistry registry, String group, Supplier<Number> serving) {
    Gauge.builder("courier.ownership.partitions", serving, s -> s.get().doubleValue())
        .description("Partitions of the state topic this instance serves")
        .tag("group", group)
        .strongReference(true)
        .register(registry);
    this.rebalances =
        Counter.builder("courier.ownership.assignments")
            .description("Partitions the group gave this instance, a count per assignment")
            .tag("group", group)
            .register(registry);
    this.rebuilds =
        Timer.builder("courier.ownership.rebuild")
            .description("From a partition's assignment to serving it (its replay)")
            .tag("group", group)
            .register(registry);
    this.commits =
        Timer.builder("courier.ownership.commit")
            .description("One write transaction: its records sent and committed")
            .tag("group", group)
            .register(registry);
    this.committed =
        Counter.builder("courier.ownership.writes")
            .description("Writes to owned partitions, by outcome")
            .tags("group", group, "outcome", "committed")
            .register(registry);
    this.refused =
        Counter.builder("courier.ownership.writes")
            .description("Writes to owned partitions, by outcome")
            .tags("group", group, "outcome", "refused")
            .register(registry);
  }

  void rebalanced() {
    rebalances.increment();
  }

  void rebuilt(long nanos) {
    rebuilds.record(nanos, TimeUnit.NANOSECONDS);
  }

  void committed(int writes, long nanos) {
    committed.increment(writes);
    commits.record(nanos, TimeUnit.NANOSECONDS);
  }

  void refused(int writes) {
    refused.increment(writes);
  }
}
