package io.courier.runtime.kafka;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.courier.kafka.embedded.EmbeddedKafkaBroker;
import io.courier.kafka.embedded.SharedKafkaBroker;
import io.courier.runtime.config.KafkaConfig.TopicsConfig;
import io.courier.runtime.kafka.KafkaTopics.TopicSettingsException;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.Config;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.admin.TopicDescription;
import org.apache.kafka.common.config.ConfigResource;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * Topics made with their settings, and existing topics checked against them, on a real broker: each
 * setting Courier relies on, when an existing topic lacks it, stops start-up naming the topic and
 * the setting.
 */
@ExtendWith(SharedKafkaBroker.class)
@DisplayName("Courier's topics")
class KafkaTopicsIT {

  private static final TopicsConfig ONE_BROKER = new TopicsConfig(4, 1, 1);

  @Test
  @Timeout(60)
  @DisplayName("are created compacted or deleted, with the partitions and replication configured")
  void shouldCreateTopicsWithTheirSettings(EmbeddedKafkaBroker kafka) throws Exception {
    String state = "state-" + UUID.randomUUID();
    String events = "events-" + UUID.randomUUID();

    KafkaTopics.ensure(
        kafka.bootstrapServers(),
        ONE_BROKER,
        List.of(TopicSpec.state(state), TopicSpec.events(events).withPartitions(2)));

    try (Admin admin = admin(kafka)) {
      assertThat(describe(admin, state).partitions()).hasSize(4);
      assertThat(describe(admin, events).partitions()).hasSize(2);
      assertThat(config(admin, state).get("cleanup.policy").value()).isEqualTo("compact");
      assertThat(config(admin, state).get("min.insync.replicas").value()).isEqualTo("1");
      assertThat(config(admin, events).get("cleanup.policy").value()).isEqualTo("delete");
      assertThat(config(admin, events).get("retention.ms").value())
          .isEqualTo(Long.toString(TopicSpec.EVENT_RETENTION.toMillis()));
    }
    // Asking again finds them as they should be.
    KafkaTopics.ensure(
        kafka.bootstrapServers(),
        ONE_BROKER,
        List.of(TopicSpec.state(state), TopicSpec.events(events).withPartitions(2)));
  }

  @Test
  @Timeout(60)
  @DisplayName("refuse an existing state topic that deletes instead of compacting")
  void shouldRefuseStateTopicThatIsNotCompacted(EmbeddedKafkaBroker kafka) throws Exception {
    String name = existing(kafka, 4, (short) 1, Map.of("cleanup.policy", "delete"));

    assertThatThrownBy(
            () ->
                KafkaTopics.ensure(
                    kafka.bootstrapServers(), ONE_BROKER, List.of(TopicSpec.state(name))))
        .isInstanceOf(TopicSettingsException.class)
        .hasMessage(
            "topic '"
                + name
                + "' exists with cleanup.policy 'delete'; Courier needs 'compact': its latest"
                + " record per key is state, which deletion would lose");
  }

  @Test
  @Timeout(60)
  @DisplayName("refuse an existing topic with another partition count")
  void shouldRefuseOtherPartitionCount(EmbeddedKafkaBroker kafka) throws Exception {
    String name = existing(kafka, 3, (short) 1, Map.of("cleanup.policy", "compact"));

    assertThatThrownBy(
            () ->
                KafkaTopics.ensure(
                    kafka.bootstrapServers(), ONE_BROKER, List.of(TopicSpec.state(name))))
        .isInstanceOf(TopicSettingsException.class)
        .hasMessage(
            "topic '"
                + name
                + "' exists with 3 partitions; Courier needs 4 (kafka.topics.partitions)");
  }

  @Test
  @Timeout(60)
  @DisplayName("refuse an existing topic with fewer copies or a lower min.insync.replicas")
  void shouldRefuseUnderReplicatedTopic(EmbeddedKafkaBroker kafka) throws Exception {
    String name = existing(kafka, 4, (short) 1, Map.of("cleanup.policy", "compact"));

    assertThatThrownBy(
            () ->
                KafkaTopics.ensure(
                    kafka.bootstrapServers(),
                    new TopicsConfig(4, 3, 2),
                    List.of(TopicSpec.state(name))))
        .isInstanceOf(TopicSettingsException.class)
        .hasMessage(
            "topic '"
                + name
                + "' exists with replication factor 1; Courier needs 3"
                + " (kafka.topics.replicationFactor); topic '"
                + name
                + "' exists with min.insync.replicas 1; Courier needs 2"
                + " (kafka.topics.minInSyncReplicas)");
  }

  @Test
  @Timeout(60)
  @DisplayName("refuse an event topic that compacts, naming each topic that is wrong")
  void shouldRefuseEventTopicThatCompacts(EmbeddedKafkaBroker kafka) throws Exception {
    String good = existing(kafka, 4, (short) 1, Map.of("cleanup.policy", "delete"));
    String compacted = existing(kafka, 4, (short) 1, Map.of("cleanup.policy", "compact"));

    assertThatThrownBy(
            () ->
                KafkaTopics.ensure(
                    kafka.bootstrapServers(),
                    ONE_BROKER,
                    List.of(TopicSpec.events(good), TopicSpec.events(compacted))))
        .isInstanceOf(TopicSettingsException.class)
        .hasMessage(
            "topic '"
                + compacted
                + "' exists with cleanup.policy 'compact'; Courier needs 'delete' (an event"
                + " topic)");
  }

  private static String existing(
      EmbeddedKafkaBroker kafka, int partitions, short replicas, Map<String, String> configs)
      throws Exception {
    String name = "existing-" + UUID.randomUUID();
    try (Admin admin = admin(kafka)) {
      admin
          .createTopics(
              List.of(
                  new NewTopic(name, Optional.of(partitions), Optional.of(replicas))
                      .configs(configs)))
          .all()
          .get(30, TimeUnit.SECONDS);
    }
    return name;
  }

  private static Admin admin(EmbeddedKafkaBroker kafka) {
    return Admin.create(
        Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, kafka.bootstrapServers()));
  }

  private static TopicDescription describe(Admin admin, String topic) throws Exception {
    return admin.describeTopics(Set.of(topic)).allTopicNames().get(30, TimeUnit.SECONDS).get(topic);
  }

  private static Config config(Admin admin, String topic) throws Exception {
    ConfigResource resource = new ConfigResource(ConfigResource.Type.TOPIC, topic);
    return admin.describeConfigs(Set.of(resource)).all().get(30, TimeUnit.SECONDS).get(resource);
  }
}
