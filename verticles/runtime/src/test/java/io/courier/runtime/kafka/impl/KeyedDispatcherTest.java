package io.courier.runtime.kafka.impl;

import static org.assertj.core.api.Assertions.assertThat;

import io.courier.runtime.kafka.DeliveryHeaders;
import io.vertx.core.Context;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.junit5.Timeout;
import io.vertx.junit5.VertxExtension;
import io.vertx.junit5.VertxTestContext;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

@ExtendWith(VertxExtension.class)
@DisplayName("The keyed dispatcher")
class KeyedDispatcherTest {

  /** What the test's handling saw, and the promises that let each record finish. */
  private final List<String> started = new ArrayList<>();

  private final Map<Long, Promise<Void>> running = new HashMap<>();
  private final AtomicInteger inFlight = new AtomicInteger();
  private final KeyedDispatcher dispatcher =
      new KeyedDispatcher(
          work -> {
            started.add(work.record().key() + "@" + work.record().offset());
            Promise<Void> done = Promise.promise();
            running.put(work.record().offset(), done);
            return done.future();
          },
          inFlight);

  @Test
  @Timeout(value = 10, timeUnit = TimeUnit.SECONDS)
  @DisplayName("hands a key's next record over only once the one before it is done")
  void shouldKeepOneKeyInOrder(Vertx vertx, VertxTestContext test) {
    PartitionOffsets offsets = new PartitionOffsets();
    Context context = vertx.getOrCreateContext();
    context.runOnContext(
        v -> {
          dispatch(offsets, "a", 0);
          dispatch(offsets, "a", 1);
          dispatch(offsets, "a", 2);
          test.verify(() -> assertThat(started).containsExactly("a@0"));
          running.get(0L).complete();
          test.verify(() -> assertThat(started).containsExactly("a@0", "a@1"));
          running.get(1L).complete();
          running.get(2L).complete();
          test.verify(
              () -> {
                assertThat(started).containsExactly("a@0", "a@1", "a@2");
                assertThat(inFlight).hasValue(0);
                assertThat(offsets.toCommit()).isEqualTo(3);
              });
          test.completeNow();
        });
  }

  @Test
  @Timeout(value = 10, timeUnit = TimeUnit.SECONDS)
  @DisplayName("runs records of different keys, and keyless records of one partition, side by side")
  void shouldRunDifferentKeysSideBySide(Vertx vertx, VertxTestContext test) {
    PartitionOffsets offsets = new PartitionOffsets();
    vertx
        .getOrCreateContext()
        .runOnContext(
            v -> {
              dispatch(offsets, "a", 0);
              dispatch(offsets, "b", 1);
              dispatch(offsets, null, 2);
              dispatch(offsets, null, 3);
              test.verify(
                  () -> {
                    assertThat(started).containsExactly("a@0", "b@1", "null@2");
                    assertThat(inFlight).hasValue(4);
                  });
              running.get(1L).complete();
              running.get(2L).complete();
              test.verify(
                  () -> {
                    assertThat(started).containsExactly("a@0", "b@1", "null@2", "null@3");
                    assertThat(inFlight).hasValue(2);
                    assertThat(offsets.toCommit()).as("offset 0 still in flight").isZero();
                  });
              test.completeNow();
            });
  }

  @Test
  @Timeout(value = 10, timeUnit = TimeUnit.SECONDS)
  @DisplayName("leaves a failed record incomplete, and still hands over the key's next record")
  void shouldLeaveAFailedRecordIncomplete(Vertx vertx, VertxTestContext test) {
    PartitionOffsets offsets = new PartitionOffsets();
    vertx
        .getOrCreateContext()
        .runOnContext(
            v -> {
              dispatch(offsets, "a", 0);
              dispatch(offsets, "a", 1);
              running.get(0L).fail("boom");
              running.get(1L).complete();
              test.verify(
                  () -> {
                    assertThat(started).containsExactly("a@0", "a@1");
                    assertThat(inFlight).hasValue(0);
                    assertThat(offsets.toCommit()).as("redelivered from offset 0").isZero();
                  });
              test.completeNow();
            });
  }

