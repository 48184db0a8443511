package io.courier.resilience;

import io.courier.runtime.metrics.Meters;
import io.micrometer.core.instrument.Counter;
import io.vertx.core.Future;
import java.time.Duration;
import java.util.concurrent.atomic.LongAdder;
import java.util.function.Supplier;

/**
 * The limits on the calls one service serves ({@link ResiliencePolicies.Inbound}): how long a call
 * may spend in the service and how many are handled at once, with a bounded queue behind them. A
 * call past the bulkhead and its queue is refused at once and counted in {@code
 * courier.resilience.inbound.rejected{service}}. Without an inbound section for the service every
 * call is let in and no deadline is imposed.
 *
 * <p>Reloads are applied in place with {@link #update}: a call keeps the bulkhead that admitted it
 * and releases its place there, exactly once; an unchanged bulkhead is kept, state and all.
 */
public final class InboundPolicy {

  /** What applies now: swapped whole, never changed. */
  private record Parts(ResiliencePolicies.Inbound inbound, Bulkhead bulkhead) {}

  private final String service;
  private final Counter rejected;
  private final LongAdder refused = new LongAdder();
  private volatile Parts parts;

  /**
   * @param service the serving service's name, the key of its {@code inbound} section
   * @param inbound its section, or null for none
   */
  public InboundPolicy(Meters meters, String service, ResiliencePolicies.Inbound inbound) {
    this.service = service;
    this.rejected =
        Counter.builder("courier.resilience.inbound.rejected")
            .description("Calls a service refused because its inbound bulkhead and queue were full")
            .tag("service", service)
            .register(meters.registry());
    this.parts = parts(inbound, null);
  }

  /** Applies a reloaded section (null: none) to the calls that arrive from now on. */
  public synchronized void update(ResiliencePolicies.Inbound inbound) {
    parts = parts(inbound, parts);
  }

  private Parts parts(ResiliencePolicies.Inbound inbound, Parts old) {
    ResiliencePolicies.BulkheadLimits limits = inbound == null ? null : inbound.bulkhead();
    Bulkhead bulkhead;
    if (limits == null) {
      bulkhead = null;
    } else if (old != null && old.bulkhead() != null && limits.equals(old.inbound().bulkhead())) {
      bulkhead = old.bulkhead();
    } else {
      bulkhead =
          new Bulkhead(
              "inbound " + service,
              limits.concurrencyLimit(),
              limits.maxQueued(),
              System::nanoTime);
    }
    return new Parts(inbound, bulkhead);
  }

  public String service() {
    return service;
  }

  /** The longest a call may spend in the service, or null for no limit of its own. */
  public Duration timeout() {
    ResiliencePolicies.Inbound inbound = parts.inbound();
    return inbound == null || inbound.timeoutMs() == null
        ? null
        : Duration.ofMillis(inbound.timeoutMs());
  }

  /**
   * Lets one call in, now or once a place is free.
   *
   * @param serve starts handling the call once it is admitted, and returns a future that completes
   *     when the call has ended (answered, reset or its connection closed): its place is released
   *     then. A failed {@link java.util.concurrent.TimeoutException} counts as a dropped call for
   *     an adaptive limit. It may be called on another thread than this method's.
   * @return completes when the call has ended; fails at once with {@link CallRejectedException}
   *     when the bulkhead and its queue are full ({@code serve} is then never called)
   */
  public Future<Void> admit(Supplier<Future<Void>> serve) {
    Bulkhead bulkhead = parts.bulkhead();
    if (bulkhead == null) {
      return serve.get();
    }
    Future<Void> admitted = bulkhead.execute(serve);
    if (admitted.failed() && admitted.cause() instanceof CallRejectedException) {
      rejected.increment();
      refused.increment();
    }
    return admitted;
  }

  /** Calls being handled now under the current bulkhead (0 without one). */
  public int running() {
    Bulkhead bulkhead = parts.bulkhead();
    return bulkhead == null ? 0 : bulkhead.running();
  }

  /** Calls waiting now for the current bulkhead (0 without one). */
  public int queued() {
    Bulkhead bulkhead = parts.bulkhead();
    return bulkhead == null ? 0 : bulkhead.queued();
  }

  /** Calls this policy refused. */
  public long rejected() {
    return refused.sum();
  }
}
