package io.courier.inventory;

import io.courier.contract.v1.LineItem;
import io.courier.contract.v1.Money;
import io.courier.contract.v1.ReservationStatus;
import io.courier.contract.v1.StockLevel;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * Stock and reservations, in memory. Not thread-safe: owned by one event loop. Every SKU keeps
 * {@code initial = available + reserved + sold}.
 */
final class Inventory {

  /** One SKU's counts and price. */
  static final class Level {
    final String sku;
    final long initial;
    final Money price;
    long available;
    long reserved;
    long sold;

    Level(String sku, long initial, Money price) {
      this.sku = sku;
      this.initial = initial;
      this.price = price;
      this.available = initial;
    }

    StockLevel toProto() {
      return StockLevel.newBuilder()
          .setSku(sku)
          .setAvailable(available)
          .setReserved(reserved)
          .setSold(sold)
          .build();
    }
  }

  /** One order's reservation. */
  record Reservation(List<LineItem> items, ReservationStatus status) {}

  private final Map<String, Level> levels;
  private final Map<String, Reservation> reservations = new HashMap<>();

  private Inventory(Map<String, Level> levels) {
    this.levels = levels;
  }

  /**
   * Parses a seed file: {@code {"skus": [{"sku", "stock", "priceMinor", "currency"}, ...]}}.
   *
   * @throws IllegalArgumentException naming the entry at fault
   */
  static Inventory fromSeed(String json, String source) {
    JsonArray entries;
    try {
      entries = new JsonObject(json).getJsonArray("skus");
    } catch (RuntimeException e) {
      throw new IllegalArgumentException(
          source + ": not a JSON object with 'skus': " + e.getMessage());
    }
    if (entries == null) {
      throw new IllegalArgumentException(source + ": needs a 'skus' array");
    }
    Map<String, Level> levels = new LinkedHashMap<>();
    for (int i = 0; i < entries.size(); i++) {
      JsonObject entry = entries.getJsonObject(i);
      String sku = entry.getString("sku", "");
      long stock = entry.getLong("stock", -1L);
      if (sku.isBlank() || stock < 0) {
        throw new IllegalArgumentException(
            source + ": skus[" + i + "] needs a 'sku' and a 'stock' >= 0");
      }
      Money price =
          Money.newBuilder()
              .setCurrency(entry.getString("currency", "EUR"))
              .setAmountMinor(entry.getLong("priceMinor", 0L))
              .build();
      levels.put(sku, new Level(sku, stock, price));
    }
    return new Inventory(levels);
  }

  int skus() {
    return levels.size();
  }

  int reservations() {
    return reservations.size();
  }

  Optional<Level> level(String sku) {
    return Optional.ofNullable(levels.get(sku));
  }

  Optional<Reservation> reservation(String orderId) {
    return Optional.ofNullable(reservations.get(orderId));
  }

  /** Quantities per SKU, lines of one SKU added up. */
  static Map<String, Long> quantities(List<LineItem> items) {
    Map<String, Long> bySku = new LinkedHashMap<>();
    for (LineItem item : items) {
      bySku.merge(item.getSku(), (long) item.getQuantity(), Long::sum);
    }
    return bySku;
  }

  /** The first SKU whose available stock is short of the items, if any. */
  Optional<String> shortOf(List<LineItem> items) {
    for (Map.Entry<String, Long> line : quantities(items).entrySet()) {
      if (levels.get(line.getKey()).available < line.getValue()) {
        return Optional.of(line.getKey());
      }
    }
    return Optional.empty();
  }

  /** The items with unit prices filled in. */
  List<LineItem> priced(List<LineItem> items) {
    return items.stream()
        .map(item -> item.toBuilder().setUnitPrice(levels.get(item.getSku()).price).build())
        .toList();
  }

  /**
   * Moves the order's reservation to {@code status}, adjusting the counts for the transition (none
   * -> RESERVED, RESERVED -> COMMITTED, RESERVED -> RELEASED, none -> RELEASED).
   */
  void apply(String orderId, List<LineItem> items, ReservationStatus status) {
    Reservation before = reservations.get(orderId);
    ReservationStatus from = before == null ? null : before.status();
    List<LineItem> held = before == null ? items : before.items();
    if (from == status) {
      return;
    }
    for (Map.Entry<String, Long> line : quantities(held).entrySet()) {
      Level level = levels.get(line.getKey());
      if (level == null) {
        continue;
      }
      long q = line.getValue();
      if (from == null && status == ReservationStatus.RESERVATION_STATUS_RESERVED) {
        level.available -= q;
        level.reserved += q;
      } else if (from == null && status == ReservationStatus.RESERVATION_STATUS_COMMITTED) {
        level.available -= q;
        level.sold += q;
      } else if (from == ReservationStatus.RESERVATION_STATUS_RESERVED
          && status == ReservationStatus.RESERVATION_STATUS_COMMITTED) {
        level.reserved -= q;
        level.sold += q;
      } else if (from == ReservationStatus.RESERVATION_STATUS_RESERVED
          && status == ReservationStatus.RESERVATION_STATUS_RELEASED) {
        level.reserved -= q;
        level.available += q;
      }
    }
    reservations.put(orderId, new Reservation(held, status));
  }

  /** Undoes a RESERVED that was applied but could not be made durable. */
  void undoReserve(String orderId) {
    Reservation before = reservations.remove(orderId);
    if (before == null || before.status() != ReservationStatus.RESERVATION_STATUS_RESERVED) {
      return;
    }
    for (Map.Entry<String, Long> line : quantities(before.items()).entrySet()) {
      Level level = levels.get(line.getKey());
      level.reserved -= line.getValue();
      level.available += line.getValue();
    }
  }

  /** Checks every SKU's arithmetic; for tests and the admin view. */
  Map<String, StockLevel> snapshot() {
    Map<String, StockLevel> all = new LinkedHashMap<>();
    levels.forEach((sku, level) -> all.put(sku, level.toProto()));
    return all;
  }
}
