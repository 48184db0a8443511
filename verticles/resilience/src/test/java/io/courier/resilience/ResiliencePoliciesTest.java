package io.courier.resilience;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

@DisplayName("The resilience policy file")
class ResiliencePoliciesTest {

  private static final Path SHIPPED = Path.of("..", "..", "conf", "resilience.json");

  private static String shipped() throws IOException {
    return Files.readString(SHIPPED);
  }

  @Test
  @DisplayName("shipped in conf/ parses, with a target for every call of the order flow")
  void shouldParseShippedFile() throws IOException {
    ResiliencePolicies policies = ResiliencePolicies.parse(shipped(), "conf/resilience.json");

    assertThat(policies.targets())
        .containsKeys("order-service", "user-service", "inventory-service", "payment-provider");
    // Placing an order is retried only because it carries an idempotency key.
    assertThat(policies.targets().get("order-service").idempotent()).isTrue();
    assertThat(policies.policies().get("writes").retryPolicy().maxAttempts()).isEqualTo(2);
    assertThat(policies.policies().get("standard").breakerPolicy().failureRatio()).isEqualTo(0.5);
    assertThat(policies.policies().get("standard").breakerPolicy().halfOpenProbes()).isEqualTo(3);
    assertThat(policies.policies().get("writes").breakerPolicy().halfOpenProbes())
        .as("default")
        .isEqualTo(1);
    assertThat(policies.policies().get("standard").breaker().breakerPerInstance()).isTrue();
  }

  @Test
  @DisplayName("refuses a half-open probe count below 1, naming the key")
  void shouldRefuseBadProbeCount() throws IOException {
    String json = shipped().replace("\"halfOpenProbes\": 3", "\"halfOpenProbes\": 0");

    assertThatThrownBy(() -> ResiliencePolicies.parse(json, "r.json"))
        .isInstanceOf(InvalidPolicyException.class)
        .hasMessageContaining(
            "key 'policies.standard.breaker.halfOpenProbes' must be in 1..100, was 0");
  }

  @Test
  @DisplayName("refuses an unknown key, naming it")
  void shouldRefuseUnknownKey() throws IOException {
    String json = shipped().replace("\"maxQueued\": 256", "\"maxQueued\": 256, \"maxQueue\": 1");

    assertThatThrownBy(() -> ResiliencePolicies.parse(json, "r.json"))
        .isInstanceOf(InvalidPolicyException.class)
        .hasMessageStartingWith("r.json: key 'policies.standard.bulkhead.maxQueue': ")
        .hasMessageContaining("Unrecognized field \"maxQueue\"");
  }

  @Test
  @DisplayName("refuses negative durations and ratios above 1, naming each key")
  void shouldRefuseOutOfRangeValues() throws IOException {
    String json =
        shipped()
            .replace("\"attemptTimeoutMs\": 500", "\"attemptTimeoutMs\": -5")
            .replace(
                "\"failureRatio\": 0.5, \"slowCallRatio\": 0.8, \"slowCallMs\": 1000",
                "\"failureRatio\": 1.2, \"slowCallRatio\": 0.8, \"slowCallMs\": 1000");

    assertThatThrownBy(() -> ResiliencePolicies.parse(json, "r.json"))
        .hasMessageContaining("key 'policies.standard.attemptTimeoutMs' must be positive, was -5")
        .hasMessageContaining(
            "key 'policies.standard.breaker.failureRatio' must be in (0, 1], was 1.2");
  }

  @Test
  @DisplayName("refuses a target naming a policy that does not exist, and a missing field")
  void shouldRefuseDanglingPolicyAndMissingField() throws IOException {
    assertThatThrownBy(
            () ->
                ResiliencePolicies.parse(
                    shipped().replace("\"policy\": \"users\"", "\"policy\": \"gold\""), "r.json"))
        .hasMessageContaining("key 'targets.user-service.policy' names unknown policy 'gold'");
    assertThatThrownBy(
            () ->
                ResiliencePolicies.parse(
                    shipped().replace("\"deadlineMs\": 2000", "\"deadlineMs\": \"2s\""), "r.json"))
        .hasMessageStartingWith("r.json: key 'targets.user-service.deadlineMs'");
    assertThatThrownBy(() -> ResiliencePolicies.parse("{\"policies\": {}}", "r.json"))
        .isInstanceOf(InvalidPolicyException.class)
        .hasMessageContaining("targets");
  }

