package io.courier.resilience;

import java.time.Duration;
import java.util.function.LongSupplier;

/**
 * The time left for a call, measured on a monotonic clock. It travels between hops as the remaining
 * milliseconds ({@link #HEADER} on the event bus and HTTP, the gRPC deadline), never as a
 * wall-clock instant, so clock skew between machines cannot stretch it.
 */
public final class Deadline {

  /** Header carrying the remaining milliseconds of the caller's deadline. */
  public static final String HEADER = "courier-timeout-ms";

  private static final Deadline NONE = new Deadline(Long.MAX_VALUE, System::nanoTime);

  private final long expiresAtNanos;
  private final LongSupplier clock;

  private Deadline(long expiresAtNanos, LongSupplier clock) {
    this.expiresAtNanos = expiresAtNanos;
    this.clock = clock;
  }

  /** A deadline {@code timeout} from now on the given nanosecond clock. */
  public static Deadline after(Duration timeout, LongSupplier nanoClock) {
    return new Deadline(nanoClock.getAsLong() + timeout.toNanos(), nanoClock);
  }

  /** A deadline {@code timeout} from now on {@link System#nanoTime()}. */
  public static Deadline after(Duration timeout) {
    return after(timeout, System::nanoTime);
  }

  /** No deadline. */
  public static Deadline none() {
    return NONE;
  }

  /**
   * The deadline a callee got from its caller's {@link #HEADER}, or {@code fallback} when the
   * header is absent or not a number of milliseconds.
   */
  public static Deadline fromHeader(String header, Deadline fallback, LongSupplier nanoClock) {
    if (header == null) {
      return fallback;
    }
    try {
      long millis = Long.parseLong(header.trim());
      return after(Duration.ofMillis(Math.max(0, millis)), nanoClock).earliest(fallback);
    } catch (NumberFormatException e) {
      return fallback;
    }
  }

  public boolean isNone() {
    return expiresAtNanos == Long.MAX_VALUE;
  }

  /** Time left, never negative; a very long duration when there is no deadline. */
  public Duration remaining() {
    if (isNone()) {
      return Duration.ofNanos(Long.MAX_VALUE);
    }
    return Duration.ofNanos(Math.max(0, expiresAtNanos - clock.getAsLong()));
  }

  public boolean expired() {
    return !isNone() && clock.getAsLong() >= expiresAtNanos;
  }

  /** The earlier of this deadline and {@code other}. */
  public Deadline earliest(Deadline other) {
    return other.expiresAtNanos < expiresAtNanos ? other : this;
  }

  /** The value of {@link #HEADER} for the next hop: whole milliseconds left, rounded down. */
  public String toHeader() {
    return Long.toString(remaining().toMillis());
  }

  @Override
  public String toString() {
    return isNone() ? "Deadline[none]" : "Deadline[" + remaining().toMillis() + " ms left]";
  }
}
