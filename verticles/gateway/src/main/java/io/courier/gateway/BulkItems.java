package io.courier.gateway;

import io.courier.contract.v1.PlaceOrderRequest;
import io.courier.contract.v1.PlaceOrdersRequest;
import io.courier.service.PlaceOrderRules;
import io.courier.service.ServiceError;

/**
 * The checks one PlaceOrders item passes before it is placed: an item id to echo, an order, a
 * required idempotency key, and the limits of {@link PlaceOrderRules} (user id, 1 to 100 lines,
 * sku, quantity) that the order service checks again, as for the unary PlaceOrder, with the same
 * problem types.
 */
final class BulkItems {

  /** Longest item id: what a client echoes, kept short. */
  static final int MAX_ITEM_ID = 128;

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

  /**
   * The first problem of the item's order, or null: its idempotency key, then the user id and lines
   * by {@link PlaceOrderRules}. Fields are JSON pointers into the order.
   */
  static ServiceError orderProblem(PlaceOrdersRequest item) {
    if (!item.hasOrder()) {
      return ServiceError.badField("invalid-request", "order", "order is required");
    }
    PlaceOrderRequest order = item.getOrder();
    if (!PlaceOrderRules.keyFits(order.getIdempotencyKey())) {
      return ServiceError.badField(
          "invalid-idempotency-key",
          "idempotency_key",
          "each item needs its own idempotency_key, 1 to "
              + PlaceOrderRules.MAX_KEY
              + " characters");
    }
    return PlaceOrderRules.problem(order);
  }
}
