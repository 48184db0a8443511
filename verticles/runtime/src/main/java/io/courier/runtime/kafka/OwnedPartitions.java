package io.courier.runtime.kafka;

import io.courier.codec.Event;
import io.courier.runtime.config.KafkaConfig.OwnershipConfig;
import io.courier.runtime.kafka.impl.PartitionOwnership;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import java.time.Duration;
import java.util.List;
import java.util.Set;

/**
 * One instance's share of a state topic: the instances of a stateful service join one consumer
 * group on its compacted state topic, and the group's cooperative protocol gives each some of its
 * partitions. For each partition it is given, the instance rebuilds exactly that partition from the
 * topic before it serves it ({@link PartitionHandler}), and releases it before another instance may
 * have it.
 *
 * <p>Writes to a partition ({@link #write}) are Kafka transactions that also commit the group's
 * offsets with the consumer's group metadata (KIP-447), so the brokers refuse them once the writer
 * is no longer the partition's owner: an instance cut off from the group (a pause, a partition of
 * the network) cannot write a key its successor already serves, and a write is acknowledged only
 * once it is durable. Readers use {@code read_committed}.
 */
public interface OwnedPartitions {

  /**
   * The ownership of {@code topic}'s partitions in {@code groupId}, for {@code handler}, by the
   * instance whose context calls {@link #start()}.
   */
  static <S> OwnedPartitions create(
      Vertx vertx,
      KafkaConnection kafka,
      String topic,
      String groupId,
      OwnershipConfig settings,
      PartitionHandler<S> handler,
      KafkaObservability observability) {
    return new PartitionOwnership<>(vertx, kafka, topic, groupId, settings, handler, observability);
  }

  /** A record to write: its key, and its event or null for a tombstone. */
  record StateRecord(String key, Event<?> event) {}

  /** Joins the group; partitions come to the handler as the group assigns them. */
  Future<Void> start();

  /** Releases every partition, then leaves the group, within {@code drain}. */
  Future<Void> stop(Duration drain);

  /**
   * Writes {@code records} to {@code partition} in one transaction; completes on the caller's
   * context once they are durable, or fails with {@link NotOwnerException} when this instance does
   * not own the partition (any more).
   */
  Future<Void> write(int partition, List<StateRecord> records);

  /** The partitions this instance serves now. */
  Set<Integer> serving();

  /** Thrown into a write, or a request, for a partition this instance does not own. */
  final class NotOwnerException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    public NotOwnerException(String message) {
      super(message, null, false, false);
    }
  }
}
