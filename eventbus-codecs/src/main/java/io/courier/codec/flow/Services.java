package io.courier.codec.flow;

/**
 * The services of the reference order flow by the names they register in discovery, which are also
 * the names of the resilience targets their callers call them through ({@code targets.<name>} in
 * the policy file).
 */
public final class Services {

  /** {@code courier.v1.UserService} over gRPC. */
  public static final String USER = "user-service";

  /** {@code courier.v1.InventoryService} over gRPC. */
  public static final String INVENTORY = "inventory-service";

  /** The order service, over the event bus at {@link Addresses#ORDER_PLACE}. */
  public static final String ORDER = "order-service";

  /** The (simulated) payment provider, over HTTP. */
  public static final String PAYMENT_PROVIDER = "payment-provider";

  private Services() {}
}
