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
