package io.courier.load;

import static io.gatling.javaapi.core.CoreDsl.StringBody;
import static io.gatling.javaapi.http.HttpDsl.http;

import io.gatling.javaapi.http.HttpRequestActionBuilder;
import java.util.Iterator;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ThreadLocalRandom;
import java.util.stream.Stream;

/**
 * The order API as the simulations use it: orders drawn from the dev profile's seed (users
 * u1..u100, SKUs sku-0001..sku-1000), the POST that places one, and the statuses {@code GET
 * /api/v1/orders/{id}} reports (the gateway's {@code OrdersApi.status}).
 */
final class Orders {

  /** Waiting for the payment outcome. */
  static final String PENDING = "PENDING";

  /** Paid: the order service confirmed it. */
  static final String CONFIRMED = "CONFIRMED";

  /** Payment declined or failed: the order service cancelled it and released the stock. */
  static final String CANCELLED = "CANCELLED";

  /** The statuses an order does not leave. */
  static final Set<String> TERMINAL = Set.of(CONFIRMED, CANCELLED);

  private Orders() {}

  /** Whether {@code status} is one an order does not leave; false for null (not read yet). */
  static boolean isTerminal(String status) {
    return status != null && TERMINAL.contains(status);
  }

  /**
   * An endless feeder of orders: {@code key} (a fresh Idempotency-Key starting with {@code
   * keyPrefix}), {@code user} and {@code sku} from the dev seed.
   */
  static Iterator<Map<String, Object>> feeder(String keyPrefix) {
    return Stream.generate(
            () -> {
              ThreadLocalRandom random = ThreadLocalRandom.current();
              return Map.<String, Object>of(
                  "key", keyPrefix + UUID.randomUUID(),
                  "user", "u" + (1 + random.nextInt(100)),
                  "sku", String.format("sku-%04d", 1 + random.nextInt(1000)));
            })
        .iterator();
  }

  /** {@code POST /api/v1/orders} of one unit of the fed SKU for the fed user, without checks. */
  static HttpRequestActionBuilder place() {
    return http("POST /api/v1/orders")
        .post("/api/v1/orders")
        .header("Idempotency-Key", "#{key}")
        .body(
            StringBody("{\"userId\":\"#{user}\",\"items\":[{\"sku\":\"#{sku}\",\"quantity\":1}]}"));
  }
}
