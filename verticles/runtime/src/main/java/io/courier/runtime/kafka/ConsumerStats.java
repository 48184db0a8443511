package io.courier.runtime.kafka;

import java.util.Map;

/**
 * Counters of one consumer since it started.
 *
 * @param received records polled
 * @param handled records whose handler succeeded
 * @param duplicates records skipped because their event id was already processed
 * @param retriedInPlace handler attempts repeated in place after a failure
 * @param sentToRetry records moved to the retry topic
 * @param sentToDeadLetter records parked in the dead-letter topic
 * @param undecodable records that were not valid Courier events (a subset of sentToDeadLetter)
 * @param committed offset commits that succeeded
 * @param pauses times the consumer paused its partitions for back-pressure
 * @param releaseTimeouts partitions given up in a rebalance (or on stopping) while handlers were
 *     still running on their records, past {@code kafka.consumer.releaseTimeoutMs} (or the drain
 *     deadline): the member taking them over may handle those records again
 * @param inFlight records received and not yet completed, now
 * @param meanHandlerMillis mean handler latency over successful handlings
 * @param dedupeWriteFailures batches of processed ids Kafka refused (redeliveries of those events
 *     after a restart reach the handler again)
 * @param lag records behind the end of each assigned partition ({@code topic-partition}), as of the
 *     last commit interval
 */
public record ConsumerStats(
    long received,
    long handled,
    long duplicates,
    long retriedInPlace,
    long sentToRetry,
    long sentToDeadLetter,
    long undecodable,
    long committed,
    long pauses,
    long releaseTimeouts,
    int inFlight,
    double meanHandlerMillis,
    long dedupeWriteFailures,
    Map<String, Long> lag) {

  public ConsumerStats {
    lag = Map.copyOf(lag);
  }

  /** Total records behind across the assigned partitions. */
  public long totalLag() {
    return lag.values().stream().mapToLong(Long::longValue).sum();
  }
}
