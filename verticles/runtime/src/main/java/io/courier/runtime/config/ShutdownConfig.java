package io.courier.runtime.config;

/**
 * Graceful stop.
 *
 * @param drainTimeoutMs how long undeploying every role may take before the process gives up
 * @param quietPeriodMs how long readiness reports 503 before the first role stops, so load
 *     balancers stop sending traffic first; 0 in Kubernetes, where the pod's preStop hook waits
 *     instead. Registrations in discovery are removed when draining starts, and roles stop no
 *     sooner than the backend's propagation time after that (1.5 s for both backends)
 */
public record ShutdownConfig(long drainTimeoutMs, long quietPeriodMs) {

  public static final ShutdownConfig DEFAULTS = new ShutdownConfig(15_000, 0);

  public ShutdownConfig {
    ConfigChecks checks =
        new ConfigChecks()
            .atLeast("drainTimeoutMs", drainTimeoutMs, 1)
            .atLeast("quietPeriodMs", quietPeriodMs, 0);
    if (quietPeriodMs >= drainTimeoutMs) {
      checks.invalid(
          "quietPeriodMs", "must be shorter than shutdown.drainTimeoutMs, which includes it");
    }
    checks.orThrow();
  }
}
