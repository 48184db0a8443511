package io.courier.resilience;

import io.courier.runtime.metrics.Meters;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * The policy file the resilience tests share (one policy, one idempotent target), and the proxy
 * deployed on it.
 */
final class TestPolicies {

  private TestPolicies() {}

  /**
   * @param target the target's name
   * @param address the callee's address
   * @param extra added to the policy object, e.g. {@code , "hedge": {"afterMs": 50}}
   */
  static String json(
      String target,
      String address,
      int maxAttempts,
      int maxConcurrent,
      int maxQueued,
      String extra) {
    return """
        {
          "policies": {
            "standard": {
              "attemptTimeoutMs": 300,
              "retry": {"maxAttempts": %d, "baseDelayMs": 5, "maxDelayMs": 20},
              "budget": {"ratio": 0.5, "minRetries": 10, "windowMs": 10000},
              "breaker": {"failureRatio": 1.0, "slowCallRatio": 1.0, "slowCallMs": 5000,
                          "minCalls": 1000, "windowMs": 10000, "openMs": 1000},
              "bulkhead": {"maxConcurrent": %d, "maxQueued": %d}%s
            }
          },
          "targets": {
            "%s": {"address": "%s", "policy": "standard",
                   "idempotent": true, "deadlineMs": 2000}
          }
        }
        """
        .formatted(maxAttempts, maxConcurrent, maxQueued, extra, target, address);
  }

  /** A target policy built from {@link #json} with 3 attempts and a bulkhead of 8 + 8. */
  static TargetPolicy standard(Vertx vertx, String target, String address) {
    ResiliencePolicies parsed =
        ResiliencePolicies.parse(json(target, address, 3, 8, 8, ""), "test");
    return new TargetPolicy(
        vertx,
        Meters.none(),
        target,
        parsed.targets().get(target),
        parsed.policies().get("standard"));
  }

  /** The policy file the proxy tests write {@link #deployProxy} JSON to, in their own folder. */
  static Path file(Path dir) {
    return dir.resolve("resilience.json");
  }

  /**
   * Writes {@code json} to {@link #file} in {@code dir} and deploys a resilience proxy on it that
   * looks for changes every {@code reloadPeriodMs}.
   *
   * @param processLocal a proxy for this process's callers only ({@link
   *     ResilienceProxyVerticle#processLocal})
   */
  static Future<String> deployProxy(
      Vertx vertx, Path dir, String json, long reloadPeriodMs, boolean processLocal)
      throws IOException {
    Path file = file(dir);
    Files.writeString(file, json);
    ResilienceProxyVerticle proxy =
        new ResilienceProxyVerticle(file.toString(), reloadPeriodMs, Meters.none());
    return vertx.deployVerticle(processLocal ? proxy.processLocal() : proxy);
  }
}
