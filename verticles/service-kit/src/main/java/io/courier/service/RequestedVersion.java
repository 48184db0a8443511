package io.courier.service;

import io.courier.resilience.Routing;
import io.courier.service.impl.IdentityLocal;
import io.vertx.core.Context;
import io.vertx.core.MultiMap;
import io.vertx.core.Vertx;
import io.vertx.core.eventbus.DeliveryOptions;
import java.util.Optional;

/**
 * The version of the callees a request asked for, in the header {@value Routing#HEADER}: a target
 * whose policy routes by it sends the request's calls only to instances tagged with that version.
 * Like the caller's identity it travels with the request down the call chain: a gRPC server puts it
 * on the call's context, {@link GrpcPeer} writes it into the metadata of the calls made while
 * serving, and the gateway and order service pass it on over the event bus.
 *
 * @param value the version, e.g. {@code 2}
 */
public record RequestedVersion(String value) {

  /** The header carrying it. */
  public static final String HEADER = Routing.HEADER;

  public RequestedVersion {
    if (value == null || !Routing.VERSION.matcher(value).matches()) {
      throw new IllegalArgumentException(
          HEADER
              + " must match "
              + Routing.VERSION.pattern()
              + ", was '"
              + (value != null && value.length() > 64 ? value.substring(0, 64) + "..." : value)
              + "'");
    }
  }

  /**
   * The version headers ask for; empty when they name none.
   *
   * @throws IllegalArgumentException naming the header when its value is malformed
   */
  public static Optional<RequestedVersion> from(MultiMap headers) {
    String value = headers == null ? null : headers.get(HEADER);
    return value == null ? Optional.empty() : Optional.of(new RequestedVersion(value.trim()));
  }

  /** The version the request the current Vert.x context serves asked for, if any. */
  public static Optional<RequestedVersion> current() {
    Context context = Vertx.currentContext();
    return context == null
        ? Optional.empty()
        : Optional.ofNullable(context.getLocal(IdentityLocal.VERSION));
  }

  /** Makes {@code version} the current one of {@code context} (a request's own context). */
  public static void attach(Context context, RequestedVersion version) {
    context.putLocal(IdentityLocal.VERSION, version);
  }

  /** Adds the header to gRPC or event-bus headers. */
  public MultiMap writeTo(MultiMap headers) {
    return headers.set(HEADER, value);
  }

  /** Adds the header to an event-bus send. */
  public DeliveryOptions writeTo(DeliveryOptions options) {
    return options.addHeader(HEADER, value);
  }

  /** Adds {@code version}'s header to {@code options} (unchanged when null). */
  public static DeliveryOptions writeTo(DeliveryOptions options, RequestedVersion version) {
    return version == null ? options : version.writeTo(options);
  }
}
