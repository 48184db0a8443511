package io.courier.runtime.kafka;

import io.courier.codec.Event;
import io.vertx.core.Future;

/** Publishes domain events to Kafka topics, keyed by the event's subject. */
public interface EventPublisher {

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
