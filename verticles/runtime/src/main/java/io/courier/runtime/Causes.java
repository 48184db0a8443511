package io.courier.runtime;

import java.util.Optional;
import java.util.function.Predicate;

/** Looking through wrapped failures (a retry's, a reply's) for the one that says what happened. */
public final class Causes {

  /** How deep a cause chain is searched; guards against cycles. */
  private static final int MAX_DEPTH = 8;

  private Causes() {}

  /** The first failure in {@code failure}'s cause chain (itself included) of the given type. */
  public static <T extends Throwable> Optional<T> find(Throwable failure, Class<T> type) {
    return find(failure, type, any -> true);
  }

  /** The first failure in the chain of the given type that also matches {@code test}. */
  public static <T extends Throwable> Optional<T> find(
      Throwable failure, Class<T> type, Predicate<? super T> test) {
    Throwable current = failure;
    for (int depth = 0; current != null && depth < MAX_DEPTH; depth++) {
      if (type.isInstance(current) && test.test(type.cast(current))) {
        return Optional.of(type.cast(current));
      }
      current = current.getCause();
    }
    return Optional.empty();
  }
}