  @Test
  @Timeout(value = 10, timeUnit = TimeUnit.SECONDS)
  @DisplayName(
      "finishes every record in its partition's offsets, succeeded, failed or dropped as revoked")
  void shouldFinishEveryRecordWhateverItsOutcome(Vertx vertx, VertxTestContext test) {
    PartitionOffsets offsets = new PartitionOffsets();
    vertx
        .getOrCreateContext()
        .runOnContext(
            v -> {
              dispatch(offsets, "a", 0);
              dispatch(offsets, "b", 1);
              dispatch(offsets, "b", 2);
              running.get(0L).complete();
              running.get(1L).fail("boom");
              test.verify(() -> assertThat(offsets.unfinished()).as("2 runs").isEqualTo(1));
              offsets.revoke();
              // What the consumer's handling answers for a record of a revoked partition.
              running.get(2L).fail("partition revoked before the record started");
              test.verify(
                  () -> {
                    assertThat(offsets.unfinished()).isZero();
                    assertThat(offsets.awaitFinished(System.nanoTime())).isTrue();
                    assertThat(offsets.toCommit()).as("1 failed: redelivered from it").isEqualTo(1);
                    assertThat(inFlight).hasValue(0);
                  });
              test.completeNow();
            });
  }

  @Test
  @Timeout(value = 10, timeUnit = TimeUnit.SECONDS)
  @DisplayName(
      "runs a key's records on the main and the retry topic one after another, in one queue")
  void shouldQueueAKeysRetryTopicRecordsWithItsMainTopicRecords(
      Vertx vertx, VertxTestContext test) {
    PartitionOffsets main = new PartitionOffsets();
    PartitionOffsets retry = new PartitionOffsets();
    String retryTopic = "orders" + DeliveryHeaders.RETRY_SUFFIX;
    vertx
        .getOrCreateContext()
        .runOnContext(
            v -> {
              dispatch(retry, retryTopic, 3, "a", 10);
              dispatch(main, "orders", 0, "a", 20);
              dispatch(main, "orders", 0, "b", 21);
              test.verify(
                  () ->
                      assertThat(started)
                          .as("a@20 waits for a@10 of the retry topic; b runs beside it")
                          .containsExactly("a@10", "b@21"));
              running.get(10L).complete();
              test.verify(
                  () -> {
                    assertThat(started).containsExactly("a@10", "b@21", "a@20");
                    assertThat(retry.toCommit()).isEqualTo(11);
                    assertThat(main.toCommit()).as("offset 20 still in flight").isEqualTo(20);
                  });
              test.completeNow();
            });
  }

  @Test
  @Timeout(value = 10, timeUnit = TimeUnit.SECONDS)
  @DisplayName("keeps a queue per partition for records without a key, retry topic or not")
  void shouldKeepKeylessRecordsPerPartition(Vertx vertx, VertxTestContext test) {
    PartitionOffsets main = new PartitionOffsets();
    PartitionOffsets retry = new PartitionOffsets();
    vertx
        .getOrCreateContext()
        .runOnContext(
            v -> {
              dispatch(main, "orders", 0, null, 1);
              dispatch(retry, "orders" + DeliveryHeaders.RETRY_SUFFIX, 0, null, 2);
              dispatch(main, "orders", 0, null, 3);
              test.verify(() -> assertThat(started).containsExactly("null@1", "null@2"));
              running.get(1L).complete();
              test.verify(() -> assertThat(started).containsExactly("null@1", "null@2", "null@3"));
              test.completeNow();
            });
  }

  private void dispatch(PartitionOffsets offsets, String key, long offset) {
    dispatch(offsets, "orders", 0, key, offset);
  }

  private void dispatch(
      PartitionOffsets offsets, String topic, int partition, String key, long offset) {
    offsets.received(offset);
    inFlight.incrementAndGet();
    ConsumerRecord<String, byte[]> record =
        new ConsumerRecord<>(topic, partition, offset, key, new byte[] {1});
    dispatcher.enqueue(new PolledRecord(record, null, null, offsets));
  }
}
