package io.courier.resilience;

import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Optional;
import java.util.function.LongSupplier;

/**
 * The last good answer per key, for a {@code cache} fallback ({@link ResiliencePolicies.Fallback}):
 * bounded by entries (the least recently used is dropped past {@code maxEntries}) and by age (an
 * answer older than {@code maxAge} is never served, and is dropped when looked up). Time comes from
 * an injected monotonic clock in nanoseconds. Thread-safe; every operation is O(1) under one lock.
 *
 * <p>The bounds may change on a policy reload ({@link #resize}): a smaller bound drops the least
 * recently used answers at once, a shorter age applies to the answers already held.
 *
 * @param <K> the request's key (a user id, say)
 * @param <V> the answer
 */
public final class FallbackCache<K, V> {

  private record Entry<V>(V value, long storedAt) {}

  private final LongSupplier clock;
  private final LinkedHashMap<K, Entry<V>> entries = new LinkedHashMap<>(16, 0.75f, true);
  private int maxEntries;
  private long maxAgeNanos;

  /**
   * @param maxEntries how many answers are kept at most (at least 1)
   * @param maxAge how old an answer may be and still be served (positive)
   * @param nanoClock monotonic nanoseconds ({@code System::nanoTime} outside tests)
   */
  public FallbackCache(int maxEntries, Duration maxAge, LongSupplier nanoClock) {
    this.clock = nanoClock;
    resize(maxEntries, maxAge);
  }

  /** A cache with the bounds of {@code fallback} (its defaults when it names none). */
  public static <K, V> FallbackCache<K, V> of(
      ResiliencePolicies.Fallback fallback, LongSupplier nanoClock) {
    return new FallbackCache<>(fallback.entries(), fallback.maxAge(), nanoClock);
  }

  /** Applies new bounds; answers past them are dropped. */
  public synchronized void resize(int maxEntries, Duration maxAge) {
    if (maxEntries < 1) {
      throw new IllegalArgumentException("maxEntries must be >= 1, was " + maxEntries);
    }
    if (maxAge.isNegative() || maxAge.isZero()) {
      throw new IllegalArgumentException("maxAge must be positive, was " + maxAge);
    }
    this.maxEntries = maxEntries;
    this.maxAgeNanos = maxAge.toNanos();
    trim();
  }

  /** Remembers {@code value} as the last good answer for {@code key}, as of now. */
  public synchronized void put(K key, V value) {
    entries.put(key, new Entry<>(value, clock.getAsLong()));
    trim();
  }

  /** The last good answer for {@code key} if it is younger than the age bound. */
  public synchronized Optional<V> get(K key) {
    Entry<V> entry = entries.get(key);
    if (entry == null) {
      return Optional.empty();
    }
    if (clock.getAsLong() - entry.storedAt() >= maxAgeNanos) {
      entries.remove(key);
      return Optional.empty();
    }
    return Optional.of(entry.value());
  }

  /** How many answers are held (expired ones included until looked up or pushed out). */
  public synchronized int size() {
    return entries.size();
  }

  private void trim() {
    var eldest = entries.entrySet().iterator();
    while (entries.size() > maxEntries && eldest.hasNext()) {
      eldest.next();
      eldest.remove();
    }
  }

  /**
   * Whether a call that failed with {@code error} may be answered from a fallback: the callee could
   * not answer (unreachable, timed out, overloaded, breaker open, failing), as opposed to an answer
   * of its own about the request (NOT_FOUND, INVALID_ARGUMENT, PERMISSION_DENIED and the like),
   * which stays authoritative, or a TLS failure, which is a configuration error to surface.
   */
  public static boolean fallsBackOn(Throwable error) {
    Failure failure = FailureClassifier.classify(error);
    return failure.failureClass() != FailureClass.CLIENT_ERROR
        && failure.failureClass() != FailureClass.TLS;
  }

  /** The bounds of a {@code cache} fallback; other modes must leave them out. */
  static void validate(ResiliencePolicies.Fallback fallback, PolicyProblems at) {
    if ("cache".equals(fallback.mode())) {
      if (fallback.maxAgeMs() != null) {
        at.between("maxAgeMs", fallback.maxAgeMs(), 1, 86_400_000L, "1 and 86400000 (one day)");
      }
      if (fallback.maxEntries() != null) {
        at.between("maxEntries", fallback.maxEntries(), 1, 1_000_000, "1 and 1000000");
      }
    } else {
      at.onlyFor("maxAgeMs", fallback.maxAgeMs(), "mode cache");
      at.onlyFor("maxEntries", fallback.maxEntries(), "mode cache");
    }
  }
}
