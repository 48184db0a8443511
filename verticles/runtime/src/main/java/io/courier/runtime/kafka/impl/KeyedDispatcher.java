package io.courier.runtime.kafka.impl;

import io.courier.runtime.kafka.DeliveryHeaders;
import io.vertx.core.Future;
import java.util.ArrayDeque;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Function;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Hands records to the handling one key at a time: a record waits for the one before it with the
 * same key in the same topic, a topic and its retry topic counting as one (or, without a key, in
 * the same partition), while records of different keys are handled side by side. A record is done
 * once its handling completes: completed in its partition's offsets when it succeeded, and, in
 * every outcome (dropped because its partition was revoked too), finished there and no longer in
 * flight. Confined to the consumer's context.
 */
final class KeyedDispatcher {

  /** Logs as the consumer it belongs to. */
  private static final Logger LOG = LoggerFactory.getLogger(KafkaEventConsumer.class);

  private final Map<String, ArrayDeque<PolledRecord>> keyQueues = new HashMap<>();
  private final Function<PolledRecord, Future<Void>> handling;
  private final AtomicInteger inFlight;

  /**
   * @param handling completes when the record may be committed
   * @param inFlight records in flight, decremented as each one is done
   */
  KeyedDispatcher(Function<PolledRecord, Future<Void>> handling, AtomicInteger inFlight) {
    this.handling = handling;
    this.inFlight = inFlight;
  }

  /** Handles {@code work} now, or after the records of its key handed over before it. */
  void enqueue(PolledRecord work) {
    String key = queueKey(work.record());
    ArrayDeque<PolledRecord> queue = keyQueues.get(key);
    if (queue != null) {
      queue.add(work);
      return;
    }
    keyQueues.put(key, new ArrayDeque<>());
    process(work, key);
  }

  /**
   * The queue {@code record} waits in: its key in its main topic, so a key's records on the retry
   * topic never run beside those on the main topic; a record without a key, its partition's.
   */
  private static String queueKey(ConsumerRecord<String, byte[]> record) {
    if (record.key() == null) {
      return record.topic() + '\u0000' + "#" + record.partition();
    }
    return mainTopic(record.topic()) + '\u0000' + record.key();
  }

  /** {@code topic} without the retry suffix the consumer's retry topics carry. */
  private static String mainTopic(String topic) {
    return topic.endsWith(DeliveryHeaders.RETRY_SUFFIX)
        ? topic.substring(0, topic.length() - DeliveryHeaders.RETRY_SUFFIX.length())
        : topic;
  }

  private void process(PolledRecord work, String key) {
    handling
        .apply(work)
        .onComplete(
            ar -> {
              if (ar.failed() && work.tracker().revoked()) {
                LOG.debug("record of a revoked partition dropped: {}", ar.cause().toString());
              } else if (ar.failed()) {
                LOG.warn(
                    "record {}-{}@{} left incomplete, it will be redelivered: {}",
                    work.record().topic(),
                    work.record().partition(),
                    work.record().offset(),
                    ar.cause().toString());
              } else {
                work.tracker().completed(work.record().offset());
              }
              // After the completion, so a revocation woken by it commits the record.
              work.tracker().finished();
              inFlight.decrementAndGet();
              ArrayDeque<PolledRecord> queue = keyQueues.get(key);
              PolledRecord next = queue == null ? null : queue.poll();
              if (next == null) {
                keyQueues.remove(key);
              } else {
                process(next, key);
              }
            });
  }
}
