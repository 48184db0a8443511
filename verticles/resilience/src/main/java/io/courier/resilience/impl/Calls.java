package io.courier.resilience.impl;

import io.vertx.core.Future;
import java.util.function.Supplier;

/** Starting a call so that a supplier which throws becomes a failed future. */
public final class Calls {

  private Calls() {}

  /** The call's future, or a failed one when the supplier throws or returns null. */
  public static <T> Future<T> start(Supplier<Future<T>> call) {
    try {
      Future<T> started = call.get();
      return started != null
          ? started
          : Future.failedFuture(new IllegalStateException("the call returned no future"));
    } catch (RuntimeException e) {
      return Future.failedFuture(e);
    }
  }
}
