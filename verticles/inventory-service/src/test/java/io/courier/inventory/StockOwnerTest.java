package io.courier.inventory;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.protobuf.InvalidProtocolBufferException;
import io.courier.codec.Event;
import io.courier.codec.flow.Topics;
import io.courier.contract.v1.EventEnvelope;
import io.courier.contract.v1.LineItem;
import io.courier.contract.v1.Money;
import io.courier.contract.v1.ReleaseStockResponse;
import io.courier.contract.v1.ReservationStatus;
import io.courier.contract.v1.ReserveStockRequest;
import io.courier.contract.v1.ReserveStockResponse;
import io.courier.contract.v1.StockLevel;
import io.courier.contract.v1.StockReserved;
import io.courier.inventory.Inventory.Level;
import io.courier.runtime.kafka.OwnedPartitions;
import io.vertx.core.Future;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

/**
 * A stock owner asked to reserve for an order id that already holds lines: the same request (same
 * fingerprint) is a retry and answered as the first time; another request under that order id (its
 * Idempotency-Key reused with another body after a placing that reserved and was not recorded) is
 * refused and the stock stays as it was; without a fingerprint on either side it is taken as a
 * retry, as before fingerprints were carried. The owner's writes go to an in-memory stand-in for
 * the partition, whose records rebuild a fresh owner as a restart or a partition move would.
 */
@DisplayName("A stock owner's reservations under one order id")
class StockOwnerTest {

  private static final int PARTITION = 0;
  private static final long STOCK = 20;
  private static final String ORDER = "order-1";
  private static final String FIRST = "fingerprint-of-the-first-body";
  private static final String OTHER = "fingerprint-of-another-body";

  private Partition partition;
  private Inventory stock;
  private StockOwner owner;

  @BeforeEach
  void setUp() {
    partition = new Partition();
    stock = fresh();
    owner = ownerOf(stock, partition);
  }

  @Test
  @DisplayName(
      "a retry with the same fingerprint is answered as the first time and holds nothing more")
  void shouldAnswerARetryOfTheSameRequestAsTheFirstTime() {
    ReserveStockResponse first = done(owner.reserve(PARTITION, reserve(FIRST, "a", 2, "b", 1)));
    int written = partition.records.size();

    ReserveStockResponse again = done(owner.reserve(PARTITION, reserve(FIRST, "a", 2, "b", 1)));

    assertThat(first.getStatus()).isEqualTo(ReservationStatus.RESERVATION_STATUS_RESERVED);
    assertThat(again).isEqualTo(first);
    assertThat(partition.records).as("nothing written for the retry").hasSize(written);
    assertThat(level("a")).isEqualTo(level("a", STOCK - 2, 2));
    assertThat(level("b")).isEqualTo(level("b", STOCK - 1, 1));
  }

  @Test
  @DisplayName("another fingerprint is refused as idempotency-key-reused, the stock as it was")
  void shouldRefuseAnotherRequestUnderTheSameOrderId() {
    done(owner.reserve(PARTITION, reserve(FIRST, "a", 2)));
    int written = partition.records.size();

    ReserveStockResponse overlapping = done(owner.reserve(PARTITION, reserve(OTHER, "a", 5)));
    ReserveStockResponse elsewhere = done(owner.reserve(PARTITION, reserve(OTHER, "b", 3)));
    ReserveStockResponse unknownSku = done(owner.reserve(PARTITION, reserve(OTHER, "zz", 1)));

    for (ReserveStockResponse refused : List.of(overlapping, elsewhere, unknownSku)) {
      assertThat(refused.getStatus()).isEqualTo(ReservationStatus.RESERVATION_STATUS_REJECTED);
      assertThat(refused.getRejectReason()).isEqualTo("idempotency-key-reused");
      assertThat(refused.getItemsList()).isEmpty();
    }
    assertThat(partition.records).as("nothing written for a refusal").hasSize(written);
    assertThat(level("a")).as("the first attempt's hold").isEqualTo(level("a", STOCK - 2, 2));
    assertThat(level("b")).as("no hold beside it").isEqualTo(level("b", STOCK, 0));
    assertThat(stock.line("a", ORDER).fingerprint()).isEqualTo(FIRST);
  }

  @Test
  @DisplayName("a rebuilt owner (restart, partition moved) keeps each line's fingerprint")
  void shouldKeepTheFingerprintAcrossARebuild() {
    done(owner.reserve(PARTITION, reserve(FIRST, "a", 2, "b", 1)));
    Inventory rebuilt = fresh();
    for (OwnedPartitions.StateRecord record : partition.records) {
      rebuilt.replay(record.key(), throughTheWire(record.event()));
    }
    Partition next = new Partition();
    StockOwner successor = ownerOf(rebuilt, next);

    ReserveStockResponse refused = done(successor.reserve(PARTITION, reserve(OTHER, "a", 1)));
    ReserveStockResponse retried =
        done(successor.reserve(PARTITION, reserve(FIRST, "a", 2, "b", 1)));

    assertThat(refused.getRejectReason()).isEqualTo("idempotency-key-reused");
    assertThat(retried.getStatus()).isEqualTo(ReservationStatus.RESERVATION_STATUS_RESERVED);
    assertThat(retried.getItemsList()).extracting(LineItem::getQuantity).containsExactly(2, 1);
    assertThat(next.records).as("the successor wrote nothing").isEmpty();
    assertThat(rebuilt.snapshot().get("a")).isEqualTo(level("a", STOCK - 2, 2));
  }

