package io.courier.service;

/** Every topic, event-bus address, service name and consumer group of the order flow. */
public final class Topology {

  private Topology() {}

  /**
   * Order events (OrderPlaced, OrderConfirmed, OrderCancelled), keyed by order id. Compacted: each
   * event carries the whole order, so the latest record per key is the order's state.
   */
  public static final String ORDERS_TOPIC = "courier.orders";

  /** Payment outcomes (PaymentCompleted, PaymentFailed), keyed by order id. */
  public static final String PAYMENTS_TOPIC = "courier.payments";

  /**
   * Stock reservations (StockReserved, StockCommitted, StockReleased), keyed by order id.
   * Compacted: the latest record per order is its reservation's state.
   */
  public static final String RESERVATIONS_TOPIC = "courier.inventory.reservations";

  /** Notifications sent (NotificationSent), keyed by order id. */
  public static final String NOTIFICATIONS_TOPIC = "courier.notifications";

  /** Request/reply: PlaceOrderRequest -> PlaceOrderResponse. */
  public static final String ORDER_PLACE_ADDRESS = "courier.order.place";

  /** Request/reply: GetOrderRequest -> GetOrderResponse. */
  public static final String ORDER_GET_ADDRESS = "courier.order.get";

  /** Discovery names. */
  public static final String USER_SERVICE = "user-service";

  public static final String INVENTORY_SERVICE = "inventory-service";
  public static final String PAYMENT_PROVIDER = "payment-provider";

  /** Consumer groups. */
  public static final String ORDER_GROUP = "order-service";

  public static final String PAYMENT_GROUP = "payment-service";
  public static final String INVENTORY_GROUP = "inventory-service";
  public static final String NOTIFICATION_GROUP = "notification-service";

  /** Resilience targets, as named in the policy file. */
  public static final String ORDER_TARGET = "order-service";

  public static final String USER_TARGET = "user-service";
  public static final String INVENTORY_TARGET = "inventory-service";
  public static final String PAYMENT_PROVIDER_TARGET = "payment-provider";
}
