package io.courier.order;

import io.courier.contract.v1.LineItem;
import io.courier.contract.v1.PlaceOrderRequest;
import io.courier.service.ServiceError;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;

/** Checks of a placing request and its fingerprint. */
final class OrderRequests {

  static final int MAX_LINES = 100;
  static final int MAX_QUANTITY = 10_000;
  static final int MAX_KEY = 128;
  static final int MAX_ID = 64;

  private OrderRequests() {}

  /** The first problem of the request, or null. Field names are JSON pointers into the body. */
  static ServiceError problem(PlaceOrderRequest request) {
    String key = request.getIdempotencyKey();
    if (key.isBlank() || key.length() > MAX_KEY) {
      return ServiceError.badField(
          "invalid-idempotency-key",
          "Idempotency-Key",
          "the Idempotency-Key header is required, 1 to " + MAX_KEY + " characters");
    }
    if (request.getUserId().isBlank() || request.getUserId().length() > MAX_ID) {
      return ServiceError.badField(
          "invalid-request", "userId", "userId is required, 1 to " + MAX_ID + " characters");
    }
    if (request.getItemsCount() == 0 || request.getItemsCount() > MAX_LINES) {
      return ServiceError.badField(
          "invalid-request", "items", "between 1 and " + MAX_LINES + " items are required");
    }
    for (int i = 0; i < request.getItemsCount(); i++) {
      LineItem item = request.getItems(i);
      if (item.getSku().isBlank() || item.getSku().length() > MAX_ID) {
        return ServiceError.badField(
            "invalid-request", "items/" + i + "/sku", "sku is required, 1 to 64 characters");
      }
      if (item.getQuantity() < 1 || item.getQuantity() > MAX_QUANTITY) {
        return ServiceError.badField(
            "invalid-quantity",
            "items/" + i + "/quantity",
            "quantity must be between 1 and " + MAX_QUANTITY);
      }
    }
    return null;
  }

  /** SHA-256 over the user and the lines, to tell a retry from another request reusing a key. */
  static String fingerprint(PlaceOrderRequest request) {
    StringBuilder text = new StringBuilder(request.getUserId());
    for (LineItem item : request.getItemsList()) {
      text.append('\n').append(item.getSku()).append('\t').append(item.getQuantity());
    }
    try {
      return HexFormat.of()
          .formatHex(
              MessageDigest.getInstance("SHA-256")
                  .digest(text.toString().getBytes(StandardCharsets.UTF_8)));
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("SHA-256 is part of every JRE", e);
    }
  }
}
