package io.courier.runtime.kafka.impl;

import io.courier.runtime.Causes;
import io.courier.runtime.config.KafkaConfig.ConsumerConfig;
import io.courier.runtime.kafka.DeliveryHeaders;
import io.courier.runtime.kafka.EventHandler;
import io.courier.runtime.kafka.NonRetryableException;
import io.courier.runtime.kafka.OverloadException;
import io.courier.runtime.kafka.RetryLaterException;
import io.courier.runtime.metrics.HandlerTimer;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import java.util.function.LongFunction;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Runs the handler on one decoded record until it succeeds or the record is parked. A failure is
 * tried again in place after an exponential, jittered back-off while attempts are left and the
 * consumer runs; {@link RetryLaterException} (or {@link OverloadException}) waits the same way
 * without spending an attempt, for at most {@code retryLaterMaxMs} (then it is dead-lettered as a
 * {@link RetryLaterExhaustedException}); a {@link NonRetryableException} or the last attempt's
 * failure goes to the {@link ParkingRouter}. A success is timed, counted and remembered as
 * processed. Nothing is attempted for a record whose partition was revoked, and its waits end soon:
 * the partition's next owner handles it, never beside a handler here.
 */
final class AttemptRunner {

  /** Logs as the consumer it belongs to. */
  private static final Logger LOG = LoggerFactory.getLogger(KafkaEventConsumer.class);

  /**
   * Waits (for a retry time, or a back-off) are timed in slices of at most this long, so one whose
   * partition was revoked ends soon instead of holding the rebalance waiting for it.
   */
  static final long REVOCATION_CHECK_MS = 250;

  private final Vertx vertx;
  private final ConsumerConfig config;
  private final EventHandler handler;
  private final ConsumerCounters counters;
  private final HandlerTimer handlerTimer;
  private final KafkaProcessedEvents processed;
  private final Supplier<RawSender> sender;
  private final BooleanSupplier running;
  private final LongFunction<Future<Void>> timer;
  private final ParkingRouter router;

  /**
   * @param sender the sender the poll thread opened, for the processed ids
   * @param running whether the consumer is still running
   * @param timer completes after the given milliseconds
   */
  AttemptRunner(
      Vertx vertx,
      ConsumerConfig config,
      EventHandler handler,
      ConsumerCounters counters,
      HandlerTimer handlerTimer,
      KafkaProcessedEvents processed,
      Supplier<RawSender> sender,
      BooleanSupplier running,
      LongFunction<Future<Void>> timer,
      ParkingRouter router) {
    this.vertx = vertx;
    this.config = config;
    this.handler = handler;
    this.counters = counters;
    this.handlerTimer = handlerTimer;
    this.processed = processed;
    this.sender = sender;
    this.running = running;
    this.timer = timer;
    this.router = router;
  }

  /**
   * Waits until {@code retryAtMillis}, then runs the attempts; completes when the record may be
   * committed. Once the record's partition is revoked no further attempt starts and a wait ends
   * within {@link #REVOCATION_CHECK_MS}: the future fails, the record is left to the partition's
   * next owner, and the revocation waiting for it goes on.
   */
  Future<Void> run(PolledRecord work, long retryAtMillis) {
    return waitUntil(work, retryAtMillis).compose(v -> attempt(work, 1, 0, 0));
  }

  /**
   * The delay before retrying after attempt {@code attempt}: {@code backoffInitialMs} doubled per
   * attempt, capped at {@code backoffMaxMs}, then a random 50 to 100 % of that, at least 1 ms.
   */
  static long backoff(ConsumerConfig config, int attempt) {
    double exponential = config.backoffInitialMs() * Math.pow(2, attempt - 1.0);
    double capped = Math.min(config.backoffMaxMs(), exponential);
    return Math.max(1, (long) (capped * (0.5 + ThreadLocalRandom.current().nextDouble() * 0.5)));
  }

  /**
   * Completes once the wall clock has reached {@code epochMillis} (a record's {@link
   * DeliveryHeaders#RETRY_AT}). The timer runs on the monotonic clock, which may drift from the
   * wall clock the header was written with: the time is checked again when it fires.
   */
  private Future<Void> waitUntil(PolledRecord work, long epochMillis) {
    if (work.tracker().revoked()) {
      return revoked();
    }
    long wait = epochMillis - System.currentTimeMillis();
    return wait > 0
        ? timer
            .apply(Math.min(wait, REVOCATION_CHECK_MS))
            .compose(v -> waitUntil(work, epochMillis))
        : Future.succeededFuture();
  }

