package io.courier.runtime.config;

/**
 * The standard services every gRPC server of the process serves beside its own: {@code
 * grpc.health.v1.Health}, always, and server reflection when asked for.
 *
 * @param reflection serve {@code grpc.reflection.v1} and {@code v1alpha} (grpcurl, Postman): the
 *     services' schemas to anyone the server admits; on in the dev profile, off by default
 * @param healthWatchIntervalMs how often a health Watch stream re-reads the process's readiness,
 *     sending a status when it changes; 50..60000
 */
public record GrpcConfig(boolean reflection, long healthWatchIntervalMs) {

  public static final GrpcConfig DEFAULTS = new GrpcConfig(false, 1_000);

  /** The longest {@code healthWatchIntervalMs} taken: a watcher should hear of a change soon. */
  public static final long MAX_HEALTH_WATCH_INTERVAL_MS = 60_000;

  public GrpcConfig {
    ConfigChecks checks =
        new ConfigChecks().atLeast("healthWatchIntervalMs", healthWatchIntervalMs, 50);
    if (healthWatchIntervalMs > MAX_HEALTH_WATCH_INTERVAL_MS) {
      checks.invalid(
          "healthWatchIntervalMs",
          "is " + healthWatchIntervalMs + "; must be <= " + MAX_HEALTH_WATCH_INTERVAL_MS);
    }
    checks.orThrow();
  }
}
