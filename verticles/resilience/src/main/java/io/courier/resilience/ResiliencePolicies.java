package io.courier.resilience;

import com.fasterxml.jackson.annotation.JsonProperty;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonMappingException;
import com.fasterxml.jackson.databind.MapperFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.json.JsonMapper;
import io.courier.runtime.config.JsonPaths;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Named policies and the targets that use them, as declared in {@code conf/resilience.json}:
 *
 * <pre>{@code
 * {
 *   "policies": {
 *     "standard": {
 *       "attemptTimeoutMs": 500,
 *       "retry": {"maxAttempts": 3, "baseDelayMs": 20, "maxDelayMs": 500},
 *       "budget": {"ratio": 0.2, "minRetries": 10, "windowMs": 10000},
 *       "breaker": {"failureRatio": 0.5, "slowCallRatio": 1.0, "slowCallMs": 1000,
 *                   "minCalls": 20, "windowMs": 10000, "openMs": 5000, "halfOpenProbes": 3},
 *       "bulkhead": {"maxConcurrent": 64, "maxQueued": 256}
 *     }
 *   },
 *   "targets": {
 *     "inventory": {"address": "courier.inventory", "policy": "standard",
 *                   "idempotent": true, "deadlineMs": 2000}
 *   }
 * }
 * }</pre>
 *
 * A bulkhead may add {@code "adaptive": {"algorithm": "aimd", "minLimit": 4, "latencyThresholdMs":
 * 300}} or {@code {"algorithm": "gradient"}} ({@link Adaptive}): its limit then adapts to latency
 * within {@code maxConcurrent}.
 *
 * <p>Parsing is strict: an unknown key, a wrong type, a negative duration, a ratio above 1 or a
 * target naming a missing policy fails with a {@link InvalidPolicyException} naming the key.
 *
 * @param policies policies by name
 * @param targets targets by name
 * @param inbound limits on the calls a service serves, by service name ({@link Inbound}); empty
 *     when the file has no {@code inbound} section
 */
