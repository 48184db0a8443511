package io.courier.runtime.kafka;

import io.courier.codec.Event;
import io.vertx.core.Future;

/**
 * Handles one event. The consumer commits the record's offset only after the returned future
 * succeeds. A failure is retried in place with back-off, then through the retry topic, then parked
 * in the dead-letter topic; a {@link NonRetryableException} skips the retries.
 */
@FunctionalInterface
public interface EventHandler {

  Future<Void> handle(Event<?> event);
}
