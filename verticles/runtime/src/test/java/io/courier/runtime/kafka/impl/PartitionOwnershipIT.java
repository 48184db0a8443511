package io.courier.runtime.kafka.impl;

import static org.assertj.core.api.Assertions.assertThat;

import io.courier.codec.Event;
import io.courier.contract.v1.Order;
import io.courier.contract.v1.OrderPlaced;
import io.courier.kafka.embedded.EmbeddedKafkaBroker;
import io.courier.kafka.embedded.SharedKafkaBroker;
import io.courier.runtime.config.KafkaConfig.OwnershipConfig;
import io.courier.runtime.config.KafkaConfig.TopicsConfig;
import io.courier.runtime.kafka.KafkaConnection;
import io.courier.runtime.kafka.KafkaObservability;
import io.courier.runtime.kafka.KafkaTopics;
import io.courier.runtime.kafka.OwnedPartitions;
import io.courier.runtime.kafka.OwnedPartitions.NotOwnerException;
import io.courier.runtime.kafka.OwnedPartitions.StateRecord;
import io.courier.runtime.kafka.PartitionHandler;
import io.courier.runtime.kafka.TopicSpec;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * Two instances sharing a state topic on a real broker: the group splits its partitions between
 * them, each rebuilds exactly its own, writes reach the topic only through the owner, and when one
 * leaves the other rebuilds what it wrote and serves it.
 */
@ExtendWith(SharedKafkaBroker.class)
@DisplayName("Owned partitions of a state topic")
class PartitionOwnershipIT {

  private static final int PARTITIONS = 4;
  private static final TopicsConfig TOPICS = new TopicsConfig(PARTITIONS, 1, 1);
  private static final OwnershipConfig OWNERSHIP = new OwnershipConfig(6_000, 5_000);

  private final List<Vertx> vertxes = new CopyOnWriteArrayList<>();
  private final List<OwnedPartitions> owners = new CopyOnWriteArrayList<>();

  @AfterEach
  void close() throws Exception {
    for (OwnedPartitions owner : owners) {
      owner.stop(Duration.ofSeconds(5)).await(30, TimeUnit.SECONDS);
    }
    for (Vertx vertx : vertxes) {
      vertx.close().await(30, TimeUnit.SECONDS);
    }
  }

  /** What an instance knows: the keys of each partition it serves, and what it was told. */
  static final class Instance implements PartitionHandler<Map<String, String>> {
    final Map<Integer, Map<String, String>> served = new ConcurrentHashMap<>();
    final List<String> journal = new CopyOnWriteArrayList<>();

    @Override
    public Map<String, String> rebuilding(int partition) {
      return new ConcurrentHashMap<>();
    }

    @Override
    public void replay(Map<String, String> state, String key, Event<?> event) {
      if (event == null) {
        state.remove(key);
      } else {
        state.put(key, ((OrderPlaced) event.data()).getOrder().getUserId());
      }
    }

    @Override
    public Future<Void> serve(int partition, Map<String, String> state) {
      served.put(partition, state);
      journal.add("serve " + partition);
      return Future.succeededFuture();
    }

    @Override
    public Future<Void> release(int partition) {
      served.remove(partition);
      journal.add("release " + partition);
      return Future.succeededFuture();
    }
  }

