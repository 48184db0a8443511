package io.courier.runtime.impl;

import io.courier.kafka.embedded.EmbeddedKafkaBroker;
import io.courier.runtime.config.CourierConfig;
import io.courier.runtime.config.KafkaConfig.EmbeddedKafkaConfig;
import io.courier.runtime.kafka.EventPublisher;
import io.courier.runtime.kafka.KafkaConnection;
import io.courier.runtime.kafka.KafkaObservability;
import io.courier.runtime.kafka.impl.KafkaEventPublisher;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The process's Kafka: the embedded broker of the dev profile when configured, and the shared
 * publisher, as start-up stages with their undo.
 */
public final class KafkaStages {

  private static final Logger LOG = LoggerFactory.getLogger(KafkaStages.class);

  private final Vertx vertx;
  private final CourierConfig config;
  private final KafkaObservability observability;
  private final ProcessServices services;
  private volatile String bootstrapServers;
  private EmbeddedKafkaBroker broker;
  private volatile KafkaEventPublisher publisher;

  public KafkaStages(CourierConfig config, ProcessServices services) {
    this.vertx = services.vertx();
    this.config = config;
    this.services = services;
    this.observability = services.kafka();
    this.bootstrapServers = config.kafka().bootstrapServers();
  }

  /** The embedded broker, started on a worker: it does seconds of blocking work. */
  public Stage broker() {
    return new Stage("embedded Kafka broker", this::startBroker, this::stopBroker);
  }

  /** The shared publisher, ready once the cluster answers. */
  public Stage publisher() {
    return new Stage("Kafka publisher", this::startPublisher, this::stopPublisher);
  }

  /** The bootstrap servers in use: the embedded broker's once it runs, else the configured. */
  public String bootstrapServers() {
    return bootstrapServers;
  }

  /**
   * How the process's clients connect: the bootstrap servers in use, with {@code kafka.security}
   * (the embedded broker speaks PLAINTEXT only, which the configuration checks).
   */
  public KafkaConnection connection() {
    return new KafkaConnection(bootstrapServers, config.kafka().security());
  }

  /** The publisher, null until its stage has started. */
  public EventPublisher current() {
    return publisher;
  }

  /** Fails with the reason when there is no publisher or the cluster does not answer. */
  public Future<Void> checkReady() {
    KafkaEventPublisher current = publisher;
    return current == null
        ? Future.failedFuture(new IllegalStateException("not started"))
        : current.checkReady();
  }

  private Future<?> startBroker() {
    EmbeddedKafkaConfig embedded = config.kafka().embedded();
    EmbeddedKafkaBroker candidate =
        EmbeddedKafkaBroker.builder()
            .dataDir(Path.of(embedded.dataDir()))
            .port(embedded.port())
            .controllerPort(embedded.controllerPort())
            .build();
    return vertx
        .executeBlocking(candidate::start, false)
        .onSuccess(
            running -> {
              broker = running;
              bootstrapServers = running.bootstrapServers();
              services.announce(
                  "kafka",
                  running.bootstrapServers()
                      + " (embedded, data in "
                      + running.dataDir().toAbsolutePath().normalize()
                      + ")");
            });
  }

  private Future<?> stopBroker() {
    EmbeddedKafkaBroker running = broker;
    broker = null;
    return running == null
        ? Future.succeededFuture()
        : vertx.executeBlocking(
            () -> {
              running.close();
              return null;
            },
            false);
  }

  private Future<?> startPublisher() {
    return KafkaEventPublisher.create(vertx, connection(), config.kafka().producer(), observability)
        .onSuccess(created -> publisher = created)
        .compose(
            created ->
                untilReady(
                    created,
                    System.nanoTime()
                        + TimeUnit.MILLISECONDS.toNanos(
                            config.kafka().producer().deliveryTimeoutMs()),
                    false));
  }

  /**
   * Asks the cluster again (each ask bounded by the readiness timeout) until it answers or the
   * producer's delivery timeout has passed: a broker slow to answer the first seconds of a start (a
   * busy node, a broker restarting) does not fail the process, one that stays away does.
   */
  private Future<Void> untilReady(
      KafkaEventPublisher created, long deadlineNanos, boolean reported) {
    return created
        .checkReady()
        .recover(
            error -> {
              if (System.nanoTime() > deadlineNanos) {
                return Future.failedFuture(error);
              }
              if (!reported) {
                LOG.info("Kafka not reachable yet ({}); asking again", error.getMessage());
              }
              Promise<Void> again = Promise.promise();
              vertx.setTimer(500, id -> untilReady(created, deadlineNanos, true).onComplete(again));
              return again.future();
            });
  }

  private Future<?> stopPublisher() {
    KafkaEventPublisher running = publisher;
    return running == null
        ? Future.succeededFuture()
        : running.close(Duration.ofMillis(Math.max(1_000, config.shutdown().drainTimeoutMs() / 2)));
  }
}
