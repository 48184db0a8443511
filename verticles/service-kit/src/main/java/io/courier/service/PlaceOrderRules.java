package io.courier.service;

import io.courier.contract.v1.LineItem;
import io.courier.contract.v1.PlaceOrderRequest;

/**
 * The limits an order to place must meet, in one place for every door it comes through: the order
 * service checks them for {@code PlaceOrder}, and the gateway checks each item of a bulk {@code
 * PlaceOrders} stream before placing it. A user id of 1 to {@value #MAX_ID} characters, 1 to
 * {@value #MAX_LINES} lines, each with a sku of 1 to {@value #MAX_ID} characters and a quantity of
 * 1 to {@value #MAX_QUANTITY}; and an idempotency key of 1 to {@value #MAX_KEY} characters, whose
 * problem each caller words itself (a header on one door, a field of the item on the other).
 */
public final class PlaceOrderRules {

  /** Longest idempotency key. */
  public static final int MAX_KEY = 128;

  /** Longest user id and sku. */
  public static final int MAX_ID = 64;

  /** Most lines in one order. */
  public static final int MAX_LINES = 100;

  /** Largest quantity of one line. */
  public static final int MAX_QUANTITY = 10_000;

  private PlaceOrderRules() {}

  /** Whether the idempotency key is 1 to {@value #MAX_KEY} characters and not blank. */
  public static boolean keyFits(String key) {
    return !key.isBlank() && key.length() <= MAX_KEY;
  }

  /**
   * The first problem of the order's user id and lines (a 400 with the field as a JSON pointer into
   * the order), or null. The idempotency key is not looked at: see {@link #keyFits(String)}.
   */
  public static ServiceError problem(PlaceOrderRequest order) {
    if (order.getUserId().isBlank() || order.getUserId().length() > MAX_ID) {
      return ServiceError.badField(
          "invalid-request", "userId", "userId is required, 1 to " + MAX_ID + " characters");
    }
    if (order.getItemsCount() == 0 || order.getItemsCount() > MAX_LINES) {
      return ServiceError.badField(
          "invalid-request", "items", "between 1 and " + MAX_LINES + " items are required");
    }
    for (int i = 0; i < order.getItemsCount(); i++) {
      LineItem line = order.getItems(i);
      if (line.getSku().isBlank() || line.getSku().length() > MAX_ID) {
        return ServiceError.badField(
            "invalid-request",
            "items/" + i + "/sku",
            "sku is required, 1 to " + MAX_ID + " characters");
      }
      if (line.getQuantity() < 1 || line.getQuantity() > MAX_QUANTITY) {
        return ServiceError.badField(
            "invalid-quantity",
            "items/" + i + "/quantity",
            "quantity must be between 1 and " + MAX_QUANTITY);
      }
    }
    return null;
  }
}
