package io.courier.runtime.kafka.impl;

import java.util.Map;
import org.apache.kafka.clients.consumer.Consumer;
import org.apache.kafka.common.TopicPartition;

/** Reading assigned partitions up to the end offsets taken when the read began. */
public final class TopicEnd {

  private TopicEnd() {}

  /** True once the consumer's position in every partition reached its end offset. */
  public static boolean reached(Consumer<?, ?> consumer, Map<TopicPartition, Long> end) {
    for (Map.Entry<TopicPartition, Long> partition : end.entrySet()) {
      if (consumer.position(partition.getKey()) < partition.getValue()) {
        return false;
      }
    }
    return true;
  }
}
