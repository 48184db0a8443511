package io.courier.codec.flow;

import java.nio.charset.StandardCharsets;
import org.apache.kafka.common.utils.Utils;

/**
 * Which partition of a state topic a key lives in, as Kafka's default partitioner puts a keyed
 * record: {@code murmur2(key) mod partitions}. The instance that owns that partition is the one
 * that answers for the key; every caller computes the partition the same way and sends to that
 * partition's address ({@link Addresses}).
 */
public final class Partitions {

  private Partitions() {}

  /**
   * @param key an order id, a SKU
   * @param partitions the topic's partition count ({@code kafka.topics.partitions})
   */
  public static int of(String key, int partitions) {
    if (partitions < 1) {
      throw new IllegalArgumentException("partitions must be >= 1, was " + partitions);
    }
    return Utils.toPositive(Utils.murmur2(key.getBytes(StandardCharsets.UTF_8))) % partitions;
  }
}
