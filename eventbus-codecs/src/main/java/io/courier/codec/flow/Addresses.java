package io.courier.codec.flow;

/**
 * The event-bus addresses of the reference order flow, each with the messages it takes and answers
 * (request/reply, the protobuf types registered by {@link io.courier.codec.CourierCodecs}).
 */
public final class Addresses {

  /** {@code PlaceOrderRequest} answered with {@code PlaceOrderResponse}. */
  public static final String ORDER_PLACE = "courier.order.place";

  /** {@code GetOrderRequest} answered with {@code GetOrderResponse}. */
  public static final String ORDER_GET = "courier.order.get";

  private Addresses() {}
}
