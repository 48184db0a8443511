package io.courier.codec.kafka;

import java.time.Duration;
import java.util.function.Consumer;
import org.apache.kafka.clients.consumer.ConsumerRecords;
import org.apache.kafka.common.errors.RecordDeserializationException;

/**
 * Polls a Kafka consumer so that one record that does not decode never blocks its partition: the
 * failure is handed to a handler (to count and dead-letter it) and the consumer seeks past it.
 * Kafka's consumer otherwise throws the same exception on every poll, forever.
 */
public final class CorruptRecordSkipper {

  private CorruptRecordSkipper() {}

  /**
   * Polls once, skipping every undecodable record met on the way.
   *
   * @param consumer the consumer; used from its own thread only, like any Kafka consumer
   * @param timeout poll timeout
   * @param onCorrupt told of each skipped record: partition, offset and cause
   * @return the decoded records of this poll (possibly empty)
   */
  public static <K, V> ConsumerRecords<K, V> poll(
      org.apache.kafka.clients.consumer.Consumer<K, V> consumer,
      Duration timeout,
      Consumer<RecordDeserializationException> onCorrupt) {
    while (true) {
      try {
        return consumer.poll(timeout);
      } catch (RecordDeserializationException e) {
        onCorrupt.accept(e);
        consumer.seek(e.topicPartition(), e.offset() + 1);
      }
    }
  }
}
