package io.courier.service;

import io.vertx.core.eventbus.DeliveryOptions;
import io.vertx.core.eventbus.Message;

/**
 * An answer that may be degraded: {@code body}, and the dependency whose answer was replaced by a
 * fallback to produce it (null when none was). An operation of {@link PartitionEndpoints} that
 * answers with a {@code Reply} is replied {@code body} with the header {@value #DEGRADED_HEADER}
 * naming that dependency, so the caller can tell its client ({@code Courier-Degraded} at the
 * gateway's edge).
 *
 * @param body what the caller asked for
 * @param degradedBy the dependency answered from a fallback, e.g. {@code user-service}; or null
 */
public record Reply<T>(T body, String degradedBy) {

  /**
   * The event-bus header of a degraded reply (the same name the resilience proxy uses), whose value
   * names the dependency answered from a fallback.
   */
  public static final String DEGRADED_HEADER = "courier-degraded";

  /** A complete answer. */
  public static <T> Reply<T> of(T body) {
    return new Reply<>(body, null);
  }

  /** Whether part of the answer came from a fallback. */
  public boolean degraded() {
    return degradedBy != null;
  }

  /** The options of the event-bus reply carrying this answer. */
  DeliveryOptions options() {
    DeliveryOptions options = new DeliveryOptions();
    return degradedBy == null ? options : options.addHeader(DEGRADED_HEADER, degradedBy);
  }

  /** The answer of an event-bus reply: its body, and what its {@value #DEGRADED_HEADER} names. */
  public static <T> Reply<T> from(Message<T> message) {
    return new Reply<>(message.body(), message.headers().get(DEGRADED_HEADER));
  }
}