  @Test
  @Timeout(120)
  @DisplayName("splits the partitions, rebuilds each where it moves, and refuses writes elsewhere")
  void shouldSplitAndMovePartitions(EmbeddedKafkaBroker kafka) throws Exception {
    String topic = "owned-" + UUID.randomUUID();
    String group = "owners-" + UUID.randomUUID();
    KafkaTopics.ensure(kafka.bootstrapServers(), TOPICS, List.of(TopicSpec.state(topic)));

    Instance first = new Instance();
    OwnedPartitions a = start(kafka, topic, group, first);
    await("the first instance serves every partition", () -> a.serving().size() == PARTITIONS);
    for (int partition = 0; partition < PARTITIONS; partition++) {
      write(a, partition, "k" + partition, "u" + partition);
    }
    // a tombstone takes a key back
    a.write(0, List.of(new StateRecord("k0", null))).await(30, TimeUnit.SECONDS);

    Instance second = new Instance();
    OwnedPartitions b = start(kafka, topic, group, second);
    await(
        "the partitions split between the two",
        () ->
            !a.serving().isEmpty()
                && !b.serving().isEmpty()
                && a.serving().size() + b.serving().size() == PARTITIONS);
    assertThat(intersection(a.serving(), b.serving())).isEmpty();
    for (int partition : b.serving()) {
      assertThat(first.journal).contains("release " + partition);
      Map<String, String> rebuilt = second.served.get(partition);
      if (partition == 0) {
        assertThat(rebuilt).doesNotContainKey("k0");
      } else {
        assertThat(rebuilt).containsEntry("k" + partition, "u" + partition);
      }
      Throwable refused = writeFailure(a, partition);
      assertThat(refused).isInstanceOf(NotOwnerException.class);
    }

    int moved = b.serving().iterator().next();
    write(b, moved, "later", "u-later");
    a.stop(Duration.ofSeconds(10)).await(30, TimeUnit.SECONDS);
    owners.remove(a);
    await("the second instance serves every partition", () -> b.serving().size() == PARTITIONS);
    for (int partition = 1; partition < PARTITIONS; partition++) {
      assertThat(second.served.get(partition)).containsEntry("k" + partition, "u" + partition);
    }
    assertThat(second.served.get(0)).doesNotContainKey("k0");
    assertThat(writeFailure(a, moved)).isInstanceOf(NotOwnerException.class);

    // A newcomer after both rebuilds everything either of them wrote, and only that.
    b.stop(Duration.ofSeconds(10)).await(30, TimeUnit.SECONDS);
    owners.remove(b);
    Instance third = new Instance();
    OwnedPartitions c = start(kafka, topic, group, third);
    await("the newcomer serves every partition", () -> c.serving().size() == PARTITIONS);
    assertThat(third.served.get(moved)).containsEntry("later", "u-later");
    for (int partition = 1; partition < PARTITIONS; partition++) {
      assertThat(third.served.get(partition)).containsEntry("k" + partition, "u" + partition);
    }
    assertThat(third.served.get(0)).isEmpty();
  }

  private OwnedPartitions start(
      EmbeddedKafkaBroker kafka, String topic, String group, Instance instance) throws Exception {
    Vertx vertx = Vertx.vertx();
    vertxes.add(vertx);
    OwnedPartitions owner =
        OwnedPartitions.create(
            vertx,
            KafkaConnection.plaintext(kafka.bootstrapServers()),
            topic,
            group,
            OWNERSHIP,
            instance,
            KafkaObservability.none(vertx));
    owners.add(owner);
    // Started on a context of its own, as a verticle would start it.
    Promise<Void> started = Promise.promise();
    vertx.runOnContext(v -> owner.start().onComplete(started));
    started.future().await(30, TimeUnit.SECONDS);
    return owner;
  }

  private static void write(OwnedPartitions owner, int partition, String key, String user)
      throws Exception {
    owner
        .write(
            partition,
            List.of(
                new StateRecord(
                    key,
                    Event.of(
                        "/test",
                        key,
                        OrderPlaced.newBuilder()
                            .setOrder(Order.newBuilder().setId(key).setUserId(user))
                            .build()))))
        .await(30, TimeUnit.SECONDS);
  }

  private static Throwable writeFailure(OwnedPartitions owner, int partition) throws Exception {
    return owner
        .write(partition, List.of(new StateRecord("x", null)))
        .map(v -> (Throwable) null)
        .otherwise(error -> error)
        .await(30, TimeUnit.SECONDS);
  }

  private static Set<Integer> intersection(Set<Integer> a, Set<Integer> b) {
    List<Integer> both = new ArrayList<>(a);
    both.retainAll(b);
    return Set.copyOf(both);
  }

  private static void await(String what, BooleanSupplier condition) throws Exception {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
    while (!condition.getAsBoolean()) {
      if (System.nanoTime() > deadline) {
        throw new AssertionError("timed out waiting until " + what);
      }
      CompletableFuture.runAsync(
              () -> {}, CompletableFuture.delayedExecutor(100, TimeUnit.MILLISECONDS))
          .join();
    }
  }
}
