package io.courier.runtime.kafka;

import java.util.Map;
import java.util.Set;

/**
 * What replays moved back so far: the ids in the ledger, and, before the ledger existed, every dead
 * letter below the offsets the group {@code courier-dlt-replay} committed.
 */
public record ReplayLedger(
    boolean ledgerExists, Set<String> ids, Map<Integer, Long> committedOffsets) {

  /** Whether the dead letter {@code id} at {@code partition}/{@code offset} was moved back. */
  public boolean moved(String id, int partition, long offset) {
    Long committed = committedOffsets.get(partition);
    return ids.contains(id) || (committed != null && offset < committed);
  }

  public boolean moved(DeadLetters.DeadLetter letter) {
    return moved(letter.id(), letter.partition(), letter.offset());
  }
}
