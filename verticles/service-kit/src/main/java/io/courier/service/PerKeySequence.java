package io.courier.service;

import io.vertx.core.Future;
import java.util.HashMap;
import java.util.Map;
import java.util.function.Supplier;

/**
 * Runs asynchronous operations on one key (an order id) one after the other, and on different keys
 * side by side. Not thread-safe: owned by one event loop, like the state it protects.
 */
public final class PerKeySequence {

  private final Map<String, Future<?>> busy = new HashMap<>();

  /** Runs {@code operation} once every earlier operation on {@code key} has finished. */
  public <T> Future<T> run(String key, Supplier<Future<T>> operation) {
    Future<?> before = busy.get(key);
    Future<T> mine =
        before == null ? attempt(operation) : before.transform(ignored -> attempt(operation));
    busy.put(key, mine);
    return mine.andThen(
        done -> {
          if (busy.get(key) == mine) {
            busy.remove(key);
          }
        });
  }

  /** The operation's future, or a failed one when it throws instead of failing. */
  private static <T> Future<T> attempt(Supplier<Future<T>> operation) {
    try {
      return operation.get();
    } catch (RuntimeException e) {
      return Future.failedFuture(e);
    }
  }
}
