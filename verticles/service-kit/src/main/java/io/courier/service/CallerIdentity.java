package io.courier.service;

import io.courier.runtime.security.IdentitySeal;
import io.courier.service.impl.IdentityLocal;
import io.vertx.core.Context;
import io.vertx.core.MultiMap;
import io.vertx.core.Vertx;
import io.vertx.core.eventbus.DeliveryOptions;
import java.util.Arrays;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Pattern;

/**
 * Who a request is for: the subject of the token the gateway verified and the scopes it granted. It
 * travels to every downstream hop sealed ({@link IdentitySeal}: an HMAC under the platform's
 * identity key) in the header {@value #IDENTITY_HEADER}, on the event bus and in gRPC metadata, so
 * a callee can decide what the caller may see, and only a process holding the key can assert one. A
 * subject or scopes a peer merely claims ({@value #SUBJECT_HEADER}, {@value #SCOPES_HEADER}: what
 * Courier sent before identities were sealed) are refused, never taken.
 *
 * @param subject the token's {@code sub}
 * @param scopes the granted scopes
 * @param sealed the sealed form passed on to the next hop, or null for an identity not sealed (no
 *     identity key in this process)
 */
public record CallerIdentity(String subject, Set<String> scopes, String sealed) {

  /** Header carrying the sealed identity. */
  public static final String IDENTITY_HEADER = "courier-identity";

  /** A subject claimed in the clear: refused (identities travel sealed). */
  public static final String SUBJECT_HEADER = "courier-subject";

  /** Scopes claimed in the clear: refused (identities travel sealed). */
  public static final String SCOPES_HEADER = "courier-scopes";

  /** The scope that may act for any user. */
  public static final String ADMIN = "admin";

  private static final Pattern SPACES = Pattern.compile("\\s+");

  public CallerIdentity {
    if (subject == null || subject.isBlank()) {
      throw new IllegalArgumentException("a caller identity needs a subject");
    }
    scopes = Set.copyOf(scopes);
  }

  /** An identity not (yet) sealed. */
  public CallerIdentity(String subject, Set<String> scopes) {
    this(subject, scopes, null);
  }

  /**
   * This identity sealed with {@code seal} for the hops after this one (unchanged without a key).
   */
  public CallerIdentity sealedWith(IdentitySeal seal) {
    String token = seal.seal(subject, scopes);
    return token == null ? this : new CallerIdentity(subject, scopes, token);
  }

  /** Equal when subject and scopes are: how an identity is sealed does not make it another. */
  @Override
  public boolean equals(Object other) {
    return other instanceof CallerIdentity that
        && subject.equals(that.subject)
        && scopes.equals(that.scopes);
  }

  @Override
  public int hashCode() {
    return subject.hashCode() * 31 + scopes.hashCode();
  }

  @Override
  public String toString() {
    return "CallerIdentity[subject=" + subject + ", scopes=" + new TreeSet<>(scopes) + "]";
  }

  /** Parses space-separated scopes (the OAuth 2 {@code scope} claim's format). */
  public static Set<String> scopes(String spaceSeparated) {
    if (spaceSeparated == null || spaceSeparated.isBlank()) {
      return Set.of();
    }
    return Set.copyOf(Arrays.asList(SPACES.split(spaceSeparated.trim())));
  }

  public boolean has(String scope) {
    return scopes.contains(scope) || scopes.contains(ADMIN);
  }

  public boolean isAdmin() {
    return scopes.contains(ADMIN);
  }

  /** Whether this caller may see or act on what belongs to {@code userId}. */
  public boolean mayActFor(String userId) {
    return isAdmin() || subject.equals(userId);
  }

  /** Adds the sealed identity to event-bus or gRPC headers (nothing when it is not sealed). */
  public MultiMap writeTo(MultiMap headers) {
    return sealed == null ? headers : headers.set(IDENTITY_HEADER, sealed);
  }

  /** Adds the sealed identity to an event-bus send (nothing when it is not sealed). */
  public DeliveryOptions writeTo(DeliveryOptions options) {
    return sealed == null ? options : options.addHeader(IDENTITY_HEADER, sealed);
  }

  /**
   * The identity received headers assert, opened with {@code seal}; empty when they assert none (a
   * call from inside the platform).
   *
   * @throws IdentitySeal.Refused when the sealed identity does not open (not sealed with the
   *     platform's key, expired, malformed), or the headers claim a subject or scopes in the clear
   */
  public static Optional<CallerIdentity> from(MultiMap headers, IdentitySeal seal) {
    if (headers == null) {
      return Optional.empty();
    }
    String token = headers.get(IDENTITY_HEADER);
    if (token == null) {
      if (headers.contains(SUBJECT_HEADER) || headers.contains(SCOPES_HEADER)) {
        throw new IdentitySeal.Refused(
            "a caller identity must be sealed by the platform; "
                + SUBJECT_HEADER
                + " and "
                + SCOPES_HEADER
                + " are not taken");
      }
      return Optional.empty();
    }
    IdentitySeal.Opened opened = seal.open(token);
    return Optional.of(new CallerIdentity(opened.subject(), opened.scopes(), token));
  }

  /**
   * Like {@link #from}, for a user-facing operation: when {@code seal} requires identities, a call
   * asserting none is refused too.
   */
  public static Optional<CallerIdentity> forUserFacing(MultiMap headers, IdentitySeal seal) {
    Optional<CallerIdentity> identity = from(headers, seal);
    if (identity.isEmpty() && seal.required()) {
      throw new IdentitySeal.Refused("this operation needs the caller's sealed identity");
    }
    return identity;
  }

  /**
   * The identity of the request the current Vert.x context serves (a gRPC server puts it there from
   * the call's metadata), if any.
   */
  public static Optional<CallerIdentity> current() {
    Context context = Vertx.currentContext();
    return context == null
        ? Optional.empty()
        : Optional.ofNullable(context.getLocal(IdentityLocal.KEY));
  }

  /** Makes {@code identity} the current one of {@code context} (a request's own context). */
  public static void attach(Context context, CallerIdentity identity) {
    context.putLocal(IdentityLocal.KEY, identity);
  }
}
