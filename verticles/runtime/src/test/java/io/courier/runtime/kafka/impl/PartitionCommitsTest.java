package io.courier.runtime.kafka.impl;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;
import org.apache.kafka.clients.consumer.MockConsumer;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.common.TopicPartition;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

@DisplayName("The partition commits")
class PartitionCommitsTest {

  private static final TopicPartition P0 = new TopicPartition("orders", 0);
  private static final TopicPartition P1 = new TopicPartition("orders", 1);

  private final MockConsumer<String, byte[]> consumer = new MockConsumer<>("earliest");
  private final ConsumerCounters counters = new ConsumerCounters();
  private final AtomicBoolean running = new AtomicBoolean(true);
  private final PartitionCommits commits = new PartitionCommits(counters, running::get);

  @BeforeEach
  void assign() {
    consumer.assign(List.of(P0, P1));
    commits.assigned(List.of(P0, P1));
  }

  @AfterEach
  void close() {
    consumer.close();
  }

  @Test
  @DisplayName("commit only up to the lowest record still in flight")
  void shouldCommitUpToTheLowestRecordInFlight() {
    PartitionOffsets offsets = commits.tracker(P0);
    for (long offset = 0; offset < 5; offset++) {
      offsets.received(offset);
    }
    offsets.completed(0);
    offsets.completed(1);
    offsets.completed(3);
    offsets.completed(4);

    commits.commit(consumer, false);
    assertThat(committed(P0)).isEqualTo(2);

    offsets.completed(2);
    commits.commit(consumer, false);
    assertThat(committed(P0)).isEqualTo(5);
    assertThat(committed(P1)).as("nothing received there").isNull();
    assertThat(counters.committed.sum()).isEqualTo(2);
  }

  @Test
  @DisplayName("commit past the marker that ends a transaction once every record completed")
  void shouldCommitPastTransactionMarkers() {
    PartitionOffsets offsets = commits.tracker(P0);
    for (long offset = 0; offset < 3; offset++) {
      offsets.received(offset);
    }
    // Records 0-2 were one transaction; its commit marker is offset 3, so the position is 4.
    consumer.updateBeginningOffsets(Map.of(P0, 0L, P1, 0L));
    consumer.seek(P0, 4);
    offsets.completed(0);
    offsets.completed(2);
    commits.commit(consumer, false);
    assertThat(committed(P0)).as("record 1 still in flight").isEqualTo(1);

    offsets.completed(1);
    commits.commit(consumer, false);
    assertThat(committed(P0)).as("the position, past the marker").isEqualTo(4);
    assertThat(committed(P1)).as("no record seen there, whatever its position").isNull();
  }

  @Test
  @DisplayName("commit nothing when nothing completed since the last commit")
  void shouldNotCommitTwiceWhatDidNotMove() {
    commits.tracker(P0).received(0);
    commits.tracker(P0).completed(0);
    commits.commit(consumer, true);
    commits.commit(consumer, true);
    commits.commit(consumer, false);

    assertThat(committed(P0)).isEqualTo(1);
    assertThat(counters.committed.sum()).isEqualTo(1);
  }

  @Test
  @DisplayName("commit what completed when a partition is revoked, and drop its records")
  void shouldCommitOnRevocation() {
    PartitionOffsets offsets = commits.tracker(P0);
    offsets.received(7);
    offsets.received(8);
    offsets.completed(7);

    commits.revoked(consumer, List.of(P0), System.nanoTime());

    assertThat(committed(P0)).isEqualTo(8);
    assertThat(offsets.revoked()).isTrue();
    assertThat(commits.tracker(P0)).as("tracked afresh").isNotSameAs(offsets);
    assertThat(commits.lastCommitted()).as("another member commits past it now").isEmpty();
  }

