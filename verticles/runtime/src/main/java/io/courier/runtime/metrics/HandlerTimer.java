package io.courier.runtime.metrics;

import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;

/**
 * How long a Kafka consumer's handler takes per attempt, from the call to its future's completion:
 * the timer {@code courier.kafka.consumer.handler} tagged with the group, the topic (the consumed
 * topic, {@code .retry} suffix removed) and the outcome. Every tag is bounded: groups and topics
 * come from configuration, outcomes from {@link Outcome}. Like every {@code courier.*} timer it
 * gets the configured SLO buckets from the registry's filter ({@link CourierMetrics}).
 */
public final class HandlerTimer {

  /** How a handler attempt ended. */
  public enum Outcome {
    /** The handler's future succeeded. */
    SUCCESS,
    /** It failed with a retry-later or overload failure: waited out without spending attempts. */
    RETRY_LATER,
    /** It failed otherwise (or threw): retried, moved to the retry topic or dead-lettered. */
    FAILURE;

    private final String tag = name().toLowerCase(Locale.ROOT);
  }

  private final MeterRegistry registry;
  private final String group;
  private final Map<String, Timer[]> byTopic = new ConcurrentHashMap<>();

  public HandlerTimer(MeterRegistry registry, String group) {
    this.registry = registry;
    this.group = group;
  }

  /** Records one handler attempt on {@code topic} that took {@code nanos}. */
  public void record(String topic, Outcome outcome, long nanos) {
    byTopic.computeIfAbsent(topic, this::register)[outcome.ordinal()].record(
        nanos, TimeUnit.NANOSECONDS);
  }

  /** All outcomes at once, so a topic's failure series exist (at zero) before its first failure. */
  private Timer[] register(String topic) {
    Outcome[] outcomes = Outcome.values();
    Timer[] timers = new Timer[outcomes.length];
    for (Outcome outcome : outcomes) {
      timers[outcome.ordinal()] =
          Timer.builder("courier.kafka.consumer.handler")
              .description("Handler attempts of a Kafka consumer, call to completion")
              .tags("group", group, "topic", topic, "outcome", outcome.tag)
              .register(registry);
    }
    return timers;
  }
}
