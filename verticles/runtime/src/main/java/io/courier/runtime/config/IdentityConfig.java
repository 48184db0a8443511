package io.courier.runtime.config;

import java.util.Base64;

/**
 * How a caller's identity travels between Courier's services: sealed with the platform's identity
 * key (HMAC-SHA256), so only a process holding the key (the gateway, which verified the caller's
 * token, and the services that relay it) can assert one; a subject or scopes a peer merely claims
 * are never taken.
 *
 * @param required true refuses a user-facing request (placing or reading an order, reading a user)
 *     that carries no sealed identity; false (development) lets such a request act as the platform
 * @param key the identity key, base64 of at least 32 random bytes; give it from a Secret ({@code
 *     COURIER_SECURITY_IDENTITY_KEY}), never in a file. Every process that seals or opens
 *     identities needs the same key
 * @param devKeyDir instead of a key: a directory holding a development key ({@code identity.key},
 *     created once and shared by the processes started from the same directory); refused in
 *     production
 * @param ttlMs how long a sealed identity is accepted after it was sealed (the request it travels
 *     with is long answered by then)
 */
public record IdentityConfig(boolean required, String key, String devKeyDir, long ttlMs) {

  public static final IdentityConfig DEFAULTS =
      new IdentityConfig(false, "", ".courier/keys", 60_000);

  /** The smallest key accepted, in bytes (HMAC-SHA256's own output size). */
  public static final int MIN_KEY_BYTES = 32;

  public IdentityConfig {
    ConfigChecks checks = new ConfigChecks().atLeast("ttlMs", ttlMs, 1_000);
    if (!key.isBlank() && !devKeyDir.isBlank()) {
      checks.keys(
          java.util.List.of("key", "devKeyDir"),
          "set only one, the identity key (from a Secret) or a development key directory");
    }
    if (!key.isBlank()) {
      byte[] decoded = decode(key);
      if (decoded == null) {
        checks.invalid("key", "is not base64");
      } else if (decoded.length < MIN_KEY_BYTES) {
        checks.invalid(
            "key",
            "holds "
                + decoded.length
                + " bytes; must be at least "
                + MIN_KEY_BYTES
                + " random bytes");
      }
    }
    checks.orThrow();
  }

  /** Whether no key is configured at all (neither a key nor a development key directory). */
  public boolean none() {
    return key.isBlank() && devKeyDir.isBlank();
  }

  /** The configured key's bytes, or null when the key comes from {@link #devKeyDir}. */
  public byte[] keyBytes() {
    return key.isBlank() ? null : decode(key);
  }

  private static byte[] decode(String text) {
    try {
      return Base64.getDecoder().decode(text.strip());
    } catch (IllegalArgumentException e) {
      return null;
    }
  }

  @Override
  public String toString() {
    // The key is a secret: never in a log line or `courier config` output.
    return "IdentityConfig[required="
        + required
        + ", key="
        + (key.isBlank() ? "" : "(set)")
        + ", devKeyDir="
        + devKeyDir
        + ", ttlMs="
        + ttlMs
        + "]";
  }
}
