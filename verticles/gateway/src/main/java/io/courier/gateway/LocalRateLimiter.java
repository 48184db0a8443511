package io.courier.gateway;

import io.github.bucket4j.Bandwidth;
import io.github.bucket4j.Bucket;
import io.github.bucket4j.BucketConfiguration;
import io.github.bucket4j.ConsumptionProbe;
import io.github.bucket4j.TimeMeter;
import io.github.bucket4j.local.LocalBucket;
import io.vertx.core.Future;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Buckets in this process, at most {@code maxBuckets} of authenticated clients and as many of
 * anonymous ones (addresses, API keys): in each, the least recently used goes first, so a flood of
 * anonymous keys never evicts (and so refills) an authenticated client's bucket. Taking a token is
 * lock-free in Bucket4j; a map's lock is held only to find the bucket.
 */
final class LocalRateLimiter implements RateLimiter {

  private final TimeMeter clock;
  private final Map<String, LocalBucket> authenticated;
  private final Map<String, LocalBucket> anonymous;

  LocalRateLimiter(int maxBuckets, TimeMeter clock) {
    this.clock = clock;
    this.authenticated = lru(maxBuckets);
    this.anonymous = lru(maxBuckets);
  }

  private static Map<String, LocalBucket> lru(int maxBuckets) {
    return new LinkedHashMap<>(16, 0.75f, true) {
      @Override
      protected boolean removeEldestEntry(Map.Entry<String, LocalBucket> eldest) {
        return size() > maxBuckets;
      }
    };
  }

  @Override
  public Future<ConsumptionProbe> tryConsume(String key, BucketConfiguration bucket) {
    return Future.succeededFuture(bucket(key, bucket).tryConsumeAndReturnRemaining(1));
  }

  /** Buckets held now. */
  synchronized int size() {
    return authenticated.size() + anonymous.size();
  }

  private synchronized LocalBucket bucket(String key, BucketConfiguration configuration) {
    Map<String, LocalBucket> buckets =
        key.contains("|" + RateLimitHandler.AUTHENTICATED) ? authenticated : anonymous;
    return buckets.computeIfAbsent(
        key,
        k -> {
          var builder = Bucket.builder().withCustomTimePrecision(clock);
          for (Bandwidth limit : configuration.getBandwidths()) {
            builder.addLimit(limit);
          }
          return builder.build();
        });
  }
}