  @Test
  @DisplayName("refuses an unknown fallback mode and a static fallback without a value")
  void shouldRefuseBadFallbacks() throws IOException {
    String unknownMode =
        shipped()
            .replace(
                "\"maxQueued\": 256}", "\"maxQueued\": 256}, \"fallback\": {\"mode\": \"guess\"}");
    String staticWithoutValue =
        shipped()
            .replace(
                "\"maxQueued\": 256}", "\"maxQueued\": 256}, \"fallback\": {\"mode\": \"static\"}");

    assertThatThrownBy(() -> ResiliencePolicies.parse(unknownMode, "r.json"))
        .hasMessageContaining(
            "key 'policies.standard.fallback.mode' must be none, cache or static, was guess");
    assertThatThrownBy(() -> ResiliencePolicies.parse(staticWithoutValue, "r.json"))
        .hasMessageContaining(
            "key 'policies.standard.fallback.value' is required for a static fallback");
  }

  private static String withAdaptive(String adaptive) throws IOException {
    return shipped()
        .replace(
            "\"maxConcurrent\": 64, \"maxQueued\": 256}",
            "\"maxConcurrent\": 64, \"maxQueued\": 256, \"adaptive\": " + adaptive + "}");
  }

  @Test
  @DisplayName("without an adaptive section, keeps the fixed limit of maxConcurrent")
  void shouldKeepFixedLimitWithoutAdaptive() throws IOException {
    ResiliencePolicies.BulkheadLimits bulkhead =
        ResiliencePolicies.parse(shipped(), "r.json").policies().get("standard").bulkhead();

    assertThat(bulkhead.adaptive()).isNull();
    assertThat(bulkhead.adaptivePolicy()).isNull();
    assertThat(bulkhead.concurrencyLimit().limit()).isEqualTo(64);
  }

  @Test
  @DisplayName("reads an adaptive limit, filling in the defaults")
  void shouldReadAdaptiveWithDefaults() throws IOException {
    AdaptiveLimitPolicy aimd =
        ResiliencePolicies.parse(
                withAdaptive("{\"algorithm\": \"aimd\", \"latencyThresholdMs\": 250}"), "r.json")
            .policies()
            .get("standard")
            .bulkhead()
            .adaptivePolicy();
    AdaptiveLimitPolicy gradient =
        ResiliencePolicies.parse(
                withAdaptive(
                    "{\"algorithm\": \"gradient\", \"minLimit\": 4, \"maxLimit\": 32,"
                        + " \"initialLimit\": 16, \"windowSize\": 50}"),
                "r.json")
            .policies()
            .get("standard")
            .bulkhead()
            .adaptivePolicy();

    assertThat(aimd).isEqualTo(AdaptiveLimitPolicy.aimd(1, 64, 64, Duration.ofMillis(250), 0.9));
    assertThat(gradient).isEqualTo(AdaptiveLimitPolicy.gradient(4, 32, 16, 50, 20, 0.2, 1.5));
  }

  @Test
  @DisplayName("refuses bad adaptive values, naming each key")
  void shouldRefuseBadAdaptiveValues() throws IOException {
    assertThatThrownBy(
            () ->
                ResiliencePolicies.parse(
                    withAdaptive(
                        "{\"algorithm\": \"aimd\", \"minLimit\": 0, \"maxLimit\": 100,"
                            + " \"backoffRatio\": 1.5, \"smoothing\": 0.3}"),
                    "r.json"))
        .isInstanceOf(InvalidPolicyException.class)
        .hasMessageContaining("key 'policies.standard.bulkhead.adaptive.minLimit' must be >= 1")
        .hasMessageContaining(
            "key 'policies.standard.bulkhead.adaptive.maxLimit' must be between minLimit and"
                + " bulkhead.maxConcurrent, was 100")
        .hasMessageContaining(
            "key 'policies.standard.bulkhead.adaptive.latencyThresholdMs' is required for aimd")
        .hasMessageContaining(
            "key 'policies.standard.bulkhead.adaptive.backoffRatio' must be in (0, 1), was 1.5")
        .hasMessageContaining(
            "key 'policies.standard.bulkhead.adaptive.smoothing' applies only to gradient");
    assertThatThrownBy(
            () ->
                ResiliencePolicies.parse(
                    withAdaptive(
                        "{\"algorithm\": \"gradient\", \"minLimit\": 8, \"initialLimit\": 4,"
                            + " \"tolerance\": 0.5, \"latencyThresholdMs\": 100}"),
                    "r.json"))
        .hasMessageContaining(
            "key 'policies.standard.bulkhead.adaptive.initialLimit' must be between minLimit and"
                + " maxLimit, was 4")
        .hasMessageContaining(
            "key 'policies.standard.bulkhead.adaptive.tolerance' must be >= 1, was 0.5")
        .hasMessageContaining(
            "key 'policies.standard.bulkhead.adaptive.latencyThresholdMs' applies only to aimd");
    assertThatThrownBy(
            () -> ResiliencePolicies.parse(withAdaptive("{\"algorithm\": \"vegas\"}"), "r.json"))
        .hasMessageContaining(
            "key 'policies.standard.bulkhead.adaptive.algorithm' must be aimd or gradient, was vegas");
    assertThatThrownBy(
            () ->
                ResiliencePolicies.parse(
                    withAdaptive("{\"algorithm\": \"aimd\", \"latencyThreshold\": 100}"), "r.json"))
        .hasMessageStartingWith(
            "r.json: key 'policies.standard.bulkhead.adaptive.latencyThreshold': ");
    assertThatThrownBy(
            () ->
                ResiliencePolicies.parse(
                    withAdaptive("{\"algorithm\": \"aimd\", \"latencyThresholdMs\": \"1s\"}"),
                    "r.json"))
        .hasMessageStartingWith(
            "r.json: key 'policies.standard.bulkhead.adaptive.latencyThresholdMs'");
  }

