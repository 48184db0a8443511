package io.courier.gateway;

import com.hazelcast.core.HazelcastInstance;
import io.github.bucket4j.BucketConfiguration;
import io.github.bucket4j.ConsumptionProbe;
import io.github.bucket4j.TimeMeter;
import io.github.bucket4j.distributed.ExpirationAfterWriteStrategy;
import io.github.bucket4j.distributed.proxy.AsyncProxyManager;
import io.github.bucket4j.grid.hazelcast.Bucket4jHazelcast;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import java.time.Duration;
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
