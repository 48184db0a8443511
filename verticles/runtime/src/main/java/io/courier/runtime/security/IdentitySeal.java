package io.courier.runtime.security;

import io.courier.runtime.config.IdentityConfig;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.security.SecureRandom;
import java.time.Clock;
import java.util.Arrays;
import java.util.Base64;
import java.util.Collection;
import java.util.Set;
import java.util.TreeSet;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

/**
 * Seals and opens the caller identities Courier's services pass to each other ({@code
 * security.identity}). A sealed identity is {@code v1.<subject>.<scopes>.<expiry>.<mac>}: subject
 * and space-separated scopes in base64url, the expiry in epoch milliseconds, and an HMAC-SHA256 of
 * the rest under the platform's identity key. Only a process holding the key can assert an
 * identity; a peer that only claims a subject (a made-up header) asserts nothing. Opening checks
 * the MAC in constant time and the expiry on the injected clock.
 *
 * <p>An instance belongs to one process and is safe to use from any thread.
 */
public final class IdentitySeal {

  /** Why a sealed identity was not accepted; the message is safe to show the caller. */
  public static final class Refused extends RuntimeException {
    private static final long serialVersionUID = 1L;

    public Refused(String message) {
      super(message, null, false, false);
    }
  }

  /** What an opened seal asserts. */
  public record Opened(String subject, Set<String> scopes) {}

  private static final String VERSION = "v1";
  private static final String ALGORITHM = "HmacSHA256";
  private static final Base64.Encoder B64 = Base64.getUrlEncoder().withoutPadding();
  private static final Base64.Decoder B64D = Base64.getUrlDecoder();

  /** Longest sealed identity opened: a subject and scopes of a few hundred characters each. */
  private static final int MAX_LENGTH = 4096;

  private static final IdentitySeal NONE = new IdentitySeal(null, false, 0, Clock.systemUTC());

  private final SecretKeySpec key;
  private final boolean required;
  private final long ttlMs;
  private final Clock clock;

  private IdentitySeal(byte[] key, boolean required, long ttlMs, Clock clock) {
    this.key = key == null ? null : new SecretKeySpec(key, ALGORITHM);
    this.required = required;
    this.ttlMs = ttlMs;
    this.clock = clock;
  }

  /** No key: {@link #seal} seals nothing and every sealed identity is refused. */
  public static IdentitySeal none() {
    return NONE;
  }

  /** A seal with {@code key} (at least 32 bytes) on {@code clock}. */
  public static IdentitySeal of(byte[] key, boolean required, long ttlMs, Clock clock) {
    if (key == null || key.length < IdentityConfig.MIN_KEY_BYTES) {
      throw new IllegalArgumentException(
          "an identity key needs at least " + IdentityConfig.MIN_KEY_BYTES + " bytes");
    }
    return new IdentitySeal(key.clone(), required, ttlMs, clock);
  }

  /**
   * The seal {@code config} describes: its key, or the development key of its directory (created
   * with owner-only permissions if missing; blocking: call it off the event loop).
   */
  public static IdentitySeal load(IdentityConfig config) {
    if (config.none()) {
      return NONE;
    }
    byte[] key =
        config.keyBytes() != null ? config.keyBytes() : devKey(Path.of(config.devKeyDir()));
    return of(key, config.required(), config.ttlMs(), Clock.systemUTC());
  }

  /** Whether this process holds a key, so it can seal and open identities. */
  public boolean enabled() {
    return key != null;
  }

  /** Whether user-facing requests without a sealed identity are refused. */
  public boolean required() {
    return required;
  }

  /**
   * {@code subject} with {@code scopes}, sealed until the configured time from now; null without a
   * key.
   */
  public String seal(String subject, Collection<String> scopes) {
    if (key == null) {
      return null;
    }
    String body =
        VERSION
            + "."
            + B64.encodeToString(subject.getBytes(StandardCharsets.UTF_8))
            + "."
            + B64.encodeToString(
                String.join(" ", new TreeSet<>(scopes)).getBytes(StandardCharsets.UTF_8))
            + "."
            + (clock.millis() + ttlMs);
    return body + "." + B64.encodeToString(mac(body));
  }

