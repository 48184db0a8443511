package io.courier.service;

import io.courier.codec.flow.Addresses;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.eventbus.Message;
import io.vertx.core.eventbus.MessageConsumer;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.BiFunction;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The event-bus addresses of a partitioned service: for each partition it serves, a consumer on
 * {@link Addresses#of}{@code (base, partition)} per operation, so a caller that computes a key's
 * partition reaches its owner and nobody else. {@link #open} registers a partition's consumers when
 * the service starts serving it; {@link #close} unregisters them and completes once the requests
 * they took have been answered, so a partition is released only when nothing more of it is in
 * progress. Replies and failures are those of {@link ServiceError}; an operation answering with a
 * {@link Reply} is replied its body, with {@value Reply#DEGRADED_HEADER} when degraded. Confined to
 * the event loop of the verticle that uses it.
 */
public final class PartitionEndpoints {

  private static final Logger LOG = LoggerFactory.getLogger(PartitionEndpoints.class);

  /** Answers one request taken for {@code partition}. */
  @FunctionalInterface
  public interface Operation<T> extends BiFunction<Integer, Message<T>, Future<?>> {}

  private final Vertx vertx;
  private final Map<String, Operation<?>> operations = new LinkedHashMap<>();
  private final Map<String, Class<?>> bodies = new HashMap<>();
  private final Map<Integer, List<MessageConsumer<?>>> open = new HashMap<>();
  private final Map<Integer, Set<Future<?>>> inFlight = new HashMap<>();

  public PartitionEndpoints(Vertx vertx) {
    this.vertx = vertx;
  }

  /**
   * Adds the operation answered at {@code base}'s per-partition addresses, for bodies of {@code
   * type}; any other body is refused with a 400 naming the type expected.
   */
  public <T> PartitionEndpoints on(String base, Class<T> type, Operation<T> operation) {
    operations.put(base, operation);
    bodies.put(base, type);
    return this;
  }

  /** Registers the partition's consumers; completes once the cluster knows them. */
  @SuppressWarnings({"unchecked", "rawtypes"})
  public Future<Void> open(int partition) {
    if (open.containsKey(partition)) {
      return Future.succeededFuture();
    }
    List<MessageConsumer<?>> consumers = new ArrayList<>();
    for (Map.Entry<String, Operation<?>> entry : operations.entrySet()) {
      Operation operation = entry.getValue();
      consumers.add(
          vertx
              .eventBus()
              .consumer(
                  Addresses.of(entry.getKey(), partition),
                  message ->
                      answer(
                          partition, (Message<?>) message, bodies.get(entry.getKey()), operation)));
    }
    open.put(partition, consumers);
    return Future.all(consumers.stream().map(MessageConsumer::completion).toList()).mapEmpty();
  }

  /**
   * Unregisters the partition's consumers, then completes once every request they took has been
   * answered.
   */
  public Future<Void> close(int partition) {
    List<MessageConsumer<?>> consumers = open.remove(partition);
    if (consumers == null) {
      return Future.succeededFuture();
    }
    return Future.join(consumers.stream().map(MessageConsumer::unregister).toList())
        .transform(
            unregistered -> {
              Set<Future<?>> running = inFlight.getOrDefault(partition, Set.of());
              return Future.join(List.copyOf(running)).<Void>mapEmpty().otherwiseEmpty();
            });
  }

  /** Partitions whose addresses are open. */
  public Set<Integer> partitions() {
    return Set.copyOf(open.keySet());
  }

  /** Requests taken and not yet answered, over every partition. */
  public int inFlight() {
    return inFlight.values().stream().mapToInt(Set::size).sum();
  }

  @SuppressWarnings({"unchecked", "rawtypes"})
  private void answer(int partition, Message message, Class<?> type, Operation operation) {
    Future<?> answer;
    if (!type.isInstance(message.body())) {
      answer =
          Future.failedFuture(
              ServiceError.badField(
                      "invalid-request",
                      "",
                      message.address()
                          + " takes "
                          + type.getSimpleName()
                          + ", not "
                          + (message.body() == null
                              ? "an empty body"
                              : message.body().getClass().getSimpleName()))
                  .failure());
    } else {
      try {
        answer = (Future<?>) operation.apply(partition, message);
      } catch (RuntimeException e) {
        answer = Future.failedFuture(e);
      }
    }
    Set<Future<?>> running = inFlight.computeIfAbsent(partition, p -> new HashSet<>());
    running.add(answer);
    Future<?> tracked = answer;
    answer.onComplete(
        done -> {
          running.remove(tracked);
          if (done.succeeded() && done.result() instanceof Reply<?> reply) {
            message.reply(reply.body(), reply.options());
          } else if (done.succeeded()) {
            message.reply(done.result());
          } else {
            ServiceError error = ServiceError.of(done.cause());
            if (error.status() == 503) {
              LOG.debug("{} unavailable: {}", message.address(), done.cause().toString());
            } else if (error.status() >= 500) {
              LOG.warn("{} failed: {}", message.address(), done.cause().toString());
            }
            message.fail(error.status(), error.toJson().encode());
          }
        });
  }
}