  @Test
  @DisplayName("a line without a fingerprint, or a request without one, is taken as a retry")
  void shouldTakeAReservationWithoutFingerprintAsARetryAsBefore() {
    // A record written before fingerprints were carried.
    stock.replay(
        Topics.stockKey("a", ORDER),
        Event.derived(
            "old",
            "/test",
            Topics.stockKey("a", ORDER),
            StockReserved.newBuilder()
                .setOrderId(ORDER)
                .addItems(LineItem.newBuilder().setSku("a").setQuantity(2))
                .build()));
    ReserveStockResponse onOldLine = done(owner.reserve(PARTITION, reserve(OTHER, "a", 5)));

    done(owner.reserve(PARTITION, request("order-2", FIRST, "b", 1)));
    ReserveStockResponse fromOldCaller =
        done(owner.reserve(PARTITION, request("order-2", "", "b", 4)));

    assertThat(onOldLine.getStatus()).isEqualTo(ReservationStatus.RESERVATION_STATUS_RESERVED);
    assertThat(fromOldCaller.getStatus()).isEqualTo(ReservationStatus.RESERVATION_STATUS_RESERVED);
    // As before: answered with the request's lines, the held quantities unchanged.
    assertThat(onOldLine.getItems(0).getQuantity()).isEqualTo(5);
    assertThat(level("a")).isEqualTo(level("a", STOCK - 2, 2));
    assertThat(level("b")).isEqualTo(level("b", STOCK - 1, 1));
  }

  @Test
  @DisplayName("undoing another request's part takes back none of the first attempt's lines")
  void shouldUndoOnlyTheLinesOfTheRequestNamed() {
    done(owner.reserve(PARTITION, reserve(FIRST, "a", 2)));

    ReleaseStockResponse other = done(owner.undo(PARTITION, reserve(OTHER, "a", 2)));
    assertThat(other.getStatus()).isEqualTo(ReservationStatus.RESERVATION_STATUS_RELEASED);
    assertThat(level("a")).isEqualTo(level("a", STOCK - 2, 2));

    done(owner.undo(PARTITION, reserve(FIRST, "a", 2)));
    assertThat(level("a")).isEqualTo(level("a", STOCK, 0));
    assertThat(stock.line("a", ORDER)).isNull();
  }

  /** The owner's partition: its records, in the order written; every write succeeds. */
  private static final class Partition implements OwnedPartitions {
    final List<StateRecord> records = new ArrayList<>();

    @Override
    public Future<Void> start() {
      return Future.succeededFuture();
    }

    @Override
    public Future<Void> stop(Duration drain) {
      return Future.succeededFuture();
    }

    @Override
    public Future<Void> write(int partition, List<StateRecord> written) {
      records.addAll(written);
      return Future.succeededFuture();
    }

    @Override
    public Set<Integer> serving() {
      return Set.of(PARTITION);
    }
  }

  private static Inventory fresh() {
    Map<String, Level> seed = new LinkedHashMap<>();
    Money price = Money.newBuilder().setCurrency("EUR").setAmountMinor(250).build();
    for (String sku : List.of("a", "b")) {
      seed.put(sku, new Level(sku, STOCK, price));
    }
    return new Inventory(seed);
  }

  private static StockOwner ownerOf(Inventory stock, Partition partition) {
    StockOwner owner = new StockOwner(1);
    owner.writeThrough(partition);
    owner.serve(PARTITION, stock);
    return owner;
  }

  /** The event as a rebuilding owner reads it: encoded, then decoded by its type. */
  private static Event<?> throughTheWire(Event<?> event) {
    if (event == null) {
      return null;
    }
    try {
      return Event.fromEnvelope(EventEnvelope.parseFrom(event.toEnvelope().toByteArray()));
    } catch (InvalidProtocolBufferException e) {
      throw new AssertionError(e);
    }
  }

  /** A request for ORDER with {@code fingerprint} and lines given as sku, quantity, .... */
  private static ReserveStockRequest reserve(String fingerprint, Object... lines) {
    return request(ORDER, fingerprint, lines);
  }

  private static ReserveStockRequest request(String orderId, String fingerprint, Object... lines) {
    ReserveStockRequest.Builder request =
        ReserveStockRequest.newBuilder().setOrderId(orderId).setRequestFingerprint(fingerprint);
    for (int i = 0; i < lines.length; i += 2) {
      request.addItems(
          LineItem.newBuilder().setSku((String) lines[i]).setQuantity((Integer) lines[i + 1]));
    }
    return request.build();
  }

  private StockLevel level(String sku) {
    return stock.snapshot().get(sku);
  }

  private static StockLevel level(String sku, long available, long reserved) {
    return StockLevel.newBuilder()
        .setSku(sku)
        .setAvailable(available)
        .setReserved(reserved)
        .build();
  }

  /** The result of an owner's operation, which completes at once with this partition stand-in. */
  private static <T> T done(Future<T> operation) {
    assertThat(operation.isComplete()).as("completed without waiting on anything").isTrue();
    assertThat(operation.succeeded()).as(String.valueOf(operation.cause())).isTrue();
    return operation.result();
  }
}
