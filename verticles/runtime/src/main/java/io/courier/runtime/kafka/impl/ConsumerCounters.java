package io.courier.runtime.kafka.impl;

import io.courier.runtime.kafka.ConsumerStats;
import java.util.Map;
import java.util.concurrent.atomic.LongAdder;

/**
 * The counters behind one consumer's {@link ConsumerStats}, updated from the poll thread and the
 * context.
 */
final class ConsumerCounters {
  final LongAdder received = new LongAdder();
  final LongAdder handled = new LongAdder();
  final LongAdder duplicates = new LongAdder();
  final LongAdder retriedInPlace = new LongAdder();
  final LongAdder sentToRetry = new LongAdder();
  final LongAdder sentToDeadLetter = new LongAdder();
  final LongAdder undecodable = new LongAdder();
  final LongAdder committed = new LongAdder();
  final LongAdder pauses = new LongAdder();
  final LongAdder releaseTimeouts = new LongAdder();
  final LongAdder handlerNanos = new LongAdder();

  ConsumerStats snapshot(int inFlight, long dedupeWriteFailures, Map<String, Long> lag) {
    long handledCount = handled.sum();
    return new ConsumerStats(
        received.sum(),
        handledCount,
        duplicates.sum(),
        retriedInPlace.sum(),
        sentToRetry.sum(),
        sentToDeadLetter.sum(),
        undecodable.sum(),
        committed.sum(),
        pauses.sum(),
        releaseTimeouts.sum(),
        inFlight,
        handledCount == 0 ? 0 : handlerNanos.sum() / 1e6 / handledCount,
        dedupeWriteFailures,
        lag);
  }
}
