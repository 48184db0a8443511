package io.courier.runtime.kafka;

import io.courier.codec.Event;
import io.courier.runtime.config.KafkaConfig.ProducerConfig;
import io.courier.runtime.kafka.impl.KafkaEventPublisher;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import java.time.Duration;

/** Publishes domain events to Kafka topics, keyed by the event's subject. */
public interface EventPublisher {

  /**
   * A publisher of its own, for a tool or a benchmark, which its creator closes; roles publish
   * through the process's shared one ({@code RoleContext.publisher()}). Created on a worker: a
   * Kafka producer does blocking work when it starts.
   */
  static Future<StandalonePublisher> create(
      Vertx vertx, KafkaConnection kafka, ProducerConfig config, KafkaObservability observability) {
    return KafkaEventPublisher.create(vertx, kafka, config, observability)
        .map(publisher -> publisher);
  }

  /** A publisher owned by whoever created it. */
  interface StandalonePublisher extends EventPublisher {

    /** Sends what is buffered, waiting up to {@code drain}, then closes the producer. */
    Future<Void> close(Duration drain);
  }

  /**
   * Sends the event and completes once every in-sync replica has it ({@code acks=all}), on the
   * caller's Vert.x context.
   */
  Future<Published> publish(String topic, Event<?> event);

  /** Succeeds when the Kafka cluster answers within a short deadline; fails with the reason. */
  Future<Void> checkReady();

  /**
   * Where an acknowledged event landed.
   *
   * @param topic the topic
   * @param partition the partition
   * @param offset the offset within the partition
   */
  record Published(String topic, int partition, long offset) {}
}
