package io.courier.runtime.kafka;

import io.vertx.core.Future;
import java.time.Duration;

/**
 * An at-least-once consumer of Courier events. Records are polled on a thread of the consumer's
 * own; the handler runs on the Vert.x context that started the consumer. Offsets are committed only
 * up to the lowest record not yet completed in each partition, records with the same key are
 * handled one after another, and partitions are paused (never leaving the group) while too many
 * records are in flight.
 */
public interface EventConsumer {

  /** Joins the group and starts polling; completes once the consumer thread runs. */
  Future<Void> start();

  /**
   * Stops polling, lets in-flight handlers finish up to the deadline, commits what completed and
   * leaves the group.
   */
  Future<Void> stop(Duration deadline);

  ConsumerStats stats();
}