  @Test
  @DisplayName("reports every problem of a file at once, in the order of the file's sections")
  void shouldReportEveryProblemInOrder() {
    String json =
        """
        {
          "policies": {
            "p": {
              "attemptTimeoutMs": 0,
              "retry": {"maxAttempts": 0, "baseDelayMs": 0, "maxDelayMs": -1},
              "budget": {"ratio": 1.5, "minRetries": -1, "windowMs": 0},
              "breaker": {"failureRatio": 0, "slowCallRatio": 1.5, "slowCallMs": 0,
                          "minCalls": 0, "windowMs": 0, "openMs": 0, "halfOpenProbes": 101},
              "bulkhead": {"maxConcurrent": 0, "maxQueued": -1,
                           "adaptive": {"algorithm": "gradient", "minLimit": 0, "windowSize": 0,
                                        "longWindow": 0, "smoothing": 0, "tolerance": 0.5,
                                        "latencyThresholdMs": 5, "backoffRatio": 0.5}},
              "fallback": {"mode": "static"},
              "hedge": {"afterMs": 0}
            }
          },
          "targets": {"t": {"address": " ", "policy": "gold", "idempotent": true, "deadlineMs": 0}},
          "inbound": {
            "s": {"timeoutMs": 0,
                  "bulkhead": {"maxConcurrent": 4, "maxQueued": -1,
                               "adaptive": {"algorithm": "aimd", "maxLimit": 5, "initialLimit": 9,
                                            "backoffRatio": 1, "windowSize": 3, "longWindow": 3,
                                            "smoothing": 0.5, "tolerance": 2}}}
          }
        }
        """;

    assertThatThrownBy(() -> ResiliencePolicies.parse(json, "r.json"))
        .isInstanceOf(InvalidPolicyException.class)
        .hasMessage(
            "r.json: "
                + String.join(
                    "; ",
                    "key 'policies.p.attemptTimeoutMs' must be positive, was 0",
                    "key 'policies.p.retry.maxAttempts' must be >= 1, was 0",
                    "key 'policies.p.retry.baseDelayMs' must be positive, was 0",
                    "key 'policies.p.retry.maxDelayMs' must be >= baseDelayMs, was -1",
                    "key 'policies.p.budget.ratio' must be 0..1, was 1.5",
                    "key 'policies.p.budget.minRetries' must be >= 0, was -1",
                    "key 'policies.p.budget.windowMs' must be positive, was 0",
                    "key 'policies.p.breaker.failureRatio' must be in (0, 1], was 0.0",
                    "key 'policies.p.breaker.slowCallRatio' must be in (0, 1], was 1.5",
                    "key 'policies.p.breaker.slowCallMs' must be positive, was 0",
                    "key 'policies.p.breaker.minCalls' must be >= 1, was 0",
                    "key 'policies.p.breaker.windowMs' must be positive, was 0",
                    "key 'policies.p.breaker.openMs' must be positive, was 0",
                    "key 'policies.p.breaker.halfOpenProbes' must be in 1..100, was 101",
                    "key 'policies.p.bulkhead.maxConcurrent' must be >= 1, was 0",
                    "key 'policies.p.bulkhead.maxQueued' must be >= 0, was -1",
                    "key 'policies.p.bulkhead.adaptive.minLimit' must be >= 1, was 0",
                    "key 'policies.p.bulkhead.adaptive.windowSize' must be >= 1, was 0",
                    "key 'policies.p.bulkhead.adaptive.longWindow' must be >= 1, was 0",
                    "key 'policies.p.bulkhead.adaptive.smoothing' must be in (0, 1], was 0.0",
                    "key 'policies.p.bulkhead.adaptive.tolerance' must be >= 1, was 0.5",
                    "key 'policies.p.bulkhead.adaptive.latencyThresholdMs' applies only to aimd,"
                        + " was 5",
                    "key 'policies.p.bulkhead.adaptive.backoffRatio' applies only to aimd, was 0.5",
                    "key 'policies.p.fallback.value' is required for a static fallback",
                    "key 'policies.p.hedge.afterMs' must be positive, was 0",
                    "key 'targets.t.policy' names unknown policy 'gold'",
                    "key 'targets.t.address' must not be empty",
                    "key 'targets.t.deadlineMs' must be positive, was 0",
                    "key 'inbound.s.timeoutMs' must be positive, was 0",
                    "key 'inbound.s.bulkhead.maxQueued' must be >= 0, was -1",
                    "key 'inbound.s.bulkhead.adaptive.maxLimit' must be between minLimit and"
                        + " bulkhead.maxConcurrent, was 5",
                    "key 'inbound.s.bulkhead.adaptive.initialLimit' must be between minLimit and"
                        + " maxLimit, was 9",
                    "key 'inbound.s.bulkhead.adaptive.latencyThresholdMs' is required for aimd",
                    "key 'inbound.s.bulkhead.adaptive.backoffRatio' must be in (0, 1), was 1.0",
                    "key 'inbound.s.bulkhead.adaptive.windowSize' applies only to gradient, was 3",
                    "key 'inbound.s.bulkhead.adaptive.longWindow' applies only to gradient, was 3",
                    "key 'inbound.s.bulkhead.adaptive.smoothing' applies only to gradient, was 0.5",
                    "key 'inbound.s.bulkhead.adaptive.tolerance' applies only to gradient,"
                        + " was 2.0"));
  }

