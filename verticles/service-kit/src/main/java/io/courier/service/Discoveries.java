package io.courier.service;

import io.courier.discovery.ConsulDiscovery;
import io.courier.discovery.Discovery;
import io.courier.discovery.EmbeddedDiscovery;
import io.courier.runtime.config.CourierConfig.DiscoveryConfig;
import io.vertx.core.Vertx;
import java.time.Duration;

/** The discovery backend the configuration names. */
public final class Discoveries {

  private Discoveries() {}

  public static Discovery create(Vertx vertx, DiscoveryConfig config) {
    return switch (config.backend()) {
      case "consul" ->
          new ConsulDiscovery(
              vertx,
              config.consulHost(),
              config.consulPort(),
              Duration.ofSeconds(10),
              Duration.ofMinutes(1));
      default -> new EmbeddedDiscovery(vertx);
    };
  }
}
