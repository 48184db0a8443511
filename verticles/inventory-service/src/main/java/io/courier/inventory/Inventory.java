package io.courier.inventory;

import io.courier.codec.Event;
import io.courier.codec.flow.Topics;
import io.courier.contract.v1.LineItem;
import io.courier.contract.v1.Money;
import io.courier.contract.v1.ReservationStatus;
import io.courier.contract.v1.StockCommitted;
import io.courier.contract.v1.StockLevel;
import io.courier.contract.v1.StockReleased;
import io.courier.contract.v1.StockReserved;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.function.Predicate;

/**
 * The stock of one partition of the stock topic: the levels of the SKUs that live there and the
 * lines orders hold on them, in memory. Not thread-safe: rebuilt on the ownership thread before it
 * is served, then owned by one event loop. Every SKU keeps {@code initial = available + reserved +
 * sold}.
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

    Level copy() {
      return new Level(sku, initial, price);
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

  /**
   * One order's hold on one SKU: its quantity, status, when it last changed, and the fingerprint of
   * the request it was reserved for (empty when reserved by a caller, or replayed from a record,
   * that had none).
   */
  record Line(
      String sku,
      String orderId,
      long quantity,
      ReservationStatus status,
      String fingerprint,
      long atMillis) {}

  private final Map<String, Level> levels;
  private final Map<String, Line> lines = new HashMap<>();
  private final Map<String, Set<String>> skusOfOrder = new HashMap<>();

  /** The stock of {@code levels}, fresh (nothing reserved or sold). */
  Inventory(Map<String, Level> levels) {
    this.levels = new LinkedHashMap<>();
    levels.forEach((sku, level) -> this.levels.put(sku, level.copy()));
  }

  /**
   * Parses a seed file: {@code {"skus": [{"sku", "stock", "priceMinor", "currency"}, ...]}}.
   *
   * @throws IllegalArgumentException naming the entry at fault
   */
  static Map<String, Level> seed(String json, String source) {
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
    return levels;
  }

  int skus() {
    return levels.size();
  }

  int lines() {
    return lines.size();
  }

  Optional<Level> level(String sku) {
    return Optional.ofNullable(levels.get(sku));
  }

  /** The order's line of {@code sku}, or null. */
  Line line(String sku, String orderId) {
    return lines.get(Topics.stockKey(sku, orderId));
  }

  /** The order's lines in this partition. */
  List<Line> linesOf(String orderId) {
    List<Line> found = new ArrayList<>();
    for (String sku : skusOfOrder.getOrDefault(orderId, Set.of())) {
      found.add(lines.get(Topics.stockKey(sku, orderId)));
    }
    return found;
  }

  /** Lines matching {@code filter}, for the orphan sweep. */
  List<Line> matching(Predicate<Line> filter) {
    return lines.values().stream().filter(filter).toList();
  }

  /** Quantities per SKU, lines of one SKU added up, in the order they first appear. */
  static Map<String, Long> quantities(List<LineItem> items) {
    Map<String, Long> bySku = new LinkedHashMap<>();
    for (LineItem item : items) {
      bySku.merge(item.getSku(), (long) item.getQuantity(), Long::sum);
    }
    return bySku;
  }

  /** The items with unit prices filled in; every SKU must be one of this partition's. */
  List<LineItem> priced(List<LineItem> items) {
    return items.stream()
        .map(item -> item.toBuilder().setUnitPrice(levels.get(item.getSku()).price).build())
        .toList();
  }

  /** {@link #apply(String, String, long, ReservationStatus, String, long)} without fingerprint. */
  void apply(String sku, String orderId, long quantity, ReservationStatus status, long atMillis) {
    apply(sku, orderId, quantity, status, "", atMillis);
  }

  /**
   * Moves the order's line of {@code sku} to {@code status}, adjusting the counts for the
   * transition (none -> RESERVED, RESERVED -> COMMITTED, RESERVED -> RELEASED, none -> RELEASED,
   * which marks an order released before it reserved anything). A new line takes {@code
   * fingerprint}; an existing one keeps its own.
   */
  void apply(
      String sku,
      String orderId,
      long quantity,
      ReservationStatus status,
      String fingerprint,
      long atMillis) {
    String key = Topics.stockKey(sku, orderId);
    Line before = lines.get(key);
    ReservationStatus from = before == null ? null : before.status();
    long held = before == null ? quantity : before.quantity();
    String heldFor = before == null ? fingerprint : before.fingerprint();
    if (from == status) {
      return;
    }
    Level level = levels.get(sku);
    if (level != null) {
      if (from == null && status == ReservationStatus.RESERVATION_STATUS_RESERVED) {
        level.available -= held;
        level.reserved += held;
      } else if (from == null && status == ReservationStatus.RESERVATION_STATUS_COMMITTED) {
        level.available -= held;
        level.sold += held;
      } else if (from == ReservationStatus.RESERVATION_STATUS_RESERVED
          && status == ReservationStatus.RESERVATION_STATUS_COMMITTED) {
        level.reserved -= held;
        level.sold += held;
      } else if (from == ReservationStatus.RESERVATION_STATUS_RESERVED
          && status == ReservationStatus.RESERVATION_STATUS_RELEASED) {
        level.reserved -= held;
        level.available += held;
      }
    }
    lines.put(key, new Line(sku, orderId, held, status, heldFor, atMillis));
    skusOfOrder.computeIfAbsent(orderId, id -> new LinkedHashSet<>()).add(sku);
  }

  /** Takes back a RESERVED line as if it never was (undone, or a tombstone replayed). */
  void remove(String sku, String orderId) {
    Line before = lines.remove(Topics.stockKey(sku, orderId));
    if (before == null) {
      return;
    }
    Set<String> skus = skusOfOrder.get(orderId);
    if (skus != null) {
      skus.remove(sku);
      if (skus.isEmpty()) {
        skusOfOrder.remove(orderId);
      }
    }
    Level level = levels.get(sku);
    if (level != null && before.status() == ReservationStatus.RESERVATION_STATUS_RESERVED) {
      level.reserved -= before.quantity();
      level.available += before.quantity();
    }
  }

  /** One record of the stock topic, replayed: keyed {@code <sku>|<order id>}, null a tombstone. */
  void replay(String key, Event<?> event) {
    if (event == null) {
      int split = key == null ? -1 : key.lastIndexOf('|');
      if (split > 0) {
        remove(key.substring(0, split), key.substring(split + 1));
      }
      return;
    }
    long at = event.time().toEpochMilli();
    if (event.data() instanceof StockReserved reserved) {
      replay(
          reserved.getOrderId(),
          reserved.getItemsList(),
          ReservationStatus.RESERVATION_STATUS_RESERVED,
          reserved.getRequestFingerprint(),
          at);
    } else if (event.data() instanceof StockCommitted committed) {
      replay(
          committed.getOrderId(),
          committed.getItemsList(),
          ReservationStatus.RESERVATION_STATUS_COMMITTED,
          "",
          at);
    } else if (event.data() instanceof StockReleased released) {
      replay(
          released.getOrderId(),
          released.getItemsList(),
          ReservationStatus.RESERVATION_STATUS_RELEASED,
          "",
          at);
    }
  }

  /**
   * A committed or released line replayed without its reservation before it (compacted away) has no
   * fingerprint: its order was recorded, so the order service answers a retry from the order.
   */
  private void replay(
      String orderId, List<LineItem> items, ReservationStatus status, String fingerprint, long at) {
    quantities(items)
        .forEach((sku, quantity) -> apply(sku, orderId, quantity, status, fingerprint, at));
  }

  /** Every SKU's counts; for tests and the admin view. */
  Map<String, StockLevel> snapshot() {
    Map<String, StockLevel> all = new LinkedHashMap<>();
    levels.forEach((sku, level) -> all.put(sku, level.toProto()));
    return all;
  }
}
