package io.courier.gateway;

import com.google.protobuf.Timestamp;
import io.courier.contract.v1.Order;
import io.courier.contract.v1.OrderStatus;
import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.streams.WriteStream;

/**
 * One watch of one order, whatever carries it (a gRPC {@code WatchOrder} stream, a Server-Sent
 * Events response): sends the order's current state, then each newer state as its events arrive,
 * and finishes after a terminal one (CONFIRMED, CANCELLED). It never holds more than one unsent
 * state: while the reader's write queue is full a newer state replaces the one waiting (states, not
 * events: the latest is all a reader needs), and it is sent when the queue drains.
 *
 * <p>Confined to the context of its call; states from the Kafka consumer's thread are handed over
 * with {@link #arrived}.
 */
final class OrderWatch {

  /** Where a watch writes: a response whose write queue fills when its reader does not read. */
  interface Sink {
    boolean writeQueueFull();

    void drainHandler(Runnable drained);

    /** Writes {@code order}; {@code last} ends the response after it (successfully). */
    void write(Order order, boolean last);

    /** Ends the response with a failure saying {@code why} (the order source broke). */
    void fail(String why);
  }

  /** A sink over a response stream: its write queue and drain are the stream's own. */
  abstract static class StreamSink implements Sink {
    private final WriteStream<?> stream;

    StreamSink(WriteStream<?> stream) {
      this.stream = stream;
    }

    @Override
    public final boolean writeQueueFull() {
      return stream.writeQueueFull();
    }

    @Override
    public final void drainHandler(Runnable drained) {
      stream.drainHandler(v -> drained.run());
    }
  }

  private final String orderId;
  private final Context context;
  private final Sink sink;
  private final OrderWatches watches;

  /** The last state sent and the one waiting for the queue to drain; only on {@link #context}. */
  private Order sent;

  private volatile Order waiting;
  private boolean started;
  private boolean closed;

  OrderWatch(String orderId, Context context, Sink sink, OrderWatches watches) {
    this.orderId = orderId;
    this.context = context;
    this.sink = sink;
    this.watches = watches;
    sink.drainHandler(this::drained);
  }

  String orderId() {
    return orderId;
  }

  /** States held back: 0 or 1. */
  int pending() {
    return waiting == null ? 0 : 1;
  }

  /**
   * Registers the watch; completes on its context once every event written from now on reaches it,
   * so the current state read after this cannot miss a change.
   */
  Future<Void> open() {
    return watches.add(this).transform(done -> onContext(done.succeeded(), done.cause()));
  }

  private Future<Void> onContext(boolean ok, Throwable cause) {
    Promise<Void> back = Promise.promise();
    context.runOnContext(
        v -> back.handle(ok ? Future.succeededFuture() : Future.failedFuture(cause)));
    return back.future();
  }

  /** The order's current state, as GetOrder answered it: the stream's first message. */
  void start(Order current) {
    if (closed) {
      return;
    }
    started = true;
    offer(current);
    drained();
  }

  /** A state from the orders topic, on any thread. */
  void arrived(Order order) {
    context.runOnContext(v -> offer(order));
  }

  /** The source of states broke: the stream ends with a failure. */
  void broken(String why) {
    context.runOnContext(
        v -> {
          if (!closed) {
            close();
            sink.fail(why);
          }
        });
  }

  /** Releases the watch: the caller went, its deadline passed, or the last state was sent. */
  void close() {
    closed = true;
    waiting = null;
    watches.remove(this);
  }

  private void offer(Order order) {
    if (closed) {
      return;
    }
    Order latest = waiting != null ? waiting : sent;
    if (!newer(order, latest)) {
      return;
    }
    if (!started || sink.writeQueueFull()) {
      if (waiting != null && started) {
        watches.coalesced();
      }
      waiting = order;
      return;
    }
    waiting = null;
    send(order);
  }

  private void drained() {
    Order next = waiting;
    if (closed || !started || next == null || sink.writeQueueFull()) {
      return;
    }
    waiting = null;
    send(next);
  }

  private void send(Order order) {
    sent = order;
    boolean last = terminal(order);
    if (last) {
      close();
    }
    sink.write(order, last);
  }

  static boolean terminal(Order order) {
    return order.getStatus() == OrderStatus.ORDER_STATUS_CONFIRMED
        || order.getStatus() == OrderStatus.ORDER_STATUS_CANCELLED;
  }

  /**
   * Whether {@code candidate} is a later state than {@code known}: a terminal one after a pending
   * one, else a later {@code updated_at}. Redelivered or older events change nothing.
   */
  static boolean newer(Order candidate, Order known) {
    if (known == null) {
      return true;
    }
    if (terminal(known)) {
      return false;
    }
    if (terminal(candidate)) {
      return true;
    }
    return compare(candidate.getUpdatedAt(), known.getUpdatedAt()) > 0;
  }

  private static int compare(Timestamp a, Timestamp b) {
    int seconds = Long.compare(a.getSeconds(), b.getSeconds());
    return seconds != 0 ? seconds : Integer.compare(a.getNanos(), b.getNanos());
  }
}
