package io.courier.gateway;

import io.vertx.ext.auth.User;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Tokens whose signature, issuer and audience were verified, by the whole token, so a client that
 * reuses its token (as clients do for its lifetime) pays for one signature check, not one per
 * request: an ES256 verification costs milliseconds of CPU. Bounded, least recently used first out.
 * An entry holds only under the key set it was verified with: a changed JWKS (a key withdrawn or
 * rotated) makes every entry a miss. Expiry and not-before are not cached: the caller checks them
 * on every use, on its own clock.
 */
final class VerifiedTokens {

  private record Entry(User user, long keys) {}

  private final int capacity;
  private final Map<String, Entry> entries;

  /**
   * @param capacity tokens held at most; 0 holds none
   */
  VerifiedTokens(int capacity) {
    this.capacity = capacity;
    this.entries =
        new LinkedHashMap<>(16, 0.75f, true) {
          private static final long serialVersionUID = 1L;

          @Override
          protected boolean removeEldestEntry(Map.Entry<String, Entry> eldest) {
            return size() > VerifiedTokens.this.capacity;
          }
        };
  }

  /** The user {@code token} was verified as under key set {@code keys}, or null. */
  synchronized User get(String token, long keys) {
    Entry entry = entries.get(token);
    if (entry == null) {
      return null;
    }
    if (entry.keys() != keys) {
      entries.remove(token);
      return null;
    }
    return entry.user();
  }

  synchronized void put(String token, long keys, User user) {
    if (capacity > 0) {
      entries.put(token, new Entry(user, keys));
    }
  }

  synchronized void remove(String token) {
    entries.remove(token);
  }

  synchronized int size() {
    return entries.size();
  }
}
