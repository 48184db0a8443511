package io.courier.order;

import com.google.protobuf.Message;
import io.courier.codec.Event;
import io.courier.codec.flow.Partitions;
import io.courier.contract.v1.Order;
import io.courier.contract.v1.OrderCancelled;
import io.courier.contract.v1.OrderConfirmed;
import io.courier.contract.v1.OrderPlaced;
import io.courier.runtime.kafka.OwnedPartitions;
import io.courier.runtime.kafka.OwnedPartitions.NotOwnerException;
import io.courier.runtime.kafka.OwnedPartitions.StateRecord;
import io.courier.runtime.metrics.Meters;
import io.vertx.core.Future;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Predicate;

/**
 * The orders of the partitions this instance serves, by partition. Confined to the verticle's event
 * loop; a partition's map is added once it is rebuilt and removed once it is released. Every change
 * is written to the partition, in a transaction only its owner can commit, before it becomes
 * visible.
 */
final class OrderBook {

  static final String SOURCE = "/courier/order-service";

  private final int partitions;
  private final Map<Integer, Map<String, Order>> served = new HashMap<>();
  private OwnedPartitions owned;

  OrderBook(int partitions) {
    this.partitions = partitions;
  }

  /** Set once, before any partition is served. */
  void writeThrough(OwnedPartitions owned) {
    this.owned = owned;
  }

  int partitionOf(String orderId) {
    return Partitions.of(orderId, partitions);
  }

  boolean serves(int partition) {
    return served.containsKey(partition);
  }

  /** The order, or null when it is unknown in a partition served here. */
  Order get(String orderId) {
    Map<String, Order> orders = served.get(partitionOf(orderId));
    if (orders == null) {
      throw notServed(orderId);
    }
    return orders.get(orderId);
  }

  /** Writes the change to the order's partition, then makes {@code state} visible. */
  Future<Void> write(Order state, Message change) {
    int partition = partitionOf(state.getId());
    if (!served.containsKey(partition)) {
      return Future.failedFuture(notServed(state.getId()));
    }
    Event<?> event =
        Event.derived(
            state.getStatus().name() + "|" + state.getId(), SOURCE, state.getId(), change);
    return owned
        .write(partition, List.of(new StateRecord(state.getId(), event)))
        .onSuccess(
            written -> {
              Map<String, Order> orders = served.get(partition);
              if (orders != null) {
                orders.put(state.getId(), state);
              }
            });
  }

  void serve(int partition, Map<String, Order> orders) {
    served.put(partition, orders);
  }

  void release(int partition) {
    served.remove(partition);
  }

  /** Gauges of what this instance holds and serves. */
  void meter(Meters meters) {
    meters.gauge("courier.order.held", "Orders held by this instance", this::size);
  }

  /** Orders held, over every partition served. */
  int size() {
    return served.values().stream().mapToInt(Map::size).sum();
  }

  /** Orders of the served partitions matching {@code filter}, for the sweeps. */
  List<Order> matching(Predicate<Order> filter) {
    List<Order> found = new ArrayList<>();
    for (Map<String, Order> orders : served.values()) {
      for (Order order : orders.values()) {
        if (filter.test(order)) {
          found.add(order);
        }
      }
    }
    return found;
  }

  private NotOwnerException notServed(String orderId) {
    return new NotOwnerException(
        "order " + orderId + " is in partition " + partitionOf(orderId) + ", not served here");
  }

  /** The order an event of the orders topic carries, or null. */
  static Order orderOf(Event<?> event) {
    if (event.data() instanceof OrderPlaced placed) {
      return placed.getOrder();
    }
    if (event.data() instanceof OrderConfirmed confirmed) {
      return confirmed.getOrder();
    }
    if (event.data() instanceof OrderCancelled cancelled) {
      return cancelled.getOrder();
    }
    return null;
  }
}
