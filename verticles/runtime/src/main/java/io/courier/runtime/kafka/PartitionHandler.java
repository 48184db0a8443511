package io.courier.runtime.kafka;

import io.courier.codec.Event;
import io.vertx.core.Future;

/**
 * What a stateful service does with the partitions of its state topic that it is given and that it
 * loses ({@link OwnedPartitions}). A partition is rebuilt on the ownership thread, then handed to
 * the service on its context to serve; it is released on that context before another instance gets
 * it.
 *
 * @param <S> the state of one partition, e.g. its orders by id
 */
public interface PartitionHandler<S> {

  /** Empty state for {@code partition}, about to be rebuilt. Called on the ownership thread. */
  S rebuilding(int partition);

  /**
   * One record of the partition, oldest first; {@code event} is null for a tombstone (the key was
   * taken back). Called on the ownership thread, before {@link #serve}: nothing else sees {@code
   * state} yet.
   */
  void replay(S state, String key, Event<?> event);

  /**
   * Starts answering for the partition's keys with the rebuilt {@code state} (registering the
   * partition's addresses); writes to it are accepted from now on. Called on the context that
   * started the ownership.
   */
  Future<Void> serve(int partition, S state);

  /**
   * Stops answering for the partition and completes once nothing more will be written to it: new
   * requests are turned away, the ones in progress finish. Writes for it are accepted until then.
   * Called on the context that started the ownership.
   */
  Future<Void> release(int partition);
}
