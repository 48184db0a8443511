package io.courier.resilience;

import com.fasterxml.jackson.annotation.JsonProperty;
import java.time.Duration;
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
 * target naming a missing policy fails with a {@link InvalidPolicyException} naming the key. Each
 * record checks its own keys and keeps its own defaults; a bulkhead's rules are the same for a
 * target's policy and an inbound section.
 *
 * @param policies policies by name
 * @param targets targets by name
 * @param inbound limits on the calls a service serves, by service name ({@link Inbound}); empty
 *     when the file has no {@code inbound} section
 */
public record ResiliencePolicies(
    Map<String, Policy> policies, Map<String, Target> targets, Map<String, Inbound> inbound) {

  public ResiliencePolicies {
    policies = policies == null ? null : Map.copyOf(policies);
    targets = targets == null ? null : Map.copyOf(targets);
    inbound = inbound == null ? Map.of() : Map.copyOf(inbound);
  }

  /** Outbound policies only. */
  public ResiliencePolicies(Map<String, Policy> policies, Map<String, Target> targets) {
    this(policies, targets, null);
  }

  /** Parses and validates; {@code source} names the file in errors. */
  public static ResiliencePolicies parse(String json, String source) {
    return PolicyFileParser.parse(json, source);
  }

  /** The problems of the whole file: policies, then targets, then inbound sections. */
  void validate(PolicyProblems problems) {
    policies.forEach((name, policy) -> policy.validate(problems.at("policies").at(name)));
    targets.forEach(
        (name, target) -> {
          PolicyProblems at = problems.at("targets").at(name);
          if (!policies.containsKey(target.policy())) {
            at.at("policy").add("names unknown policy '" + target.policy() + "'");
          }
          target.validate(at);
        });
    inbound.forEach((service, section) -> section.validate(problems.at("inbound").at(service)));
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
      fallback = fallback == null ? new Fallback("none", null, null, null) : fallback;
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

    void validate(PolicyProblems at) {
      at.positive("attemptTimeoutMs", attemptTimeoutMs);
      retry.validate(at.at("retry"));
      budget.validate(at.at("budget"));
      breaker.validate(at.at("breaker"));
      bulkhead.validate(at.at("bulkhead"));
      fallback.validate(at.at("fallback"));
      if (hedge != null) {
        hedge.validate(at.at("hedge"));
      }
    }
  }

  /** Retries. */
  public record Retry(
      @JsonProperty(required = true) int maxAttempts,
      @JsonProperty(required = true) long baseDelayMs,
      @JsonProperty(required = true) long maxDelayMs) {

    void validate(PolicyProblems at) {
      at.atLeast("maxAttempts", maxAttempts, 1);
      at.positive("baseDelayMs", baseDelayMs);
      at.check("maxDelayMs", maxDelayMs >= baseDelayMs, maxDelayMs, "must be >= baseDelayMs");
    }
  }

  /** The retry budget. */
  public record Budget(
      @JsonProperty(required = true) double ratio,
      @JsonProperty(required = true) int minRetries,
      @JsonProperty(required = true) long windowMs) {

    void validate(PolicyProblems at) {
      at.check("ratio", ratio >= 0 && ratio <= 1, ratio, "must be 0..1");
      at.atLeast("minRetries", minRetries, 0);
      at.positive("windowMs", windowMs);
    }
  }

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

    void validate(PolicyProblems at) {
      at.fraction("failureRatio", failureRatio);
      at.fraction("slowCallRatio", slowCallRatio);
      at.positive("slowCallMs", slowCallMs);
      at.atLeast("minCalls", minCalls, 1);
      at.positive("windowMs", windowMs);
      at.positive("openMs", openMs);
      at.check("halfOpenProbes", probes() >= 1 && probes() <= 100, probes(), "must be in 1..100");
    }
  }

  /**
   * The bulkhead: at most {@code maxConcurrent} calls at once and {@code maxQueued} waiting; with
   * {@code adaptive}, the number running at once adapts to the target's latency within {@code
   * maxConcurrent}. The same section bounds a target's calls and a service's inbound ones.
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

    void validate(PolicyProblems at) {
      at.atLeast("maxConcurrent", maxConcurrent, 1);
      at.atLeast("maxQueued", maxQueued, 0);
      if (adaptive != null) {
        adaptive.validate(at.at("adaptive"), maxConcurrent);
      }
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

    void validate(PolicyProblems at, int maxConcurrent) {
      boolean aimd = "aimd".equals(algorithm);
      boolean gradient = "gradient".equals(algorithm);
      at.check("algorithm", aimd || gradient, algorithm, "must be aimd or gradient");
      int min = minLimitOrDefault();
      int max = maxLimitOrDefault(maxConcurrent);
      int initial = initialLimitOrDefault(maxConcurrent);
      at.atLeast("minLimit", min, 1);
      at.between("maxLimit", max, min, maxConcurrent, "minLimit and bulkhead.maxConcurrent");
      at.between("initialLimit", initial, min, max, "minLimit and maxLimit");
      if (aimd) {
        if (latencyThresholdMs == null) {
          at.at("latencyThresholdMs").add("is required for aimd");
        } else {
          at.positive("latencyThresholdMs", latencyThresholdMs);
        }
        if (backoffRatio != null) {
          at.check(
              "backoffRatio",
              backoffRatio > 0 && backoffRatio < 1,
              backoffRatio,
              "must be in (0, 1)");
        }
        at.onlyFor("windowSize", windowSize, "gradient");
        at.onlyFor("longWindow", longWindow, "gradient");
        at.onlyFor("smoothing", smoothing, "gradient");
        at.onlyFor("tolerance", tolerance, "gradient");
      }
      if (gradient) {
        if (windowSize != null) {
          at.atLeast("windowSize", windowSize, 1);
        }
        if (longWindow != null) {
          at.atLeast("longWindow", longWindow, 1);
        }
        if (smoothing != null) {
          at.fraction("smoothing", smoothing);
        }
        if (tolerance != null) {
          at.check("tolerance", tolerance >= 1, tolerance, "must be >= 1");
        }
        at.onlyFor("latencyThresholdMs", latencyThresholdMs, "aimd");
        at.onlyFor("backoffRatio", backoffRatio, "aimd");
      }
    }
  }

  /**
   * What a caller gets when the call fails after the policy: {@code none} (the failure), {@code
   * cache} (the last good reply to an equal request) or {@code static} ({@code value}). A fallback
   * reply carries the header {@code courier-degraded}.
   *
   * <p>For {@code cache}, {@code maxAgeMs} (default {@value #DEFAULT_MAX_AGE_MS}) is how old a
   * remembered reply may be and still be served, and {@code maxEntries} (default {@value
   * #DEFAULT_MAX_ENTRIES}) how many replies are remembered, the least recently used dropped first
   * ({@link FallbackCache}). Only failures of the callee itself fall back (unavailable, timed out,
   * breaker open, rejected); an answer such as NOT_FOUND stays authoritative.
   */
  public record Fallback(
      @JsonProperty(required = true) String mode, Object value, Long maxAgeMs, Integer maxEntries) {

    static final long DEFAULT_MAX_AGE_MS = 60_000;
    static final int DEFAULT_MAX_ENTRIES = 10_000;

    private static final Set<String> MODES = Set.of("none", "cache", "static");

    /** How old a cached reply may be and still be served. */
    public Duration maxAge() {
      return Duration.ofMillis(maxAgeMs == null ? DEFAULT_MAX_AGE_MS : maxAgeMs);
    }

    /** How many cached replies are kept at most. */
    public int entries() {
      return maxEntries == null ? DEFAULT_MAX_ENTRIES : maxEntries;
    }

    void validate(PolicyProblems at) {
      at.check("mode", MODES.contains(mode), mode, "must be none, cache or static");
      if ("static".equals(mode) && value == null) {
        at.at("value").add("is required for a static fallback");
      }
      FallbackCache.validate(this, at);
    }
  }

  /**
   * Hedging for idempotent targets: a second attempt, to another instance when one is up, starts
   * when the first has not answered after the hedge delay; the first answer wins. The delay is
   * either fixed ({@code afterMs}) or adaptive: {@code afterPercentile} of the target's recent
   * successful attempts ({@link HedgeDelay}), clamped to {@code minMs} (default 1) .. {@code maxMs}
   * (required), and {@code maxMs} until enough attempts were seen. Exactly one of the two forms.
   */
  public record Hedge(Long afterMs, Double afterPercentile, Long minMs, Long maxMs) {

    /** Whether the delay follows the target's latency rather than a fixed {@code afterMs}. */
    public boolean adaptive() {
      return afterPercentile != null;
    }

    long min() {
      return minMs == null ? 1 : minMs;
    }

    void validate(PolicyProblems at) {
      HedgeDelay.validate(this, at);
    }
  }

  /**
   * A target: the event-bus address of the callee, its policy, its call semantics. That the policy
   * exists is a rule of the whole file, which {@link ResiliencePolicies} checks.
   */
  public record Target(
      @JsonProperty(required = true) String address,
      @JsonProperty(required = true) String policy,
      @JsonProperty(required = true) boolean idempotent,
      @JsonProperty(required = true) long deadlineMs,
      Routing routing) {

    /** A target without version routing. */
    public Target(String address, String policy, boolean idempotent, long deadlineMs) {
      this(address, policy, idempotent, deadlineMs, null);
    }

    void validate(PolicyProblems at) {
      if (address.isBlank()) {
        at.at("address").add("must not be empty");
      }
      at.positive("deadlineMs", deadlineMs);
      if (routing != null) {
        routing.validate(at.at("routing"));
      }
    }
  }

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
  public record Inbound(Long timeoutMs, BulkheadLimits bulkhead) {

    void validate(PolicyProblems at) {
      if (timeoutMs == null && bulkhead == null) {
        at.add("must declare timeoutMs or bulkhead");
        return;
      }
      if (timeoutMs != null) {
        at.positive("timeoutMs", timeoutMs);
      }
      if (bulkhead != null) {
        bulkhead.validate(at.at("bulkhead"));
      }
    }
  }
}
