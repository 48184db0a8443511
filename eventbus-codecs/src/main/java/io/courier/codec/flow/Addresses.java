package io.courier.codec.flow;

/**
 * The event-bus addresses of the reference order flow, each with the messages it takes and answers
 * (request/reply, the protobuf types registered by {@link io.courier.codec.CourierCodecs}).
 *
 * <p>Orders and stock are owned by partition: the instance that owns partition {@code p} of the
 * state topic listens on that partition's addresses while it serves it, and nobody else does, so a
 * request sent to the address of its key's partition ({@link Partitions#of}) reaches the owner or
 * finds no handler (the partition is moving: retry within the deadline).
 */
public final class Addresses {

  /** {@code PlaceOrderRequest} answered with {@code PlaceOrderResponse}. */
  public static final String ORDER_PLACE = "courier.order.place";

  /** {@code GetOrderRequest} answered with {@code GetOrderResponse}. */
  public static final String ORDER_GET = "courier.order.get";

  /**
   * A payment outcome ({@code PaymentCompleted} or {@code PaymentFailed}) for the order's owner to
   * apply, answered with an empty reply once it is recorded.
   */
  public static final String ORDER_PAYMENT = "courier.order.payment";

  /**
   * {@code ReserveStockRequest} for one owner's SKUs, answered with {@code ReserveStockResponse}.
   */
  public static final String STOCK_RESERVE = "courier.stock.reserve";

  /**
   * {@code ReserveStockRequest} whose reservation is taken back as if never made (another owner
   * refused its part of the order), answered with {@code ReleaseStockResponse}.
   */
  public static final String STOCK_UNDO = "courier.stock.undo";

  /**
   * {@code ReleaseStockRequest} for one owner's SKUs, answered with {@code ReleaseStockResponse}.
   */
  public static final String STOCK_RELEASE = "courier.stock.release";

  /** {@code ReleaseStockRequest} whose reservation becomes a sale, answered likewise. */
  public static final String STOCK_COMMIT = "courier.stock.commit";

  /** {@code GetStockRequest} answered with {@code GetStockResponse}. */
  public static final String STOCK_GET = "courier.stock.get";

  private Addresses() {}

  /** The address of {@code base} for the owner of {@code partition}, e.g. {@code ...place.3}. */
  public static String of(String base, int partition) {
    return base + "." + partition;
  }
}
