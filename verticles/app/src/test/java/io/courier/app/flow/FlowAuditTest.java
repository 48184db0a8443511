package io.courier.app.flow;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.InstanceOfAssertFactories.STRING;

import com.google.protobuf.Message;
import com.google.protobuf.Timestamp;
import io.courier.codec.Event;
import io.courier.contract.v1.Money;
import io.courier.contract.v1.NotificationSent;
import io.courier.contract.v1.Order;
import io.courier.contract.v1.OrderCancelled;
import io.courier.contract.v1.OrderConfirmed;
import io.courier.contract.v1.OrderPlaced;
import io.courier.contract.v1.OrderStatus;
import io.courier.contract.v1.PaymentCompleted;
import io.courier.contract.v1.PaymentFailed;
import java.util.List;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

/**
 * The flow audit's ledger, fed events as the services derive them: what it calls applied twice,
 * what a redelivered copy, and what missing.
 */
@DisplayName("The flow audit's ledger")
class FlowAuditTest {

  private static final String ID = "order-1";
  private static final Money AMOUNT =
      Money.newBuilder().setCurrency("EUR").setAmountMinor(1_200).build();

  private static Order order(OrderStatus status, long updatedAt) {
    return Order.newBuilder()
        .setId(ID)
        .setUserId("user-1")
        .setStatus(status)
        .setCreatedAt(Timestamp.newBuilder().setSeconds(1_000))
        .setUpdatedAt(Timestamp.newBuilder().setSeconds(updatedAt))
        .build();
  }

  /** As the order service derives its events: the id from the state and the order id. */
  private static Event<?> orderEvent(String state, Message data) {
    return Event.derived(state + "|" + ID, "/courier/order-service", ID, data);
  }

  /** As the payment service derives its outcomes: the id from the type and the order id. */
  private static Event<?> outcome(Message data) {
    return Event.derived("payment|" + ID, "/courier/payment-service", ID, data);
  }

  private static Event<?> placed(long createdAt) {
    Order order =
        order(OrderStatus.ORDER_STATUS_PENDING, createdAt).toBuilder()
            .setCreatedAt(Timestamp.newBuilder().setSeconds(createdAt))
            .build();
    return orderEvent("ORDER_STATUS_PENDING", OrderPlaced.newBuilder().setOrder(order).build());
  }

  private static Event<?> completed(String paymentId) {
    return outcome(
        PaymentCompleted.newBuilder()
            .setOrderId(ID)
            .setPaymentId(paymentId)
            .setAmount(AMOUNT)
            .build());
  }

  private static Event<?> failed() {
    return outcome(
        PaymentFailed.newBuilder()
            .setOrderId(ID)
            .setReason("card declined")
            .setAmount(AMOUNT)
            .build());
  }

  private static Event<?> confirmed(long updatedAt) {
    return orderEvent(
        "ORDER_STATUS_CONFIRMED",
        OrderConfirmed.newBuilder()
            .setOrderId(ID)
            .setPaymentId("pay-1")
            .setOrder(order(OrderStatus.ORDER_STATUS_CONFIRMED, updatedAt))
            .build());
  }

  private static Event<?> cancelled() {
    return orderEvent(
        "ORDER_STATUS_CANCELLED",
        OrderCancelled.newBuilder()
            .setOrderId(ID)
            .setReason("payment failed: card declined")
            .setOrder(order(OrderStatus.ORDER_STATUS_CANCELLED, 2_000))
            .build());
  }

  private static FlowAudit.Trail trail(Event<?>... events) {
    FlowAudit.Ledger ledger = new FlowAudit.Ledger();
    for (Event<?> event : events) {
      ledger.add(event);
    }
    return ledger.trail(ID);
  }

  @Test
  @DisplayName("finds nothing twice and nothing missing in a confirmed order's three events")
  void shouldAcceptOneEventOfEachKind() {
    FlowAudit.Trail trail = trail(placed(1_000), completed("pay-1"), confirmed(2_000));

    assertThat(trail.duplicates()).isEmpty();
    assertThat(trail.gaps("CONFIRMED")).isEmpty();
    assertThat(trail.outcomes.records()).isOne();
  }

