package io.courier.gateway;

import com.hazelcast.core.HazelcastInstance;
import io.github.bucket4j.Bandwidth;
import io.github.bucket4j.BucketConfiguration;
import io.github.bucket4j.ConsumptionProbe;
import io.github.bucket4j.TimeMeter;
import io.github.bucket4j.distributed.ExpirationAfterWriteStrategy;
import io.github.bucket4j.distributed.proxy.AsyncProxyManager;
import io.github.bucket4j.grid.hazelcast.Bucket4jHazelcast;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;

/**
 * Buckets in the Hazelcast map {@value #MAP}, shared by every gateway of the cluster. A token is
 * taken by an entry processor on the member owning the key, asynchronously; the answer comes back
 * on the caller's context. An entry expires once its bucket would be full again (plus a margin), so
 * the map holds only clients seen recently.
 */
final class ClusterRateLimiter implements RateLimiter {

  /** The Hazelcast map of the buckets: key {@code operationId|client}, value Bucket4j's state. */
  static final String MAP = "courier.gateway.rate-limits";

  private static final Duration KEEP_AFTER_FULL = Duration.ofSeconds(10);
  private static final int WARM_UP_KEYS = 8;

  private final AsyncProxyManager<String> buckets;

  private ClusterRateLimiter(AsyncProxyManager<String> buckets) {
    this.buckets = buckets;
  }

  /** Looks the map up; may talk to the cluster, so call it on a worker. */
  static ClusterRateLimiter create(HazelcastInstance hazelcast, TimeMeter clock) {
    return new ClusterRateLimiter(
        Bucket4jHazelcast.<String>entryProcessorBasedBuilder(hazelcast.getMap(MAP))
            .clientClock(clock)
            .expirationAfterWrite(
                ExpirationAfterWriteStrategy.basedOnTimeForRefillingBucketUpToMax(KEEP_AFTER_FULL))
            .build()
            .asAsync());
  }

  /**
   * Takes a token from a few throw-away buckets (spread over the partitions, so most members run
   * one), so the first requests do not pay for loading and serialising Bucket4j's classes.
   */
  Future<Void> warmUp() {
    BucketConfiguration single =
        BucketConfiguration.builder()
            .addLimit(
                Bandwidth.builder().capacity(1).refillGreedy(1, Duration.ofSeconds(1)).build())
            .build();
    String prefix = "warm-up|" + UUID.randomUUID() + "|";
    List<Future<ConsumptionProbe>> probes = new ArrayList<>();
    for (int i = 0; i < WARM_UP_KEYS; i++) {
      probes.add(tryConsume(prefix + i, single));
    }
    return Future.all(probes).mapEmpty();
  }

  @Override
  public Future<ConsumptionProbe> tryConsume(String key, BucketConfiguration bucket) {
    return Future.fromCompletionStage(
        buckets
            .builder()
            .build(key, () -> CompletableFuture.completedFuture(bucket))
            .tryConsumeAndReturnRemaining(1),
        Vertx.currentContext());
  }
}
