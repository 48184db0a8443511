package io.courier.service;

import static org.assertj.core.api.Assertions.assertThat;

import io.courier.codec.flow.Services;
import io.courier.resilience.ResilienceConfig;
import io.courier.resilience.TargetPolicy;
import io.courier.runtime.config.ConfigLoader;
import io.courier.runtime.config.CourierConfig;
import io.courier.runtime.config.KafkaConfig;
import io.vertx.core.Vertx;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

@DisplayName("Service policies from the shipped policy file")
class PoliciesTest {

  private final Vertx vertx = Vertx.vertx();

  @AfterEach
  void close() throws Exception {
    vertx.close().await(10, TimeUnit.SECONDS);
  }

  private CourierConfig config() {
    return new ConfigLoader(
            Map.of(),
            Map.of(
                "courier.resilience.policyFile",
                Path.of("../../conf/resilience.json").toString(),
                "courier.kafka.bootstrapServers",
                "127.0.0.1:9092"),
            Map.of("gateway", List.of(ResilienceConfig.SECTION)),
            List.of("gateway"))
        .load(null);
  }

  @Test
  @DisplayName("keeps a consumer calling the payment provider inside the provider's bulkhead")
  void shouldBoundConsumerByBulkhead() throws Exception {
    CourierConfig config = config();
    TargetPolicy provider =
        PeerTests.load(vertx, config).await(10, TimeUnit.SECONDS).target(Services.PAYMENT_PROVIDER);
    int bound = Policies.consumerBound(provider);
    var limits = provider.policy().bulkhead();

    KafkaConfig.ConsumerConfig consumer = config.kafka().consumer().withMaxInFlight(bound);
    // A poll can deliver up to maxInFlight records again before the consumer pauses.
    assertThat(2 * consumer.maxInFlight())
        .isLessThanOrEqualTo(limits.maxConcurrent() + limits.maxQueued());
    assertThat(consumer.groupId()).isEqualTo(config.kafka().consumer().groupId());
  }

  @Test
  @DisplayName("names a target missing from the policy file")
  void shouldNameMissingTarget() throws Exception {
    Policies policies = PeerTests.load(vertx, config()).await(10, TimeUnit.SECONDS);
    org.assertj.core.api.Assertions.assertThatThrownBy(() -> policies.target("nope"))
        .hasMessageContaining("no target 'nope'");
  }
}
