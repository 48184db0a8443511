package io.courier.runtime.kafka.impl;

import static org.assertj.core.api.Assertions.assertThat;

import io.courier.kafka.embedded.EmbeddedKafkaBroker;
import io.courier.kafka.embedded.SharedKafkaBroker;
import io.courier.runtime.config.KafkaConfig.TopicsConfig;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import java.util.stream.IntStream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;

@ExtendWith(SharedKafkaBroker.class)
@DisplayName("The processed-events store")
class KafkaProcessedEventsIT {

  private static final long RETENTION_MS = TimeUnit.HOURS.toMillis(1);

  private final Vertx vertx = Vertx.vertx();

  @AfterEach
  void close() throws Exception {
    vertx.close().await(30, TimeUnit.SECONDS);
  }

  @Test
  @Timeout(120)
  @DisplayName(
      "keeps only the newest ids up to its capacity, and a new store reads the same ones back")
  void shouldEvictPastCapacityAndSurviveRestart(EmbeddedKafkaBroker kafka) throws Exception {
    String group = "dedupe-" + UUID.randomUUID();
    int capacity = 300;
    // Three batches on the topic (500, 500 and 200 ids), four times the capacity.
    List<String> ids = IntStream.range(0, 1_200).mapToObj(i -> "event-" + i).toList();
    List<String> newest = ids.subList(ids.size() - capacity, ids.size());

    KafkaProcessedEvents store =
        new KafkaProcessedEvents(
            kafka.bootstrapServers(), group, capacity, RETENTION_MS, TopicsConfig.DEFAULTS);
    assertThat(store.load()).as("a new group has no ids").isZero();
    // Closing the sender waits for the batches handed to it, as a consumer's stop does.
    try (RawSender sender = new RawSender(kafka.bootstrapServers(), "dedupe-test")) {
      remember(store, sender, ids).await(30, TimeUnit.SECONDS);
    }

    assertThat(ids.stream().filter(store::contains).toList())
        .as("in memory: the newest ids, as many as the capacity")
        .isEqualTo(newest);
    assertThat(store.writeFailures()).isZero();

    KafkaProcessedEvents restarted =
        new KafkaProcessedEvents(
            kafka.bootstrapServers(), group, capacity, RETENTION_MS, TopicsConfig.DEFAULTS);
    assertThat(restarted.load()).isEqualTo(capacity);
    assertThat(ids.stream().filter(restarted::contains).toList())
        .as("after a restart: the same newest ids")
        .isEqualTo(newest);

    KafkaProcessedEvents larger =
        new KafkaProcessedEvents(
            kafka.bootstrapServers(), group, 10_000, RETENTION_MS, TopicsConfig.DEFAULTS);
    assertThat(larger.load()).as("every id reached Kafka, not only those kept").isEqualTo(1_200);
    assertThat(ids).allMatch(larger::contains);
  }

  @Test
  @Timeout(120)
  @DisplayName(
      "reads on from where it stopped: ids another member wrote after its load are known after a"
          + " catch-up, and only those are read")
  void shouldCatchUpWithAnotherMembersIds(EmbeddedKafkaBroker kafka) throws Exception {
    String group = "catch-up-" + UUID.randomUUID();
    KafkaProcessedEvents other =
        new KafkaProcessedEvents(
            kafka.bootstrapServers(), group, 1_000, RETENTION_MS, TopicsConfig.DEFAULTS);
    KafkaProcessedEvents self =
        new KafkaProcessedEvents(
            kafka.bootstrapServers(), group, 1_000, RETENTION_MS, TopicsConfig.DEFAULTS);
    assertThat(self.catchUp()).as("nothing to catch up with before the first load").isZero();
    assertThat(other.load()).isZero();
    assertThat(self.load()).isZero();
    List<String> handledElsewhere = IntStream.range(0, 10).mapToObj(i -> "other-" + i).toList();
    try (RawSender sender = new RawSender(kafka.bootstrapServers(), "catch-up-test")) {
      remember(other, sender, handledElsewhere).await(30, TimeUnit.SECONDS);
    }
    assertThat(handledElsewhere).noneMatch(self::contains);

    assertThat(self.catchUp()).isEqualTo(10);
    assertThat(handledElsewhere).allMatch(self::contains);
    assertThat(self.catchUp()).as("nothing new since").isZero();

    try (RawSender sender = new RawSender(kafka.bootstrapServers(), "catch-up-test")) {
      remember(other, sender, List.of("other-late")).await(30, TimeUnit.SECONDS);
    }
    assertThat(self.catchUp()).as("only what came after the last read").isEqualTo(1);
    assertThat(self.contains("other-late")).isTrue();
  }

  /** Remembers the ids on a context, as the consumer does, and flushes what is pending. */
  private Future<Void> remember(KafkaProcessedEvents store, RawSender sender, List<String> ids) {
    Promise<Void> done = Promise.promise();
    vertx.runOnContext(
        v -> {
          ids.forEach(id -> store.remember(id, sender, vertx));
          store.flush(sender);
          done.complete();
        });
    return done.future();
  }
}
