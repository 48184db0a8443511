package io.courier.runtime.kafka.impl;

import static org.assertj.core.api.Assertions.assertThat;

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

  private void dispatch(PartitionOffsets offsets, String key, long offset) {
    offsets.received(offset);
    inFlight.incrementAndGet();
    ConsumerRecord<String, byte[]> record =
        new ConsumerRecord<>("orders", 0, offset, key, new byte[] {1});
    dispatcher.enqueue(new PolledRecord(record, null, null, offsets));
  }
}
