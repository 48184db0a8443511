package io.courier.service;

import static org.assertj.core.api.Assertions.assertThat;

import io.courier.contract.v1.LineItem;
import io.courier.contract.v1.PlaceOrderRequest;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

@DisplayName("The limits of an order to place")
class PlaceOrderRulesTest {

  private static LineItem line(String sku, int quantity) {
    return LineItem.newBuilder().setSku(sku).setQuantity(quantity).build();
  }

  private static PlaceOrderRequest.Builder order() {
    return PlaceOrderRequest.newBuilder()
        .setUserId("u1")
        .setIdempotencyKey("k1")
        .addItems(line("sku-1", 1));
  }

  @Test
  void shouldFindNoProblemInAnOrderAtTheLimits() {
    PlaceOrderRequest.Builder order =
        order().setUserId("u".repeat(PlaceOrderRules.MAX_ID)).clearItems();
    for (int i = 0; i < PlaceOrderRules.MAX_LINES; i++) {
      order.addItems(line("s".repeat(PlaceOrderRules.MAX_ID), PlaceOrderRules.MAX_QUANTITY));
    }

    assertThat(PlaceOrderRules.problem(order.build())).isNull();
    assertThat(PlaceOrderRules.problem(order().build())).isNull();
  }

  @Test
  void shouldRefuseABlankOrTooLongUserId() {
    ServiceError expected =
        ServiceError.badField(
            "invalid-request", "userId", "userId is required, 1 to 64 characters");

    assertThat(PlaceOrderRules.problem(order().setUserId(" ").build())).isEqualTo(expected);
    assertThat(PlaceOrderRules.problem(order().setUserId("u".repeat(65)).build()))
        .isEqualTo(expected);
  }

  @Test
  void shouldRefuseNoLinesOrMoreThanAHundred() {
    ServiceError expected =
        ServiceError.badField("invalid-request", "items", "between 1 and 100 items are required");
    PlaceOrderRequest.Builder many = order().clearItems();
    for (int i = 0; i <= PlaceOrderRules.MAX_LINES; i++) {
      many.addItems(line("sku-" + i, 1));
    }

    assertThat(PlaceOrderRules.problem(order().clearItems().build())).isEqualTo(expected);
    assertThat(PlaceOrderRules.problem(many.build())).isEqualTo(expected);
  }

  @Test
  void shouldNameTheLineWithABadSku() {
    assertThat(PlaceOrderRules.problem(order().addItems(line("", 1)).build()))
        .isEqualTo(
            ServiceError.badField(
                "invalid-request", "items/1/sku", "sku is required, 1 to 64 characters"));
    assertThat(PlaceOrderRules.problem(order().addItems(line("s".repeat(65), 1)).build()))
        .extracting(ServiceError::field)
        .isEqualTo("items/1/sku");
  }

  @Test
  void shouldNameTheLineWithAQuantityOutOfRange() {
    ServiceError zero = PlaceOrderRules.problem(order().addItems(line("sku-2", 0)).build());
    ServiceError over = PlaceOrderRules.problem(order().addItems(line("sku-2", 10_001)).build());

    assertThat(zero)
        .isEqualTo(
            ServiceError.badField(
                "invalid-quantity", "items/1/quantity", "quantity must be between 1 and 10000"));
    assertThat(over).isEqualTo(zero);
  }

  @Test
  void shouldReportTheFirstProblemOnly() {
    PlaceOrderRequest both = order().setUserId("").addItems(line("", 0)).build();

    assertThat(PlaceOrderRules.problem(both).field()).isEqualTo("userId");
  }

  @Test
  void shouldLeaveTheKeyToItsOwnCheck() {
    assertThat(PlaceOrderRules.problem(order().setIdempotencyKey("").build())).isNull();
    assertThat(PlaceOrderRules.keyFits("k")).isTrue();
    assertThat(PlaceOrderRules.keyFits("k".repeat(PlaceOrderRules.MAX_KEY))).isTrue();
    assertThat(PlaceOrderRules.keyFits("k".repeat(PlaceOrderRules.MAX_KEY + 1))).isFalse();
    assertThat(PlaceOrderRules.keyFits("  ")).isFalse();
    assertThat(PlaceOrderRules.keyFits("")).isFalse();
  }
}
