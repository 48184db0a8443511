package io.courier.runtime.impl;

import static org.assertj.core.api.Assertions.assertThat;

import io.courier.discovery.Discovery;
import io.courier.discovery.ServiceInstance;
import io.courier.runtime.config.DiscoveryConfig;
import io.courier.runtime.metrics.Meters;
import io.vertx.core.Vertx;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

@DisplayName("The configured discovery backend")
class DiscoveriesTest {

  private final Vertx vertx = Vertx.vertx();

  @AfterEach
  void close() throws Exception {
    vertx.close().await(10, TimeUnit.SECONDS);
  }

  private static DiscoveryConfig embedded(String zone) {
    return new DiscoveryConfig("embedded", "127.0.0.1", 8500, "", false, "", zone, false, 2_000);
  }

  @Test
  @DisplayName("tags every registration with the configured zone, keeping the other tags")
  void shouldTagRegistrationsWithTheZone() throws Exception {
    Discovery discovery = Discoveries.create(vertx, embedded("eu-west-1a"), Meters.none());
    ServiceInstance registered =
        discovery
            .register(
                new ServiceInstance(
                    null, "user-service", "127.0.0.1", 9000, Map.of("role", "user-service")))
            .await(10, TimeUnit.SECONDS);

    List<ServiceInstance> found = discovery.resolve("user-service").await(10, TimeUnit.SECONDS);
    assertThat(found)
        .singleElement()
        .satisfies(
            instance ->
                assertThat(instance.tags())
                    .containsEntry("zone", "eu-west-1a")
                    .containsEntry("role", "user-service"));
    discovery.deregister(registered.id()).await(10, TimeUnit.SECONDS);
    assertThat(discovery.resolve("user-service").await(10, TimeUnit.SECONDS)).isEmpty();
    discovery.close();
  }

  @Test
  @DisplayName("adds no zone tag when none is configured")
  void shouldAddNoZoneByDefault() throws Exception {
    Discovery discovery = Discoveries.create(vertx, embedded(""), Meters.none());
    discovery
        .register(new ServiceInstance(null, "user-service", "127.0.0.1", 9000, Map.of()))
        .await(10, TimeUnit.SECONDS);
    assertThat(discovery.resolve("user-service").await(10, TimeUnit.SECONDS))
        .singleElement()
        .satisfies(instance -> assertThat(instance.tags()).doesNotContainKey("zone"));
    discovery.close();
  }
}
