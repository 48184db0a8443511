package io.courier.codec.flow;

import java.util.List;
import java.util.Set;

/**
 * The Kafka topics of the reference order flow, each with the events it carries. Every record's
 * value is an {@link io.courier.codec.Event} envelope keyed by the order id.
 */
public final class Topics {

  /**
   * {@code OrderPlaced}, {@code OrderConfirmed}, {@code OrderCancelled}. Compacted: each event
   * carries the whole order, so the latest record per key is the order's state.
   */
  public static final String ORDERS = "courier.orders";

  /** {@code PaymentCompleted}, {@code PaymentFailed}. */
  public static final String PAYMENTS = "courier.payments";

  /**
   * {@code StockReserved}, {@code StockCommitted}, {@code StockReleased}, one record per SKU of an
   * order, keyed {@code <sku>|<order id>} and written to the partition of the SKU ({@link
   * Partitions#of} of the SKU), so each owner of SKUs replays exactly its own. Compacted: the
   * latest record per key is the state of that order's line; a tombstone takes back a reservation
   * that never was (another owner refused its part of the order).
   */
  public static final String STOCK = "courier.inventory.stock";

  /** The key of {@code orderId}'s line of {@code sku} on {@link #STOCK}. */
  public static String stockKey(String sku, String orderId) {
    return sku + "|" + orderId;
  }

  /** {@code NotificationSent}. */
  public static final String NOTIFICATIONS = "courier.notifications";

  /** Every topic of the flow, in the order they are created. */
  public static final List<String> ALL = List.of(ORDERS, STOCK, PAYMENTS, NOTIFICATIONS);

  /** The topics whose latest record per key is state, kept by compaction rather than by time. */
  public static final Set<String> COMPACTED = Set.of(ORDERS, STOCK);

  private Topics() {}
}
