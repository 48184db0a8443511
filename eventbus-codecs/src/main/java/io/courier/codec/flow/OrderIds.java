package io.courier.codec.flow;

import java.nio.charset.StandardCharsets;
import java.util.UUID;

/**
 * An order's id, derived from the idempotency key it was placed with, so a retry names the same
 * order and every caller (the gateway routing a request, the order service recording it) finds the
 * same owner.
 */
public final class OrderIds {

  private OrderIds() {}

  /** The order id of {@code idempotencyKey}: a name-based UUID. */
  public static String of(String idempotencyKey) {
    return UUID.nameUUIDFromBytes(("order|" + idempotencyKey).getBytes(StandardCharsets.UTF_8))
        .toString();
  }
}