  @Test
  @DisplayName("calls two PaymentCompleted with different payment ids two outcomes")
  void shouldFlagTwoPaymentCompletedForOneOrder() {
    FlowAudit.Trail trail =
        trail(placed(1_000), completed("pay-1"), completed("pay-2"), confirmed(2_000));

    // Both carry the same derived event id: a set of ids or of types would see one outcome.
    assertThat(completed("pay-1").id()).isEqualTo(completed("pay-2").id());
    assertThat(trail.outcomes.records()).isEqualTo(2);
    assertThat(trail.outcomes.distinct()).isEqualTo(2);
    assertThat(trail.duplicates())
        .singleElement(STRING)
        .contains("payment outcome 2 times in 2 records")
        .contains("PaymentCompleted, PaymentCompleted");
  }

  @Test
  @DisplayName("calls a PaymentCompleted and a PaymentFailed for one order two outcomes")
  void shouldFlagBothOutcomesForOneOrder() {
    FlowAudit.Trail trail = trail(placed(1_000), completed("pay-1"), failed(), confirmed(2_000));

    assertThat(trail.duplicates()).singleElement(STRING).contains("payment outcome");
  }

  @Test
  @DisplayName("counts a redelivered copy (same id, same payload) as a copy, not a second event")
  void shouldCountRedeliveredCopyOnce() {
    // A payment service killed after publishing and before committing charges again with the
    // same Idempotency-Key, gets the same payment id and publishes the same outcome again.
    FlowAudit.Ledger ledger = new FlowAudit.Ledger();
    ledger.add(placed(1_000)).add(completed("pay-1")).add(completed("pay-1")).add(confirmed(2_000));
    FlowAudit.Trail trail = ledger.trail(ID);

    assertThat(trail.outcomes.records()).isEqualTo(2);
    assertThat(trail.outcomes.distinct()).isOne();
    assertThat(trail.duplicates()).isEmpty();
    assertThat(ledger.copies(List.of(ID))).isOne();
  }

  @Test
  @DisplayName(
      "calls a second OrderPlaced or a second terminal order event with another payload a duplicate")
  void shouldFlagOrderEventsWrittenTwice() {
    FlowAudit.Trail placedTwice = trail(placed(1_000), placed(1_001));
    FlowAudit.Trail confirmedTwice =
        trail(placed(1_000), completed("pay-1"), confirmed(2_000), confirmed(2_001));
    FlowAudit.Trail confirmedAndCancelled =
        trail(placed(1_000), completed("pay-1"), confirmed(2_000), cancelled());

    assertThat(placedTwice.duplicates()).singleElement(STRING).contains("OrderPlaced 2 times");
    assertThat(confirmedTwice.duplicates())
        .singleElement(STRING)
        .contains("terminal order event 2 times");
    assertThat(confirmedAndCancelled.duplicates())
        .singleElement(STRING)
        .contains("OrderConfirmed, OrderCancelled");
  }

  @Test
  @DisplayName("names what is missing for the status the REST API shows")
  void shouldNameMissingEvents() {
    assertThat(trail().gaps("CONFIRMED"))
        .containsExactly(
            "no OrderPlaced",
            "CONFIRMED without PaymentCompleted (payment outcomes: [])",
            "CONFIRMED without OrderConfirmed (terminal events: [])");
    assertThat(trail(placed(1_000), failed(), confirmed(2_000)).gaps("CONFIRMED"))
        .containsExactly("CONFIRMED without PaymentCompleted (payment outcomes: [PaymentFailed])");
    assertThat(trail(placed(1_000), failed(), cancelled()).gaps("CANCELLED")).isEmpty();
    assertThat(trail(placed(1_000)).gaps("PENDING"))
        .containsExactly("status PENDING is not terminal");
  }

  @Test
  @DisplayName("keeps other orders' events and other event types out of an order's trail")
  void shouldKeepOtherEventsOut() {
    FlowAudit.Ledger ledger = new FlowAudit.Ledger();
    ledger
        .add(placed(1_000))
        .add(
            Event.derived(
                "payment|order-2",
                "/courier/payment-service",
                "order-2",
                PaymentCompleted.newBuilder().setOrderId("order-2").setPaymentId("pay-9").build()))
        .add(Event.of("/courier/notification-service", ID, NotificationSent.getDefaultInstance()));

    FlowAudit.Trail trail = ledger.trail(ID);
    assertThat(trail.placed.records()).isOne();
    assertThat(trail.outcomes.records()).isZero();
    assertThat(trail.terminal.records()).isZero();
    assertThat(ledger.trail("order-2").outcomes.records()).isOne();
  }
}