  @Test
  @DisplayName(
      "wait on revocation for the handler still running, then commit what it completed as well")
  void shouldWaitForRunningHandlersBeforeCommittingOnRevocation() throws Exception {
    PartitionOffsets offsets = commits.tracker(P0);
    offsets.received(7);
    offsets.received(8);
    offsets.completed(7);
    offsets.finished();
    ExecutorService pollThread = Executors.newSingleThreadExecutor();
    try {
      AtomicReference<Thread> revoking = new AtomicReference<>();
      Future<?> revoked =
          pollThread.submit(
              () -> {
                revoking.set(Thread.currentThread());
                commits.revoked(consumer, List.of(P0), deadlineIn(Duration.ofMinutes(1)));
              });
      awaitWaiting(revoking);

      assertThat(revoked).as("the handler of 8 still runs").isNotDone();
      assertThat(committed(P0)).as("nothing committed while it runs").isNull();
      assertThat(offsets.revoked()).as("its unstarted records are dropped meanwhile").isTrue();

      offsets.completed(8);
      offsets.finished();
      revoked.get(10, TimeUnit.SECONDS);

      assertThat(committed(P0)).as("the record the running handler completed").isEqualTo(9);
      assertThat(counters.releaseTimeouts.sum()).isZero();
    } finally {
      pollThread.shutdownNow();
    }
  }

  @Test
  @DisplayName("return from revocation at once when no handler runs there, failed ones included")
  void shouldNotWaitOnRevocationWhenNoHandlerRuns() {
    PartitionOffsets offsets = commits.tracker(P0);
    offsets.received(3);
    offsets.received(4);
    offsets.completed(3);
    offsets.finished();
    offsets.finished(); // 4 failed: done with, and left for redelivery

    assertTimeoutPreemptively(
        Duration.ofSeconds(10),
        () -> commits.revoked(consumer, List.of(P0, P1), deadlineIn(Duration.ofHours(1))));

    assertThat(committed(P0)).isEqualTo(4);
    assertThat(counters.releaseTimeouts.sum()).isZero();
  }

  @Test
  @DisplayName("let a partition go at the deadline when its handler never finishes, and count it")
  void shouldGiveUpAtTheDeadlineWhenAHandlerNeverFinishes() {
    PartitionOffsets offsets = commits.tracker(P0);
    offsets.received(5);
    offsets.received(6);
    offsets.completed(5);
    offsets.finished();
    Duration bound = Duration.ofMillis(300);

    long began = System.nanoTime();
    assertTimeoutPreemptively(
        Duration.ofSeconds(10),
        () -> commits.revoked(consumer, List.of(P0, P1), System.nanoTime() + bound.toNanos()));

    assertThat(System.nanoTime() - began)
        .as("waited the bound")
        .isGreaterThanOrEqualTo(bound.toNanos());
    assertThat(committed(P0)).as("up to the record still running").isEqualTo(6);
    assertThat(counters.releaseTimeouts.sum()).as("one partition let go").isEqualTo(1);
    assertThat(offsets.unfinished()).isEqualTo(1);
  }

  @Test
  @DisplayName("keep the offsets committed on the way out for the log")
  void shouldKeepTheOffsetsCommittedOnTheWayOut() {
    commits.tracker(P0).received(0);
    commits.tracker(P0).completed(0);
    commits.tracker(P1).received(4);
    commits.commit(consumer, false);
    running.set(false);
    commits.tracker(P1).completed(4);

    commits.revoked(consumer, List.of(P0, P1), System.nanoTime());

    assertThat(commits.lastCommitted())
        .containsExactly(Map.entry("orders-0", 1L), Map.entry("orders-1", 5L));
  }

  @Test
  @DisplayName("commit nothing for lost partitions, nor wait for their running handlers")
  void shouldCommitNothingForLostPartitions() {
    PartitionOffsets offsets = commits.tracker(P0);
    offsets.received(0);
    offsets.completed(0);
    offsets.finished();
    offsets.received(1);

    assertTimeoutPreemptively(Duration.ofSeconds(10), () -> commits.lost(List.of(P0)));

    assertThat(committed(P0)).isNull();
    assertThat(offsets.revoked()).isTrue();
    assertThat(commits.lastCommitted()).isEmpty();
  }

  private static long deadlineIn(Duration wait) {
    return System.nanoTime() + wait.toNanos();
  }

  /** Until the thread that set {@code thread} blocks waiting, or fails after 10 s. */
  private static void awaitWaiting(AtomicReference<Thread> thread) {
    long deadline = deadlineIn(Duration.ofSeconds(10));
    while (thread.get() == null || thread.get().getState() != Thread.State.TIMED_WAITING) {
      if (System.nanoTime() - deadline > 0) {
        throw new AssertionError("the revocation never waited");
      }
      Thread.onSpinWait();
    }
  }

  private Long committed(TopicPartition partition) {
    OffsetAndMetadata offset = consumer.committed(Set.of(partition)).get(partition);
    return offset == null ? null : offset.offset();
  }
}
