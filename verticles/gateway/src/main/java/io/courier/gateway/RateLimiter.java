package io.courier.gateway;

import io.courier.gateway.GatewayConfig.RateLimitConfig;
import io.github.bucket4j.BucketConfiguration;
import io.github.bucket4j.ConsumptionProbe;
import io.github.bucket4j.TimeMeter;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.internal.VertxInternal;
import io.vertx.core.shareddata.Shareable;
import io.vertx.spi.cluster.hazelcast.HazelcastClusterManager;
import java.time.Clock;
import java.time.Instant;

/**
 * Token buckets by key (Bucket4j): in this process, or in a Hazelcast map shared by every gateway
 * of the cluster. One limiter serves all gateway verticles of a process, so {@code
 * gateway.instances} does not multiply the limits.
 */
interface RateLimiter {

  /**
   * Takes one token from the bucket of {@code key}, made from {@code bucket} if it does not exist.
   * Completes on the caller's context; never blocks it.
   */
  Future<ConsumptionProbe> tryConsume(String key, BucketConfiguration bucket);

  /**
   * The process's limiter: cluster-wide over Hazelcast when the Vert.x instance is clustered with
   * it, else local. Created once per Vert.x instance; the Hazelcast map is looked up on a worker.
   */
  static Future<RateLimiter> forProcess(Vertx vertx, RateLimitConfig config) {
    Shared shared =
        vertx
            .sharedData()
            .<String, Shared>getLocalMap(Shared.MAP)
            .computeIfAbsent(Shared.KEY, key -> new Shared(create(vertx, config)));
    return shared.limiter();
  }

  private static Future<RateLimiter> create(Vertx vertx, RateLimitConfig config) {
    TimeMeter clock = timeMeter(Clock.systemUTC());
    if (vertx instanceof VertxInternal internal
        && internal.clusterManager() instanceof HazelcastClusterManager hazelcast) {
      return vertx
          .executeBlocking(
              () -> ClusterRateLimiter.create(hazelcast.getHazelcastInstance(), clock), false)
          .compose(limiter -> limiter.warmUp().map(limiter));
    }
    return Future.succeededFuture(new LocalRateLimiter(config.maxLocalBuckets(), clock));
  }

  /** Bucket4j's clock, read from a {@link Clock} (wall-clock time: it is shared by processes). */
  static TimeMeter timeMeter(Clock clock) {
    return new TimeMeter() {
      @Override
      public long currentTimeNanos() {
        Instant now = clock.instant();
        return now.getEpochSecond() * 1_000_000_000L + now.getNano();
      }

      @Override
      public boolean isWallClockBased() {
        return true;
      }
    };
  }

  /** Holds the process's limiter in Vert.x's local shared data. */
  record Shared(Future<RateLimiter> limiter) implements Shareable {
    static final String MAP = "courier.gateway.rate-limiter";
    static final String KEY = "limiter";
  }
}
