package io.courier.runtime.kafka.impl;

import io.courier.runtime.config.KafkaConfig.ConsumerConfig;
import io.vertx.core.Context;
import io.vertx.core.Future;
import java.util.function.BooleanSupplier;
import java.util.function.LongFunction;
import java.util.function.Supplier;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Parks a record the handler could not take: in its topic's retry topic while it has retry-topic
 * attempts left, else in its dead-letter topic, with the headers of {@link DeliveryHeaderFormat}. A
 * write Kafka refuses is tried again every second until it lands or the consumer stops; results
 * come back on the consumer's context.
 */
final class ParkingRouter {

  /** Logs as the consumer it belongs to. */
  private static final Logger LOG = LoggerFactory.getLogger(KafkaEventConsumer.class);

  private final ConsumerConfig config;
  private final ConsumerCounters counters;
  private final Context context;
  private final Supplier<RawSender> sender;
  private final BooleanSupplier running;
  private final LongFunction<Future<Void>> timer;

  /**
   * @param sender the sender the poll thread opened, once it did
   * @param running whether the consumer is still running
   * @param timer completes after the given milliseconds
   */
  ParkingRouter(
      ConsumerConfig config,
      ConsumerCounters counters,
      Context context,
      Supplier<RawSender> sender,
      BooleanSupplier running,
      LongFunction<Future<Void>> timer) {
    this.config = config;
    this.counters = counters;
    this.context = context;
    this.sender = sender;
    this.running = running;
    this.timer = timer;
  }

  /**
   * Moves the record to its retry topic, or to its dead-letter topic when retries are spent.
   *
   * @param attempts handler attempts of this delivery
   * @param deadLetterNow straight to the dead-letter topic, retries left or not
   */
  Future<Void> park(PolledRecord work, Throwable cause, int attempts, boolean deadLetterNow) {
    ConsumerRecord<String, byte[]> record = work.record();
    int totalAttempts = DeliveryHeaderFormat.attempts(record) + attempts;
    boolean toDeadLetter =
        deadLetterNow || DeliveryHeaderFormat.retries(record) >= config.retryTopicAttempts();
    ProducerRecord<String, byte[]> parked =
        toDeadLetter
            ? DeliveryHeaderFormat.toDeadLetterTopic(record, cause, totalAttempts)
            : DeliveryHeaderFormat.toRetryTopic(
                record, cause, totalAttempts, System.currentTimeMillis() + config.retryDelayMs());
    String message = String.valueOf(cause.getMessage());
    return sendUntilStopped(parked)
        .onSuccess(
            v -> {
              if (toDeadLetter) {
                counters.sentToDeadLetter.increment();
                LOG.warn(
                    "record {}-{}@{} (key {}) parked in {} after {} attempt(s): {}",
                    record.topic(),
                    record.partition(),
                    record.offset(),
                    record.key(),
                    parked.topic(),
                    totalAttempts,
                    message);
              } else {
                counters.sentToRetry.increment();
              }
            });
  }

  private Future<Void> sendUntilStopped(ProducerRecord<String, byte[]> record) {
    return sender
        .get()
        .send(record, context)
        .<Void>mapEmpty()
        .recover(
            e -> {
              if (!running.getAsBoolean()) {
                return Future.failedFuture(e);
              }
              LOG.warn("could not write to {}, trying again: {}", record.topic(), e.toString());
              return timer.apply(1_000).compose(v -> sendUntilStopped(record));
            });
  }
}
