package io.courier.runtime.kafka;

import io.courier.runtime.config.KafkaConfig.ConsumerConfig;
import io.courier.runtime.config.KafkaConfig.TopicsConfig;
import io.courier.runtime.kafka.impl.KafkaEventConsumer;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import java.time.Duration;
import java.util.List;

/**
 * An at-least-once consumer of Courier events. Records are polled on a thread of the consumer's
 * own; the handler runs on the Vert.x context that started the consumer. Offsets are committed only
 * up to the lowest record not yet completed in each partition, records with the same key are
 * handled one after another, and partitions are paused (never leaving the group) while too many
 * records are in flight.
 */
public interface EventConsumer {

  /**
   * A consumer of {@code topics} (and of each one's {@code .retry} topic) in {@code config}'s
   * group, handing each event to {@code handler} on the context that calls {@link #start()}. Roles
   * get theirs from {@code RoleContext.consumer}, which passes the process's observability.
   */
  static EventConsumer create(
      Vertx vertx,
      KafkaConnection kafka,
      ConsumerConfig config,
      TopicsConfig topicSettings,
      List<String> topics,
      EventHandler handler,
      KafkaObservability observability) {
    return new KafkaEventConsumer(
        vertx, kafka, topics, config, topicSettings, handler, observability);
  }

  /** Joins the group and starts polling; completes once the consumer thread runs. */
  Future<Void> start();

  /**
   * Stops polling, lets in-flight handlers finish up to the deadline, commits what completed and
   * leaves the group.
   */
  Future<Void> stop(Duration deadline);

  ConsumerStats stats();
}
