package io.courier.runtime.kafka;

import io.courier.runtime.config.KafkaConfig.TopicsConfig;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.Config;
import org.apache.kafka.clients.admin.ConfigEntry;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.admin.TopicDescription;
import org.apache.kafka.common.config.ConfigResource;
import org.apache.kafka.common.errors.TopicExistsException;
import org.apache.kafka.common.errors.UnknownTopicOrPartitionException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Creates the topics Courier needs with their settings, and checks topics that already exist
 * against them: a state topic that is not compacted (its old orders and their idempotency would be
 * dropped), fewer copies or a smaller {@code min.insync.replicas} than configured (an acknowledged
 * write on fewer brokers than promised), or another partition count (keys would be owned elsewhere)
 * stops start-up with a {@link TopicSettingsException} naming the topic and the setting. Blocking;
 * {@link #ensure(Vertx, String, TopicsConfig, Collection)} runs it on a worker.
 */
public final class KafkaTopics {

  private static final Logger LOG = LoggerFactory.getLogger(KafkaTopics.class);
  private static final long TIMEOUT_SECONDS = 30;

  private KafkaTopics() {}

  /** A topic that exists with a setting other than the one Courier needs. */
  public static final class TopicSettingsException extends IllegalStateException {
    private static final long serialVersionUID = 1L;

    TopicSettingsException(String message) {
      super(message);
    }
  }

  /** {@link #ensure(KafkaConnection, TopicsConfig, Collection)} on a worker thread. */
  public static Future<Void> ensure(
      Vertx vertx, KafkaConnection kafka, TopicsConfig settings, Collection<TopicSpec> topics) {
    List<TopicSpec> copy = List.copyOf(topics);
    return vertx.executeBlocking(
        () -> {
          ensure(kafka, settings, copy);
          return null;
        },
        false);
  }

  /** As {@link #ensure(KafkaConnection, TopicsConfig, Collection)}, over PLAINTEXT. */
  public static void ensure(
      String bootstrapServers, TopicsConfig settings, Collection<TopicSpec> topics) {
    ensure(KafkaConnection.plaintext(bootstrapServers), settings, topics);
  }

  /**
   * Creates the topics that do not exist yet and checks those that do.
   *
   * @throws TopicSettingsException naming every topic and setting that differs
   */
  public static void ensure(
      KafkaConnection kafka, TopicsConfig settings, Collection<TopicSpec> topics) {
    try (Admin admin = Admin.create(kafka.properties())) {
      List<String> problems = new ArrayList<>();
      for (TopicSpec topic : topics) {
        if (!create(admin, settings, topic)) {
          problems.addAll(checkWhenKnown(admin, settings, topic));
        }
      }
      if (!problems.isEmpty()) {
        throw new TopicSettingsException(String.join("; ", problems));
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted while creating topics", e);
    } catch (ExecutionException | TimeoutException e) {
      Throwable cause = e instanceof ExecutionException ? e.getCause() : e;
      throw new IllegalStateException("cannot create or read topics: " + cause.getMessage(), cause);
    }
  }

  /** Creates the topic; false when it exists already. */
  private static boolean create(Admin admin, TopicsConfig settings, TopicSpec topic)
      throws InterruptedException, ExecutionException, TimeoutException {
    NewTopic created =
        new NewTopic(
                topic.name(),
                Optional.of(partitions(settings, topic)),
                Optional.of((short) settings.replicationFactor()))
            .configs(topic.configs(settings.minInSyncReplicas()));
    try {
      admin.createTopics(List.of(created)).all().get(TIMEOUT_SECONDS, TimeUnit.SECONDS);
      LOG.info(
          "created topic {} ({} partitions, {} replicas, min.insync.replicas {}, {})",
          topic.name(),
          partitions(settings, topic),
          settings.replicationFactor(),
          settings.minInSyncReplicas(),
          topic.compacted() ? "compacted" : "kept " + topic.retention());
      return true;
    } catch (ExecutionException e) {
      if (e.getCause() instanceof TopicExistsException) {
        return false;
      }
      throw e;
    }
  }

  /**
   * {@link #check}, asked again for a while when the broker does not know the topic yet: a topic
   * another process has just created reaches every broker's metadata a moment later.
   */
  private static List<String> checkWhenKnown(Admin admin, TopicsConfig settings, TopicSpec topic)
      throws InterruptedException, ExecutionException, TimeoutException {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(TIMEOUT_SECONDS);
    while (true) {
      try {
        return check(admin, settings, topic);
      } catch (ExecutionException e) {
        if (!(e.getCause() instanceof UnknownTopicOrPartitionException)
            || System.nanoTime() > deadline) {
          throw e;
        }
        Thread.sleep(100);
      }
    }
  }

  /** What differs between an existing topic and what Courier needs, one line per setting. */
  private static List<String> check(Admin admin, TopicsConfig settings, TopicSpec topic)
      throws InterruptedException, ExecutionException, TimeoutException {
    TopicDescription described =
        admin
            .describeTopics(Set.of(topic.name()))
            .allTopicNames()
            .get(TIMEOUT_SECONDS, TimeUnit.SECONDS)
            .get(topic.name());
    ConfigResource resource = new ConfigResource(ConfigResource.Type.TOPIC, topic.name());
    Config config =
        admin
            .describeConfigs(Set.of(resource))
            .all()
            .get(TIMEOUT_SECONDS, TimeUnit.SECONDS)
            .get(resource);
    List<String> problems = new ArrayList<>();
    String prefix = "topic '" + topic.name() + "' exists with ";
    int partitions = described.partitions().size();
    if (partitions != partitions(settings, topic)) {
      problems.add(
          prefix
              + partitions
              + " partitions; Courier needs "
              + partitions(settings, topic)
              + (topic.partitions() == 0 ? " (kafka.topics.partitions)" : ""));
    }
    int replicas =
        described.partitions().stream().mapToInt(p -> p.replicas().size()).min().orElse(0);
    if (replicas < settings.replicationFactor()) {
      problems.add(
          prefix
              + "replication factor "
              + replicas
              + "; Courier needs "
              + settings.replicationFactor()
              + " (kafka.topics.replicationFactor)");
    }
    int minIsr = intValue(config, "min.insync.replicas");
    if (minIsr < settings.minInSyncReplicas()) {
      problems.add(
          prefix
              + "min.insync.replicas "
              + minIsr
              + "; Courier needs "
              + settings.minInSyncReplicas()
              + " (kafka.topics.minInSyncReplicas)");
    }
    String cleanup = value(config, "cleanup.policy");
    boolean compacted = cleanup.contains("compact");
    boolean deletes = cleanup.contains("delete");
    if (topic.compacted() && (!compacted || deletes)) {
      problems.add(
          prefix
              + "cleanup.policy '"
              + cleanup
              + "'; Courier needs 'compact': its latest record per key is state, which deletion"
              + " would lose");
    } else if (!topic.compacted() && !deletes) {
      problems.add(
          prefix + "cleanup.policy '" + cleanup + "'; Courier needs 'delete' (an event topic)");
    }
    return problems;
  }

  private static int partitions(TopicsConfig settings, TopicSpec topic) {
    return topic.partitions() == 0 ? settings.partitions() : topic.partitions();
  }

  private static String value(Config config, String name) {
    ConfigEntry entry = config.get(name);
    return entry == null || entry.value() == null ? "" : entry.value();
  }

  private static int intValue(Config config, String name) {
    try {
      return Integer.parseInt(value(config, name));
    } catch (NumberFormatException e) {
      return 0;
    }
  }
}
