package io.courier.service;

import io.courier.discovery.ConsulDiscovery;
import io.vertx.core.Vertx;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;

/** Peer tests against the Consul stand-in: one Vert.x, Consul clients closed after each test. */
abstract class ConsulPeerFixture {

  protected final Vertx vertx = Vertx.vertx();
  private final List<ConsulDiscovery> discoveries = new ArrayList<>();

  @AfterEach
  void closeClients() throws Exception {
    discoveries.forEach(ConsulDiscovery::close);
    vertx.close().await(20, TimeUnit.SECONDS);
  }

  /** A Consul client of the stand-in at {@code consulPort}, registering with {@code ttl}. */
  protected ConsulDiscovery discovery(int consulPort, Duration ttl) {
    ConsulDiscovery discovery =
        new ConsulDiscovery(vertx, "127.0.0.1", consulPort, ttl, Duration.ofMinutes(1));
    discoveries.add(discovery);
    return discovery;
  }

  /**
   * A policy file with one target and a policy retrying 5 times at once within a generous budget,
   * whose breaker opens at half of 6 calls and stays open {@code openMs}; {@code breakerExtra} adds
   * breaker keys (e.g. {@code , "halfOpenProbes": 3}).
   */
  protected static Path policyFile(
      Path dir, String target, String address, long openMs, String breakerExtra)
      throws java.io.IOException {
    return Files.writeString(
        dir.resolve("resilience.json"),
        """
        {
          "policies": {
            "p": {
              "attemptTimeoutMs": 1000,
              "retry": {"maxAttempts": 5, "baseDelayMs": 1, "maxDelayMs": 5},
              "budget": {"ratio": 1.0, "minRetries": 10000, "windowMs": 10000},
              "breaker": {"failureRatio": 0.5, "slowCallRatio": 1.0, "slowCallMs": 5000,
                          "minCalls": 6, "windowMs": 10000, "openMs": %d%s},
              "bulkhead": {"maxConcurrent": 64, "maxQueued": 256}
            }
          },
          "targets": {
            "%s": {"address": "%s", "policy": "p", "idempotent": true, "deadlineMs": 5000}
          }
        }
        """
            .formatted(openMs, breakerExtra, target, address));
  }
}