  /** Completes after {@code millis}, or fails once the record's partition is revoked. */
  private Future<Void> pause(PolledRecord work, long millis) {
    if (work.tracker().revoked()) {
      return revoked();
    }
    long slice = Math.min(millis, REVOCATION_CHECK_MS);
    return timer
        .apply(slice)
        .compose(v -> millis > slice ? pause(work, millis - slice) : Future.succeededFuture());
  }

  private static Future<Void> revoked() {
    return Future.failedFuture("partition revoked; the record is left to its next owner");
  }

  /**
   * @param attempt the attempt number, counting failures that spend attempts
   * @param waits how often the handler said {@link RetryLaterException} so far
   * @param waitingSince when it first said so ({@link System#nanoTime()}), or 0
   */
  private Future<Void> attempt(PolledRecord work, int attempt, int waits, long waitingSince) {
    if (work.tracker().revoked()) {
      // The partition's next owner handles it: never beside a handler here.
      return revoked();
    }
    long begin = System.nanoTime();
    Future<Void> result;
    try {
      result = handler.handle(work.event());
      if (result == null) {
        result = Future.failedFuture(new IllegalStateException("handler returned no future"));
      }
    } catch (RuntimeException e) {
      result = Future.failedFuture(e);
    }
    return result.transform(
        ar -> {
          long took = System.nanoTime() - begin;
          String topic = DeliveryHeaders.baseTopic(work.record().topic());
          if (ar.succeeded()) {
            handlerTimer.record(topic, HandlerTimer.Outcome.SUCCESS, took);
            counters.handled.increment();
            counters.handlerNanos.add(took);
            // The id is written in a batch, without waiting for the broker. Only a process dying
            // after the handler and before both that write and the offset commit land hands the
            // event to a handler again; waiting for the acknowledgement leaves the same window
            // and costs a round trip per record.
            processed.remember(work.event().id(), sender.get(), vertx);
            return Future.<Void>succeededFuture();
          }
          Throwable cause = ar.cause();
          boolean later = retryLater(cause);
          handlerTimer.record(
              topic, later ? HandlerTimer.Outcome.RETRY_LATER : HandlerTimer.Outcome.FAILURE, took);
          long since = waitingSince != 0 ? waitingSince : System.nanoTime();
          long waitedMs = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - since);
          if (later && waitedMs >= config.retryLaterMaxMs()) {
            // Waiting holds the key and the partition's commits: bounded, then dead-lettered.
            LOG.warn(
                "record {}-{}@{} waited {} ms for a dependency, more than retryLaterMaxMs; it goes"
                    + " to the dead-letter topic",
                work.record().topic(),
                work.record().partition(),
                work.record().offset(),
                waitedMs);
            return router.park(
                work,
                new RetryLaterExhaustedException(
                    "waited " + waitedMs + " ms for a dependency: " + cause.getMessage(), cause),
                attempt,
                true);
          }
          if (running.getAsBoolean() && later) {
            counters.retriedInPlace.increment();
            if (waits == 0 || waits % 20 == 0) {
              LOG.info(
                  "record {}-{}@{} waits for a dependency (try {}): {}",
                  work.record().topic(),
                  work.record().partition(),
                  work.record().offset(),
                  waits + 1,
                  cause.getMessage());
            }
            return pause(work, backoff(config, Math.min(waits + 1, 30)))
                .compose(v -> attempt(work, attempt, waits + 1, since));
          }
          boolean retryable = !(cause instanceof NonRetryableException);
          if (retryable && attempt < config.inPlaceAttempts() && running.getAsBoolean()) {
            counters.retriedInPlace.increment();
            return pause(work, backoff(config, attempt))
                .compose(v -> attempt(work, attempt + 1, waits, waitingSince));
          }
          return router.park(work, cause, attempt, !retryable);
        });
  }

  /** Whether the failure says "not now" rather than "this event fails". */
  private static boolean retryLater(Throwable failure) {
    return Causes.find(failure, RetryLaterException.class).isPresent()
        || Causes.find(failure, OverloadException.class).isPresent();
  }
}
