package io.courier.order;

import io.courier.contract.v1.LineItem;
import io.courier.contract.v1.PlaceOrderRequest;
import io.courier.service.PlaceOrderRules;
import io.courier.service.ServiceError;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;

/** Checks of a placing request and its fingerprint. */
final class OrderRequests {

  private OrderRequests() {}

  /**
   * The first problem of the request, or null: its Idempotency-Key, then the user id and lines by
   * {@link PlaceOrderRules}. Field names are JSON pointers into the body.
   */
  static ServiceError problem(PlaceOrderRequest request) {
    if (!PlaceOrderRules.keyFits(request.getIdempotencyKey())) {
      return ServiceError.badField(
          "invalid-idempotency-key",
          "Idempotency-Key",
          "the Idempotency-Key header is required, 1 to "
              + PlaceOrderRules.MAX_KEY
              + " characters");
    }
    return PlaceOrderRules.problem(request);
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