  @Test
  @DisplayName("holds a target's bulkhead and an inbound one to the same rules")
  void shouldCheckOutboundAndInboundBulkheadsAlike() throws IOException {
    String bulkhead =
        "{\"maxConcurrent\": 8, \"maxQueued\": -2, \"adaptive\": {\"algorithm\": \"gradient\","
            + " \"maxLimit\": 9, \"smoothing\": 1.5}}";
    String outbound =
        // The standard policy's bulkhead (the first of that shape in the shipped file) only.
        shipped()
            .replaceFirst(
                Pattern.quote("\"bulkhead\": {\"maxConcurrent\": 64, \"maxQueued\": 256}"),
                Matcher.quoteReplacement("\"bulkhead\": " + bulkhead));
    String inbound =
        "{\"policies\": {}, \"targets\": {}, \"inbound\": {\"s\": {\"bulkhead\": "
            + bulkhead
            + "}}}";
    String problems =
        "r.json: key '%1$s.maxQueued' must be >= 0, was -2; key '%1$s.adaptive.maxLimit' must be"
            + " between minLimit and bulkhead.maxConcurrent, was 9; key '%1$s.adaptive.smoothing'"
            + " must be in (0, 1], was 1.5";

    assertThatThrownBy(() -> ResiliencePolicies.parse(outbound, "r.json"))
        .isInstanceOf(InvalidPolicyException.class)
        .hasMessage(problems.formatted("policies.standard.bulkhead"));
    assertThatThrownBy(() -> ResiliencePolicies.parse(inbound, "r.json"))
        .isInstanceOf(InvalidPolicyException.class)
        .hasMessage(problems.formatted("inbound.s.bulkhead"));
  }

  @Test
  @DisplayName("ships a cache fallback for users and a percentile hedge for stock reads only")
  void shouldShipTheUserFallbackAndTheReadsHedge() throws IOException {
    ResiliencePolicies policies = ResiliencePolicies.parse(shipped(), "conf/resilience.json");

    assertThat(policies.targets().get("user-service").policy()).isEqualTo("users");
    ResiliencePolicies.Fallback fallback = policies.policies().get("users").fallback();
    assertThat(fallback.mode()).isEqualTo("cache");
    assertThat(fallback.maxAge()).isEqualTo(Duration.ofSeconds(60));
    assertThat(fallback.entries()).isEqualTo(10_000);
    ResiliencePolicies.Target reads = policies.targets().get("inventory-reads");
    assertThat(reads.address()).isEqualTo("grpc:inventory-service");
    assertThat(reads.idempotent()).isTrue();
    assertThat(policies.policies().get(reads.policy()).hedge())
        .isEqualTo(new ResiliencePolicies.Hedge(null, 95.0, 5L, 200L));
    assertThat(
            policies.policies().get(policies.targets().get("inventory-service").policy()).hedge())
        .as("stock writes are never hedged")
        .isNull();
  }

