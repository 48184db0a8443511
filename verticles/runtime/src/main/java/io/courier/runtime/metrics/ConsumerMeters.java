package io.courier.runtime.metrics;

import io.courier.runtime.kafka.ConsumerStats;
import io.courier.runtime.kafka.EventConsumer;
import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.MultiGauge;
import io.micrometer.core.instrument.Tags;
import io.vertx.core.Vertx;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.ToDoubleFunction;

/**
 * A Kafka consumer's counters ({@link ConsumerStats}) as Prometheus series tagged with its group,
 * and its lag per partition (tags group, topic, partition), refreshed every few seconds. Gauges
 * read the group's current consumer, so a consumer restarted in the same process keeps its series.
 */
public final class ConsumerMeters {

  private static final long LAG_REFRESH_MS = 5_000;

  /** The series of every consumer group of one registry, registered once per group. */
  private static final class Groups {
    final Map<String, EventConsumer> live = new ConcurrentHashMap<>();
    final Map<String, MultiGauge> lags = new ConcurrentHashMap<>();
  }

  private final Vertx vertx;
  private final long timer;
  private final MultiGauge lag;
  private final String group;
  private final EventConsumer consumer;

  private ConsumerMeters(Vertx vertx, String group, EventConsumer consumer, MultiGauge lag) {
    this.vertx = vertx;
    this.group = group;
    this.consumer = consumer;
    this.lag = lag;
    this.timer = vertx.setPeriodic(LAG_REFRESH_MS, LAG_REFRESH_MS, id -> refreshLag());
  }

  /** Starts reporting {@code consumer} under {@code group}; {@link #close()} when it stops. */
  public static ConsumerMeters bind(
      Meters meters, Vertx vertx, String group, EventConsumer consumer) {
    MeterRegistry registry = meters.registry();
    Groups groups = meters.family(Groups.class, r -> new Groups());
    Map<String, EventConsumer> live = groups.live;
    if (live.put(group, consumer) == null) {
      counter(registry, live, group, "received", "Records polled", ConsumerStats::received);
      counter(
          registry,
          live,
          group,
          "handled",
          "Records whose handler succeeded",
          ConsumerStats::handled);
      counter(
          registry,
          live,
          group,
          "duplicates",
          "Redelivered records skipped by event id",
          ConsumerStats::duplicates);
      counter(
          registry,
          live,
          group,
          "retried",
          "Handler attempts repeated in place",
          ConsumerStats::retriedInPlace);
      counter(
          registry,
          live,
          group,
          "retry.topic",
          "Records moved to the retry topic",
          ConsumerStats::sentToRetry);
      counter(
          registry,
          live,
          group,
          "dead.lettered",
          "Records parked in the dead-letter topic",
          ConsumerStats::sentToDeadLetter);
      counter(registry, live, group, "commits", "Offset commits", ConsumerStats::committed);
      counter(
          registry,
          live,
          group,
          "pauses",
          "Back-pressure pauses of the partitions",
          ConsumerStats::pauses);
      counter(
          registry,
          live,
          group,
          "release.timeouts",
          "Partitions given up while handlers still ran on their records",
          ConsumerStats::releaseTimeouts);
      Gauge.builder(
              "courier.kafka.consumer.in.flight", live, m -> stat(m.get(group), s -> s.inFlight()))
          .description("Records received and not yet completed")
          .tag("group", group)
          .register(registry);
      Gauge.builder("courier.kafka.consumer.lag", live, m -> stat(m.get(group), s -> s.totalLag()))
          .description("Records behind the end of every assigned partition")
          .tag("group", group)
          .register(registry);
    }
    MultiGauge lag =
        groups.lags.computeIfAbsent(
            group,
            g ->
                MultiGauge.builder("courier.kafka.consumer.partition.lag")
                    .description("Records behind the end of the partition, per partition")
                    .tag("group", g)
                    .register(registry));
    return new ConsumerMeters(vertx, group, consumer, lag);
  }

  /** Stops refreshing the lag and drops this consumer's per-partition series. */
  public void close() {
    vertx.cancelTimer(timer);
    lag.register(List.of(), true);
  }

  private void refreshLag() {
    List<MultiGauge.Row<?>> rows = new ArrayList<>();
    for (Map.Entry<String, Long> partition : consumer.stats().lag().entrySet()) {
      String key = partition.getKey();
      int dash = key.lastIndexOf('-');
      Tags tags = Tags.of("topic", key.substring(0, dash), "partition", key.substring(dash + 1));
      rows.add(MultiGauge.Row.of(tags, partition.getValue()));
    }
    lag.register(rows, true);
  }

  private static void counter(
      MeterRegistry registry,
      Map<String, EventConsumer> live,
      String group,
      String name,
      String description,
      ToDoubleFunction<ConsumerStats> value) {
    FunctionCounter.builder("courier.kafka.consumer." + name, live, m -> stat(m.get(group), value))
        .description(description)
        .tag("group", group)
        .register(registry);
  }

  private static double stat(EventConsumer consumer, ToDoubleFunction<ConsumerStats> value) {
    return consumer == null ? Double.NaN : value.applyAsDouble(consumer.stats());
  }
}