  /**
   * What {@code sealed} asserts.
   *
   * @throws Refused when it is malformed, its MAC does not verify (not sealed with this key), or it
   *     expired
   */
  public Opened open(String sealed) {
    if (key == null) {
      throw new Refused("this process holds no identity key, so it accepts no asserted identity");
    }
    if (sealed == null || sealed.length() > MAX_LENGTH) {
      throw new Refused("malformed identity");
    }
    int last = sealed.lastIndexOf('.');
    String[] parts = sealed.split("\\.", -1);
    if (parts.length != 5 || !VERSION.equals(parts[0]) || last < 0) {
      throw new Refused("malformed identity");
    }
    byte[] expected = mac(sealed.substring(0, last));
    byte[] given;
    try {
      given = B64D.decode(parts[4]);
    } catch (IllegalArgumentException e) {
      throw new Refused("malformed identity");
    }
    if (!MessageDigest.isEqual(expected, given)) {
      throw new Refused("identity not sealed by the platform");
    }
    long expiry;
    try {
      expiry = Long.parseLong(parts[3]);
    } catch (NumberFormatException e) {
      throw new Refused("malformed identity");
    }
    if (clock.millis() > expiry) {
      throw new Refused("identity expired");
    }
    String subject = new String(B64D.decode(parts[1]), StandardCharsets.UTF_8);
    String scopes = new String(B64D.decode(parts[2]), StandardCharsets.UTF_8);
    if (subject.isBlank()) {
      throw new Refused("malformed identity");
    }
    return new Opened(
        subject, scopes.isBlank() ? Set.of() : Set.copyOf(Arrays.asList(scopes.split(" "))));
  }

  private byte[] mac(String body) {
    try {
      Mac mac = Mac.getInstance(ALGORITHM);
      mac.init(key);
      return mac.doFinal(body.getBytes(StandardCharsets.US_ASCII));
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("HmacSHA256 is missing from this JVM", e);
    }
  }

  /**
   * The development key in {@code dir}/identity.key, created if missing. Processes started together
   * from one directory race to create it: the first move wins and the others read its key.
   */
  static byte[] devKey(Path dir) {
    Path file = dir.resolve("identity.key");
    try {
      if (!Files.exists(file)) {
        Files.createDirectories(dir);
        byte[] fresh = new byte[32];
        new SecureRandom().nextBytes(fresh);
        Path temp = Files.createTempFile(dir, "identity", ".tmp");
        try {
          Files.writeString(temp, Base64.getEncoder().encodeToString(fresh));
          restrict(temp);
          // A hard link is created atomically and never replaces a file (a rename would).
          Files.createLink(file, temp);
        } catch (FileAlreadyExistsException lost) {
          // another process created it first: use theirs
        } finally {
          Files.deleteIfExists(temp);
        }
      }
      byte[] key = Base64.getDecoder().decode(Files.readString(file).strip());
      if (key.length < IdentityConfig.MIN_KEY_BYTES) {
        throw new IllegalStateException(file + " holds a key shorter than 32 bytes");
      }
      return key;
    } catch (IOException e) {
      throw new UncheckedIOException(
          "cannot read or create the development identity key " + file, e);
    } catch (IllegalArgumentException e) {
      throw new IllegalStateException(file + " does not hold a base64 key", e);
    }
  }

  private static void restrict(Path file) {
    try {
      Files.setPosixFilePermissions(file, PosixFilePermissions.fromString("rw-------"));
    } catch (UnsupportedOperationException | IOException e) {
      // not a POSIX file system: the directory's own permissions hold
    }
  }
}