  @Test
  @DisplayName("keeps a fallback without bounds valid, with their defaults")
  void shouldDefaultTheCacheBounds() throws IOException {
    String json =
        shipped().replace("\"maxAgeMs\": 60000, \"maxEntries\": 10000", "\"value\": null");

    ResiliencePolicies.Fallback fallback =
        ResiliencePolicies.parse(json, "r.json").policies().get("users").fallback();

    assertThat(fallback.maxAge()).isEqualTo(Duration.ofMillis(60_000));
    assertThat(fallback.entries()).isEqualTo(10_000);
  }

  @Test
  @DisplayName("refuses bad cache bounds, and bounds on a fallback that caches nothing")
  void shouldRefuseBadCacheBounds() throws IOException {
    String bad =
        shipped()
            .replace(
                "\"maxAgeMs\": 60000, \"maxEntries\": 10000", "\"maxAgeMs\": 0, \"maxEntries\": 0");
    String notCache = shipped().replace("\"mode\": \"cache\"", "\"mode\": \"none\"");
    String wrongType = shipped().replace("\"maxAgeMs\": 60000", "\"maxAgeMs\": \"1m\"");

    assertThatThrownBy(() -> ResiliencePolicies.parse(bad, "r.json"))
        .isInstanceOf(InvalidPolicyException.class)
        .hasMessage(
            "r.json: key 'policies.users.fallback.maxAgeMs' must be between 1 and 86400000 (one"
                + " day), was 0; key 'policies.users.fallback.maxEntries' must be between 1 and"
                + " 1000000, was 0");
    assertThatThrownBy(() -> ResiliencePolicies.parse(notCache, "r.json"))
        .isInstanceOf(InvalidPolicyException.class)
        .hasMessage(
            "r.json: key 'policies.users.fallback.maxAgeMs' applies only to mode cache, was 60000;"
                + " key 'policies.users.fallback.maxEntries' applies only to mode cache, was 10000");
    assertThatThrownBy(() -> ResiliencePolicies.parse(wrongType, "r.json"))
        .isInstanceOf(InvalidPolicyException.class)
        .hasMessageStartingWith("r.json: key 'policies.users.fallback.maxAgeMs': ");
  }

  @Test
  @DisplayName("refuses a hedge with both forms, with neither, or with a bad percentile form")
  void shouldRefuseAmbiguousHedges() throws IOException {
    String percentile = "\"afterPercentile\": 95, \"minMs\": 5, \"maxMs\": 200";
    String both = shipped().replace(percentile, "\"afterMs\": 50, " + percentile);
    String neither = shipped().replace(percentile, "");
    String bad =
        shipped().replace(percentile, "\"afterPercentile\": 100, \"minMs\": 50, \"maxMs\": 20");
    String noMax = shipped().replace(percentile, "\"afterPercentile\": 95");
    String fixedWithBounds = shipped().replace(percentile, "\"afterMs\": 50, \"maxMs\": 200");

    assertThatThrownBy(() -> ResiliencePolicies.parse(both, "r.json"))
        .hasMessage(
            "r.json: key 'policies.reads.hedge' must declare exactly one of afterMs (a fixed"
                + " delay) or afterPercentile (with maxMs), found both");
    assertThatThrownBy(() -> ResiliencePolicies.parse(neither, "r.json"))
        .hasMessageEndingWith("found neither");
    assertThatThrownBy(() -> ResiliencePolicies.parse(bad, "r.json"))
        .hasMessage(
            "r.json: key 'policies.reads.hedge.afterPercentile' must be in (0, 100), was 100.0;"
                + " key 'policies.reads.hedge.maxMs' must be >= minMs, was 20");
    assertThatThrownBy(() -> ResiliencePolicies.parse(noMax, "r.json"))
        .hasMessage("r.json: key 'policies.reads.hedge.maxMs' is required with afterPercentile");
    assertThatThrownBy(() -> ResiliencePolicies.parse(fixedWithBounds, "r.json"))
        .hasMessage(
            "r.json: key 'policies.reads.hedge.maxMs' applies only to afterPercentile, was 200");
    assertThat(
            ResiliencePolicies.parse(shipped().replace(percentile, "\"afterMs\": 50"), "r.json")
                .policies()
                .get("reads")
                .hedge()
                .afterMs())
        .as("the fixed form stays valid")
        .isEqualTo(50L);
  }
}
