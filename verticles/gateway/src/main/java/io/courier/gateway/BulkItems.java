package io.courier.gateway;

import io.courier.contract.v1.LineItem;
import io.courier.contract.v1.PlaceOrderRequest;
import io.courier.contract.v1.PlaceOrdersRequest;
import io.courier.service.ServiceError;

/**
 * The checks one PlaceOrders item passes before it is placed: an item id to echo, an order, and the
 * limits {@code POST /api/v1/orders} takes from the contract (user id, 1 to 100 lines, sku,
 * quantity) and a required idempotency key, with the same problem types; the order service checks
 * again, as for the unary PlaceOrder.
 */
final class BulkItems {

  /** Longest item id: what a client echoes, kept short. */
  static final int MAX_ITEM_ID = 128;

  static final int MAX_KEY = 128;
  static final int MAX_ID = 64;
  static final int MAX_LINES = 100;
  static final int MAX_QUANTITY = 10_000;

  private BulkItems() {}

  /** What is wrong with the item's id, or null. */
  static ServiceError itemIdProblem(String itemId) {
    int length = itemId.codePointCount(0, itemId.length());
    if (length < 1 || length > MAX_ITEM_ID) {
      return ServiceError.badField(
          "invalid-request",
          "item_id",
          "item_id is required, 1 to " + MAX_ITEM_ID + " characters, was " + length);
    }
    for (int i = 0; i < itemId.length(); i++) {
      if (Character.isISOControl(itemId.charAt(i))) {
        return ServiceError.badField(
            "invalid-request", "item_id", "item_id must not contain control characters");
      }
    }
    return null;
  }

  /** The first problem of the item's order, or null. Fields are JSON pointers into the order. */
  static ServiceError orderProblem(PlaceOrdersRequest item) {
    if (!item.hasOrder()) {
      return ServiceError.badField("invalid-request", "order", "order is required");
    }
    PlaceOrderRequest order = item.getOrder();
    String key = order.getIdempotencyKey();
    if (key.isBlank() || key.length() > MAX_KEY) {
      return ServiceError.badField(
          "invalid-idempotency-key",
          "idempotency_key",
          "each item needs its own idempotency_key, 1 to " + MAX_KEY + " characters");
    }
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