public record ResiliencePolicies(
    Map<String, Policy> policies, Map<String, Target> targets, Map<String, Inbound> inbound) {

  private static final ObjectMapper MAPPER =
      JsonMapper.builder()
          .enable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES)
          .enable(DeserializationFeature.FAIL_ON_NULL_FOR_PRIMITIVES)
          .disable(MapperFeature.ALLOW_COERCION_OF_SCALARS)
          .build();

  public ResiliencePolicies {
    policies = policies == null ? null : Map.copyOf(policies);
    targets = targets == null ? null : Map.copyOf(targets);
    inbound = inbound == null ? Map.of() : Map.copyOf(inbound);
  }

  /** Outbound policies only. */
  public ResiliencePolicies(Map<String, Policy> policies, Map<String, Target> targets) {
    this(policies, targets, null);
  }

  /** One policy. */
  public record Policy(
      @JsonProperty(required = true) long attemptTimeoutMs,
      @JsonProperty(required = true) Retry retry,
      @JsonProperty(required = true) Budget budget,
      @JsonProperty(required = true) Breaker breaker,
      @JsonProperty(required = true) BulkheadLimits bulkhead,
      Fallback fallback,
      Hedge hedge) {

    public Policy {
      fallback = fallback == null ? new Fallback("none", null) : fallback;
    }

    public RetryPolicy retryPolicy() {
      return new RetryPolicy(
          retry.maxAttempts(),
          Duration.ofMillis(retry.baseDelayMs()),
          Duration.ofMillis(retry.maxDelayMs()),
          Duration.ofMillis(attemptTimeoutMs));
    }

    public BreakerPolicy breakerPolicy() {
      return new BreakerPolicy(
          breaker.failureRatio(),
          breaker.slowCallRatio(),
          Duration.ofMillis(breaker.slowCallMs()),
          breaker.minCalls(),
          Duration.ofMillis(breaker.windowMs()),
          Duration.ofMillis(breaker.openMs()),
          breaker.probes());
    }
  }

  /** Retries. */
  public record Retry(
      @JsonProperty(required = true) int maxAttempts,
      @JsonProperty(required = true) long baseDelayMs,
      @JsonProperty(required = true) long maxDelayMs) {}

  /** The retry budget. */
  public record Budget(
      @JsonProperty(required = true) double ratio,
      @JsonProperty(required = true) int minRetries,
      @JsonProperty(required = true) long windowMs) {}

  /** The breaker. */
  public record Breaker(
      @JsonProperty(required = true) double failureRatio,
      @JsonProperty(required = true) double slowCallRatio,
      @JsonProperty(required = true) long slowCallMs,
      @JsonProperty(required = true) int minCalls,
      @JsonProperty(required = true) long windowMs,
      @JsonProperty(required = true) long openMs,
      Integer halfOpenProbes,
      Boolean perInstance) {

    /** Successful probes that close a half-open breaker (default 1). */
    public int probes() {
      return halfOpenProbes == null ? 1 : halfOpenProbes;
    }

    /**
     * Whether a target reached through discovery also gets one breaker per instance (default true),
     * so one bad instance is taken out of rotation before the target's breaker trips.
     */
    public boolean breakerPerInstance() {
      return perInstance == null || perInstance;
    }
  }

  /**
   * The bulkhead: at most {@code maxConcurrent} calls at once and {@code maxQueued} waiting; with
   * {@code adaptive}, the number running at once adapts to the target's latency within {@code
   * maxConcurrent}.
   */
  public record BulkheadLimits(
      @JsonProperty(required = true) int maxConcurrent,
      @JsonProperty(required = true) int maxQueued,
      Adaptive adaptive) {

    /** The adaptive limit with its defaults filled in, or null for a fixed one. */
    public AdaptiveLimitPolicy adaptivePolicy() {
      return adaptive == null ? null : adaptive.resolve(maxConcurrent);
    }

    /** How many calls may run at once: fixed, or adapting as {@link #adaptivePolicy()} says. */
    public ConcurrencyLimit concurrencyLimit() {
      AdaptiveLimitPolicy policy = adaptivePolicy();
      return policy == null
          ? ConcurrencyLimit.fixed(maxConcurrent)
          : ConcurrencyLimit.adaptive(policy);
    }
  }

  /**
   * An adaptive concurrency limit ({@link AdaptiveLimitPolicy} says how each algorithm works). Keys
   * left out take their defaults: {@code minLimit} 1, {@code maxLimit} the bulkhead's {@code
   * maxConcurrent}, {@code initialLimit} {@code maxLimit}; for {@code aimd} {@code
   * latencyThresholdMs} is required and {@code backoffRatio} is 0.9; for {@code gradient} {@code
   * windowSize} 10, {@code longWindow} 20, {@code smoothing} 0.2, {@code tolerance} 1.5. A key of
   * the other algorithm is refused.
   */
  public record Adaptive(
      @JsonProperty(required = true) String algorithm,
      Integer minLimit,
      Integer maxLimit,
      Integer initialLimit,
      Long latencyThresholdMs,
      Double backoffRatio,
      Integer windowSize,
      Integer longWindow,
      Double smoothing,
      Double tolerance) {

    static final double DEFAULT_BACKOFF_RATIO = 0.9;
    static final int DEFAULT_WINDOW_SIZE = 10;
    static final int DEFAULT_LONG_WINDOW = 20;
    static final double DEFAULT_SMOOTHING = 0.2;
    static final double DEFAULT_TOLERANCE = 1.5;

    int minLimitOrDefault() {
      return minLimit == null ? 1 : minLimit;
    }

    int maxLimitOrDefault(int maxConcurrent) {
      return maxLimit == null ? maxConcurrent : maxLimit;
    }

    int initialLimitOrDefault(int maxConcurrent) {
      return initialLimit == null ? maxLimitOrDefault(maxConcurrent) : initialLimit;
    }

    AdaptiveLimitPolicy resolve(int maxConcurrent) {
      int min = minLimitOrDefault();
      int max = maxLimitOrDefault(maxConcurrent);
      int initial = initialLimitOrDefault(maxConcurrent);
      if ("aimd".equals(algorithm)) {
        return AdaptiveLimitPolicy.aimd(
            min,
            max,
            initial,
            latencyThresholdMs == null ? null : Duration.ofMillis(latencyThresholdMs),
            backoffRatio == null ? DEFAULT_BACKOFF_RATIO : backoffRatio);
      }
      if ("gradient".equals(algorithm)) {
        return AdaptiveLimitPolicy.gradient(
            min,
            max,
            initial,
            windowSize == null ? DEFAULT_WINDOW_SIZE : windowSize,
            longWindow == null ? DEFAULT_LONG_WINDOW : longWindow,
            smoothing == null ? DEFAULT_SMOOTHING : smoothing,
            tolerance == null ? DEFAULT_TOLERANCE : tolerance);
      }
      throw new IllegalArgumentException("unknown algorithm " + algorithm);
    }
  }

  /**
   * What a caller gets when the call fails after the policy: {@code none} (the failure), {@code
   * cache} (the last good reply to an equal request) or {@code static} ({@code value}). A fallback
   * reply carries the header {@code courier-degraded} naming the mode.
   */
  public record Fallback(@JsonProperty(required = true) String mode, Object value) {}

  /**
   * Hedging for idempotent targets: a second attempt starts when the first has not answered after
   * {@code afterMs}; the first answer wins.
   */
  public record Hedge(@JsonProperty(required = true) long afterMs) {}

  /** A target: the event-bus address of the callee, its policy, its call semantics. */
  public record Target(
      @JsonProperty(required = true) String address,
      @JsonProperty(required = true) String policy,
      @JsonProperty(required = true) boolean idempotent,
      @JsonProperty(required = true) long deadlineMs) {}

  /**
   * The limits on the calls one service serves (the top-level {@code inbound} section, keyed by
   * service name, like Dapr's inbound policies): {@code timeoutMs} is the longest a call may spend
   * in the service, waiting for the bulkhead included (it caps the caller's {@code grpc-timeout},
   * or sets one when the caller sent none, and the shorter deadline is what the handler passes on);
   * {@code bulkhead} bounds the calls handled at once and waiting, as for a target, with an
   * optional adaptive limit. Either may be left out, not both:
   *
   * <pre>{@code
   * "inbound": {
   *   "inventory-service": {"timeoutMs": 5000,
   *                         "bulkhead": {"maxConcurrent": 512, "maxQueued": 1024}}
   * }
   * }</pre>
   */
  public record Inbound(Long timeoutMs, BulkheadLimits bulkhead) {}

  /** Parses and validates; {@code source} names the file in errors. */
  public static ResiliencePolicies parse(String json, String source) {
    ResiliencePolicies parsed;
    try {
      parsed = MAPPER.readValue(json, ResiliencePolicies.class);
    } catch (JsonMappingException e) {
      throw new InvalidPolicyException(
          source + ": key '" + JsonPaths.of(e) + "': " + e.getOriginalMessage());
    } catch (JsonProcessingException e) {
      throw new InvalidPolicyException(source + ": not valid JSON: " + e.getOriginalMessage());
    }
    if (parsed == null || parsed.policies() == null || parsed.targets() == null) {
      throw new InvalidPolicyException(source + ": needs 'policies' and 'targets'");
    }
    List<String> problems = new ArrayList<>();
    parsed.policies().forEach((name, policy) -> validate("policies." + name, policy, problems));
    parsed
        .targets()
        .forEach(
            (name, target) -> {
              String key = "targets." + name;
              if (!parsed.policies().containsKey(target.policy())) {
                problems.add(
                    "key '" + key + ".policy' names unknown policy '" + target.policy() + "'");
              }
              if (target.address().isBlank()) {
                problems.add("key '" + key + ".address' must not be empty");
              }
              if (target.deadlineMs() <= 0) {
                problems.add(
                    "key '" + key + ".deadlineMs' must be positive, was " + target.deadlineMs());
              }
            });
    parsed
        .inbound()
        .forEach((service, inbound) -> validateInbound("inbound." + service, inbound, problems));
    if (!problems.isEmpty()) {
      throw new InvalidPolicyException(source + ": " + String.join("; ", problems));
    }
    return parsed;
  }

  private static void validate(String key, Policy policy, List<String> problems) {
    check(
        problems,
        key + ".attemptTimeoutMs",
        policy.attemptTimeoutMs() > 0,
        policy.attemptTimeoutMs(),
        "must be positive");
    check(
        problems,
        key + ".retry.maxAttempts",
        policy.retry().maxAttempts() >= 1,
        policy.retry().maxAttempts(),
        "must be >= 1");
    check(
        problems,
        key + ".retry.baseDelayMs",
        policy.retry().baseDelayMs() > 0,
        policy.retry().baseDelayMs(),
        "must be positive");
    check(
        problems,
        key + ".retry.maxDelayMs",
        policy.retry().maxDelayMs() >= policy.retry().baseDelayMs(),
        policy.retry().maxDelayMs(),
        "must be >= baseDelayMs");
    check(
        problems,
        key + ".budget.ratio",
        policy.budget().ratio() >= 0 && policy.budget().ratio() <= 1,
        policy.budget().ratio(),
        "must be 0..1");
    check(
        problems,
        key + ".budget.minRetries",
        policy.budget().minRetries() >= 0,
        policy.budget().minRetries(),
        "must be >= 0");
    check(
        problems,
        key + ".budget.windowMs",
        policy.budget().windowMs() > 0,
        policy.budget().windowMs(),
        "must be positive");
    Breaker breaker = policy.breaker();
    check(
        problems,
        key + ".breaker.failureRatio",
        breaker.failureRatio() > 0 && breaker.failureRatio() <= 1,
        breaker.failureRatio(),
        "must be in (0, 1]");
    check(
        problems,
        key + ".breaker.slowCallRatio",
        breaker.slowCallRatio() > 0 && breaker.slowCallRatio() <= 1,
        breaker.slowCallRatio(),
        "must be in (0, 1]");
    check(
        problems,
        key + ".breaker.slowCallMs",
        breaker.slowCallMs() > 0,
        breaker.slowCallMs(),
        "must be positive");
    check(
        problems,
        key + ".breaker.minCalls",
        breaker.minCalls() >= 1,
        breaker.minCalls(),
        "must be >= 1");
    check(
        problems,
        key + ".breaker.windowMs",
        breaker.windowMs() > 0,
        breaker.windowMs(),
        "must be positive");
    check(
        problems,
        key + ".breaker.openMs",
        breaker.openMs() > 0,
        breaker.openMs(),
        "must be positive");
    check(
        problems,
        key + ".breaker.halfOpenProbes",
        breaker.probes() >= 1 && breaker.probes() <= 100,
        breaker.probes(),
        "must be in 1..100");
    check(
        problems,
        key + ".bulkhead.maxConcurrent",
        policy.bulkhead().maxConcurrent() >= 1,
        policy.bulkhead().maxConcurrent(),
        "must be >= 1");
    check(
        problems,
        key + ".bulkhead.maxQueued",
        policy.bulkhead().maxQueued() >= 0,
        policy.bulkhead().maxQueued(),
        "must be >= 0");
    if (policy.bulkhead().adaptive() != null) {
      validateAdaptive(
          key + ".bulkhead.adaptive",
          policy.bulkhead().adaptive(),
          policy.bulkhead().maxConcurrent(),
          problems);
    }
    String mode = policy.fallback().mode();
    check(
        problems,
        key + ".fallback.mode",
        Set.of("none", "cache", "static").contains(mode),
        mode,
        "must be none, cache or static");
    if ("static".equals(mode) && policy.fallback().value() == null) {
      problems.add("key '" + key + ".fallback.value' is required for a static fallback");
    }
    if (policy.hedge() != null) {
      check(
          problems,
          key + ".hedge.afterMs",
          policy.hedge().afterMs() > 0,
          policy.hedge().afterMs(),
          "must be positive");
    }
  }

  private static void validateAdaptive(
      String key, Adaptive adaptive, int maxConcurrent, List<String> problems) {
    boolean aimd = "aimd".equals(adaptive.algorithm());
    boolean gradient = "gradient".equals(adaptive.algorithm());
    check(
        problems,
        key + ".algorithm",
        aimd || gradient,
        adaptive.algorithm(),
        "must be aimd or gradient");
    int min = adaptive.minLimitOrDefault();
    int max = adaptive.maxLimitOrDefault(maxConcurrent);
    check(problems, key + ".minLimit", min >= 1, min, "must be >= 1");
    check(
        problems,
        key + ".maxLimit",
        max >= min && max <= maxConcurrent,
        max,
        "must be between minLimit and bulkhead.maxConcurrent");
    int initial = adaptive.initialLimitOrDefault(maxConcurrent);
    check(
        problems,
        key + ".initialLimit",
        initial >= min && initial <= max,
        initial,
        "must be between minLimit and maxLimit");
    if (aimd) {
      if (adaptive.latencyThresholdMs() == null) {
        problems.add("key '" + key + ".latencyThresholdMs' is required for aimd");
      } else {
        check(
            problems,
            key + ".latencyThresholdMs",
            adaptive.latencyThresholdMs() > 0,
            adaptive.latencyThresholdMs(),
            "must be positive");
      }
      if (adaptive.backoffRatio() != null) {
        check(
            problems,
            key + ".backoffRatio",
            adaptive.backoffRatio() > 0 && adaptive.backoffRatio() < 1,
            adaptive.backoffRatio(),
            "must be in (0, 1)");
      }
      onlyFor(problems, key + ".windowSize", adaptive.windowSize(), "gradient");
      onlyFor(problems, key + ".longWindow", adaptive.longWindow(), "gradient");
      onlyFor(problems, key + ".smoothing", adaptive.smoothing(), "gradient");
      onlyFor(problems, key + ".tolerance", adaptive.tolerance(), "gradient");
    }
    if (gradient) {
      if (adaptive.windowSize() != null) {
        check(
            problems,
            key + ".windowSize",
            adaptive.windowSize() >= 1,
            adaptive.windowSize(),
            "must be >= 1");
      }
      if (adaptive.longWindow() != null) {
        check(
            problems,
            key + ".longWindow",
            adaptive.longWindow() >= 1,
            adaptive.longWindow(),
            "must be >= 1");
      }
      if (adaptive.smoothing() != null) {
        check(
            problems,
            key + ".smoothing",
            adaptive.smoothing() > 0 && adaptive.smoothing() <= 1,
            adaptive.smoothing(),
            "must be in (0, 1]");
      }
      if (adaptive.tolerance() != null) {
        check(
            problems,
            key + ".tolerance",
            adaptive.tolerance() >= 1,
            adaptive.tolerance(),
            "must be >= 1");
      }
      onlyFor(problems, key + ".latencyThresholdMs", adaptive.latencyThresholdMs(), "aimd");
      onlyFor(problems, key + ".backoffRatio", adaptive.backoffRatio(), "aimd");
    }
  }

  private static void onlyFor(List<String> problems, String key, Object value, String algorithm) {
    if (value != null) {
      problems.add("key '" + key + "' applies only to " + algorithm + ", was " + value);
    }
  }

  private static void check(
      List<String> problems, String key, boolean ok, Object value, String rule) {
    if (!ok) {
      problems.add("key '" + key + "' " + rule + ", was " + value);
    }
  }

  private static void validateInbound(String key, Inbound inbound, List<String> problems) {
    if (inbound == null || (inbound.timeoutMs() == null && inbound.bulkhead() == null)) {
      problems.add("key '" + key + "' must declare timeoutMs or bulkhead");
      return;
    }
    if (inbound.timeoutMs() != null) {
      check(
          problems,
          key + ".timeoutMs",
          inbound.timeoutMs() > 0,
          inbound.timeoutMs(),
          "must be positive");
    }
    if (inbound.bulkhead() != null) {
      validateBulkhead(key + ".bulkhead", inbound.bulkhead(), problems);
    }
  }

  /** The rules of a bulkhead section under {@code key}. */
  private static void validateBulkhead(String key, BulkheadLimits limits, List<String> problems) {
    check(
        problems,
        key + ".maxConcurrent",
        limits.maxConcurrent() >= 1,
        limits.maxConcurrent(),
        "must be >= 1");
    check(
        problems, key + ".maxQueued", limits.maxQueued() >= 0, limits.maxQueued(), "must be >= 0");
    if (limits.adaptive() != null) {
      validateAdaptive(key + ".adaptive", limits.adaptive(), limits.maxConcurrent(), problems);
    }
  }
}
