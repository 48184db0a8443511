package io.courier.runtime.tracing;

import io.opentelemetry.api.common.AttributeKey;
import io.opentelemetry.api.trace.Span;
import java.time.Duration;

/**
 * Writes the time a call has left when it arrives onto the current span, so a trace shows its
 * deadline shrinking hop by hop: the gateway's edge span, the order service's event-bus span, the
 * gRPC server spans of the user and inventory services.
 */
public final class SpanDeadline {

  /** Milliseconds (with a fractional part) the call had left when this hop took it. */
  public static final AttributeKey<Double> REMAINING_MS =
      AttributeKey.doubleKey("courier.deadline.remaining_ms");

  /** Longer than any deadline Courier sets: such a call has none. */
  private static final Duration NONE = Duration.ofDays(365);

  private SpanDeadline() {}

  /** Sets {@link #REMAINING_MS} on the current span; nothing when there is no deadline or span. */
  public static void record(Duration remaining) {
    if (remaining.compareTo(NONE) >= 0) {
      return;
    }
    Span span = Span.current();
    if (span.isRecording()) {
      span.setAttribute(REMAINING_MS, remaining.toNanos() / 1_000_000.0);
    }
  }
}
