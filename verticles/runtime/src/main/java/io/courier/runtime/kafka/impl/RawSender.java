package io.courier.runtime.kafka.impl;

import io.courier.runtime.kafka.KafkaConnection;
import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringSerializer;

/**
 * An idempotent {@code acks=all} producer of raw records (retry and dead-letter topics, processed
 * ids). Sends run on a thread of its own, since {@code send} may block; results come back on the
 * given context.
 */
final class RawSender implements AutoCloseable {

  private final KafkaProducer<String, byte[]> producer;
  private final ExecutorService thread;

  RawSender(String bootstrapServers, String clientId) {
    this(KafkaConnection.plaintext(bootstrapServers), clientId);
  }

  RawSender(KafkaConnection kafka, String clientId) {
    Map<String, Object> props = new HashMap<>(kafka.properties());
    props.put(ProducerConfig.ACKS_CONFIG, "all");
    props.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, true);
    props.put(ProducerConfig.LINGER_MS_CONFIG, 2);
    props.put(ProducerConfig.CLIENT_ID_CONFIG, clientId);
    this.producer = new KafkaProducer<>(props, new StringSerializer(), new ByteArraySerializer());
    this.thread =
        Executors.newSingleThreadExecutor(
            runnable -> {
              Thread t = new Thread(runnable, clientId + "-sender");
              t.setDaemon(true);
              return t;
            });
  }

  /** Sends and completes on {@code context} (or on the producer's thread when null). */
  Future<RecordMetadata> send(ProducerRecord<String, byte[]> record, Context context) {
    Promise<RecordMetadata> promise = Promise.promise();
    try {
      thread.execute(
          () -> {
            try {
              producer.send(
                  record, (metadata, error) -> complete(promise, context, metadata, error));
            } catch (RuntimeException e) {
              complete(promise, context, null, e);
            }
          });
    } catch (RejectedExecutionException e) {
      promise.fail(new IllegalStateException("sender is closed", e));
    }
    return promise.future();
  }

  private static void complete(
      Promise<RecordMetadata> promise, Context context, RecordMetadata metadata, Exception error) {
    Runnable done =
        () -> {
          if (error != null) {
            promise.fail(error);
          } else {
            promise.complete(metadata);
          }
        };
    if (context == null) {
      done.run();
    } else {
      context.runOnContext(v -> done.run());
    }
  }

  /** Blocks: flushes and closes. Call from a worker or the consumer's own thread. */
  @Override
  public void close() {
    thread.shutdown();
    try {
      thread.awaitTermination(10, TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    producer.close(Duration.ofSeconds(10));
  }
}
