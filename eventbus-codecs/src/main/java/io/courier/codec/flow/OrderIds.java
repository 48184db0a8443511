package io.courier.codec.flow;

import java.nio.charset.StandardCharsets;
import java.util.UUID;

/**
 * An order's id, derived from the user it is for and the idempotency key it was placed with, so a
 * retry names the same order, every caller (the gateway routing a request, the order service
 * recording it) finds the same owner, and one user's key never names another user's order (user B
 * reusing user A's key gets an order of their own, neither a 409 nor a hint that A's order exists).
 */
public final class OrderIds {

  private OrderIds() {}

  /**
   * The order id of {@code idempotencyKey} for {@code userId}: a name-based UUID over both, the key
   * exactly as sent (no decoding: {@code %41} and {@code A} are different keys).
   */
  public static String of(String userId, String idempotencyKey) {
    // The user id's length first, so no (user, key) pair can be spelled like another.
    return UUID.nameUUIDFromBytes(
            ("order|" + userId.length() + ":" + userId + "|" + idempotencyKey)
                .getBytes(StandardCharsets.UTF_8))
        .toString();
  }
}
