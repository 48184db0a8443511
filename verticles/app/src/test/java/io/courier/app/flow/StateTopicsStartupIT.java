package io.courier.app.flow;

import static org.assertj.core.api.Assertions.assertThat;

import io.courier.codec.flow.Topics;
import io.courier.kafka.embedded.EmbeddedKafkaBroker;
import io.courier.kafka.embedded.SharedKafkaBroker;
import io.courier.runtime.CourierRuntime;
import io.courier.runtime.Roles;
import io.courier.runtime.config.KafkaConfig.TopicsConfig;
import io.courier.service.StateTopics;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.NewTopic;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/**
 * A process whose stateful roles find a state topic weaker than configured does not start, and says
 * which topic and which setting: an orders topic that deletes instead of compacting (it would lose
 * old orders and their idempotency on the next replay), and topics with fewer copies than
 * configured.
 */
@ExtendWith(SharedKafkaBroker.class)
@DisplayName("Start-up with state topics that differ from the configuration")
class StateTopicsStartupIT {

  @TempDir Path work;

  @Test
  @Timeout(120)
  @DisplayName("stops when courier.orders exists with delete retention")
  void shouldRefuseOrdersTopicThatDeletes() throws Exception {
    // A broker of its own: the flow's topic names are fixed, and the shared one's are right.
    try (EmbeddedKafkaBroker broker =
        EmbeddedKafkaBroker.builder().dataDir(work.resolve("kafka")).build().start()) {
      try (Admin admin =
          Admin.create(
              Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, broker.bootstrapServers()))) {
        admin
            .createTopics(
                List.of(
                    new NewTopic(
                            Topics.ORDERS,
                            Optional.of(TopicsConfig.DEFAULTS.partitions()),
                            Optional.empty())
                        .configs(Map.of("cleanup.policy", "delete"))))
            .all()
            .get(30, TimeUnit.SECONDS);
      }
      String refused = startFailure(broker, Map.of());
      assertThat(refused)
          .contains("topic '" + Topics.ORDERS + "' exists with cleanup.policy 'delete'")
          .contains("Courier needs 'compact'");
    }
  }

  @Test
  @Timeout(120)
  @DisplayName("stops when the state topics have fewer copies than kafka.topics.replicationFactor")
  void shouldRefuseUnderReplicatedTopics(EmbeddedKafkaBroker kafka) throws Exception {
    // The flow's topics as the dev profile makes them: one copy each.
    StateTopics.ensure(
        io.courier.runtime.kafka.KafkaConnection.plaintext(kafka.bootstrapServers()),
        TopicsConfig.DEFAULTS,
        Topics.ALL);

    String refused = startFailure(kafka, Map.of("courier.kafka.topics.replicationFactor", "2"));
    assertThat(refused).contains("topic '" + Topics.ORDERS + "'").contains("replication factor 1");
  }

  /**
   * Starts the order and inventory services on {@code broker}; the messages of the failure it stops
   * with and its causes.
   */
  private String startFailure(EmbeddedKafkaBroker broker, Map<String, String> extra)
      throws Exception {
    FlowSeeds seeds = FlowSeeds.write(work, "t" + UUID.randomUUID(), 2, 2, 10);
    Map<String, String> props = new HashMap<>(extra);
    props.put("courier.roles", "order-service,inventory-service");
    CourierRuntime started = null;
    try {
      started =
          CourierRuntime.start(OrderFlowIT.config(broker, seeds, props), Roles.available())
              .await(90, TimeUnit.SECONDS);
    } catch (Exception refused) {
      StringBuilder messages = new StringBuilder();
      for (Throwable cause = refused; cause != null; cause = cause.getCause()) {
        messages.append(cause.getMessage()).append('\n');
      }
      return messages.toString();
    } finally {
      if (started != null) {
        started.stop(Duration.ofSeconds(10)).await(30, TimeUnit.SECONDS);
      }
    }
    throw new AssertionError("the process started on topics that differ from its configuration");
  }
}
