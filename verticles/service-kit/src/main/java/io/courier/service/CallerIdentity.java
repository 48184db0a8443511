package io.courier.service;

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
 * travels to every downstream hop, as the headers {@value #SUBJECT_HEADER} and {@value
 * #SCOPES_HEADER} on the event bus and in gRPC metadata, so a callee can decide what the caller may
 * see. Only the gateway creates one from outside input (a verified token); callees trust these
 * headers because only cluster members (mutual TLS) can send them.
 *
 * @param subject the token's {@code sub}
 * @param scopes the granted scopes
 */
public record CallerIdentity(String subject, Set<String> scopes) {

  /** Header carrying the subject. */
  public static final String SUBJECT_HEADER = "courier-subject";

  /** Header carrying the scopes, space-separated. */
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

  /** Adds the identity headers to event-bus or gRPC headers. */
  public MultiMap writeTo(MultiMap headers) {
    return headers
        .set(SUBJECT_HEADER, subject)
        .set(SCOPES_HEADER, String.join(" ", new TreeSet<>(scopes)));
  }

  /** Adds the identity headers to an event-bus send. */
  public DeliveryOptions writeTo(DeliveryOptions options) {
    return options
        .addHeader(SUBJECT_HEADER, subject)
        .addHeader(SCOPES_HEADER, String.join(" ", new TreeSet<>(scopes)));
  }

  /** The identity in received headers, if the sender passed one on. */
  public static Optional<CallerIdentity> from(MultiMap headers) {
    String subject = headers == null ? null : headers.get(SUBJECT_HEADER);
    if (subject == null || subject.isBlank()) {
      return Optional.empty();
    }
    return Optional.of(new CallerIdentity(subject, scopes(headers.get(SCOPES_HEADER))));
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
