package io.courier.order;

import com.google.protobuf.Message;
import io.courier.codec.Event;
import io.courier.codec.flow.Addresses;
import io.courier.codec.flow.OrderIds;
import io.courier.codec.flow.Services;
import io.courier.codec.flow.Topics;
import io.courier.contract.v1.GetOrderRequest;
import io.courier.contract.v1.Order;
import io.courier.contract.v1.OrderStatus;
import io.courier.contract.v1.PaymentCompleted;
import io.courier.contract.v1.PaymentFailed;
import io.courier.contract.v1.PlaceOrderRequest;
import io.courier.discovery.Discovery;
import io.courier.resilience.Deadline;
import io.courier.runtime.RoleContext;
import io.courier.runtime.kafka.EventConsumer;
import io.courier.runtime.kafka.OwnedPartitions;
import io.courier.runtime.kafka.PartitionHandler;
import io.courier.runtime.security.MutualTls;
import io.courier.runtime.tracing.SpanDeadline;
import io.courier.service.CallerIdentity;
import io.courier.service.GrpcClients;
import io.courier.service.OwnerCalls;
import io.courier.service.PartitionEndpoints;
import io.courier.service.Policies;
import io.courier.service.RequestedVersion;
import io.courier.service.ServiceError;
import io.courier.service.StateTopics;
import io.vertx.core.Future;
import io.vertx.core.VerticleBase;
import io.vertx.grpc.client.GrpcClient;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Starts the order service: policies and gRPC peers, this instance's share of the orders topic
 * (each partition the group gives it is rebuilt, then served at that partition's event-bus
 * addresses), the consumer of payment outcomes (forwarded to each order's owner) and the sweep of
 * orders past their payment timeout. Stops in reverse: partitions are released, in-flight requests
 * answered, then the group left.
 */
public final class OrderVerticle extends VerticleBase {

  private static final Logger LOG = LoggerFactory.getLogger(OrderVerticle.class);

  /** The group whose members share the orders topic's partitions. */
  public static final String OWNER_GROUP = OrderServiceRole.NAME + ".owners";

  private final RoleContext context;
  private Discovery discovery;
  private GrpcClient users;
  private GrpcClient inventory;
  private OrderBook book;
  private DefaultOrderService service;
  private PartitionEndpoints endpoints;
  private OwnedPartitions ownership;
  private EventConsumer payments;
  private long sweep = -1;

  public OrderVerticle(RoleContext context) {
    this.context = context;
  }

  @Override
  public Future<?> start() {
    discovery = context.createDiscovery();
    book = new OrderBook(context.config().kafka().topics().partitions());
    return MutualTls.load(vertx, context.config().security().mtls())
        .compose(this::createClients)
        .compose(v -> Policies.load(vertx, context))
        .compose(this::createService)
        .compose(v -> ensureTopics())
        .compose(v -> own())
        .compose(v -> consumePayments())
        .onSuccess(v -> startSweep());
  }

  @Override
  public Future<?> stop() {
    Duration drain = Duration.ofMillis(context.config().shutdown().drainTimeoutMs() / 2);
    if (sweep >= 0) {
      vertx.cancelTimer(sweep);
    }
    return (payments == null ? Future.<Void>succeededFuture() : payments.stop(drain))
        .eventually(() -> ownership == null ? Future.succeededFuture() : ownership.stop(drain))
        .eventually(
            () -> {
              discovery.close();
              return Future.all(closed(users), closed(inventory)).mapEmpty();
            });
  }

  /** For tests: how many orders this instance holds, and what it serves. */
  int held() {
    return book.size();
  }

  /** One client per peer role, so each checks that the server it reaches is that role. */
  private Future<Void> createClients(MutualTls tls) {
    users = GrpcClients.create(vertx, tls, Services.USER);
    inventory = GrpcClients.create(vertx, tls, Services.INVENTORY);
    return Future.succeededFuture();
  }

  private static Future<Void> closed(GrpcClient client) {
    return client == null ? Future.succeededFuture() : client.close();
  }

  private Future<Void> createService(Policies policies) {
    service =
        new DefaultOrderService(
            book,
            policies.grpcPeer(discovery, Services.USER, Services.USER, users),
            policies.grpcPeer(discovery, Services.INVENTORY, Services.INVENTORY, inventory),
            context.faults(),
            context.meters());
    long placeTimeout = context.config(OrderServiceConfig.SECTION).placeTimeoutMs();
    endpoints =
        new PartitionEndpoints(vertx)
            .on(
                Addresses.ORDER_PLACE,
                PlaceOrderRequest.class,
                (partition, message) ->
                    valid(message.body())
                        .compose(
                            v ->
                                inPartition(
                                    partition,
                                    OrderIds.of(
                                        message.body().getUserId(),
                                        message.body().getIdempotencyKey())))
                        .compose(v -> requestedVersion(message))
                        .compose(
                            version ->
                                service.place(
                                    message.body(),
                                    arrived(
                                        Deadline.fromHeader(
                                            message.headers().get(Deadline.HEADER),
                                            Deadline.after(Duration.ofMillis(placeTimeout)),
                                            System::nanoTime)),
                                    CallerIdentity.forUserFacing(
                                            message.headers(), context.identity())
                                        .orElse(null),
                                    version)))
            .on(
                Addresses.ORDER_GET,
                GetOrderRequest.class,
                (partition, message) ->
                    inPartition(partition, message.body().getOrderId())
                        .compose(
                            v ->
                                service.get(
                                    message.body().getOrderId(),
                                    CallerIdentity.forUserFacing(
                                            message.headers(), context.identity())
                                        .orElse(null))))
            .on(
                Addresses.ORDER_PAYMENT,
                Message.class,
                (partition, message) ->
                    inPartition(partition, paidOrder(message.body()))
                        .compose(v -> service.onPayment(message.body())));
    return Future.succeededFuture();
  }

  /**
   * The version the request asks its calls to reach ({@value RequestedVersion#HEADER}, passed on by
   * the gateway), or null; a malformed one is refused with a 400 naming the header.
   */
  private static Future<RequestedVersion> requestedVersion(
      io.vertx.core.eventbus.Message<?> message) {
    try {
      return Future.succeededFuture(RequestedVersion.from(message.headers()).orElse(null));
    } catch (IllegalArgumentException malformed) {
      return Future.failedFuture(
          ServiceError.badField("invalid-header", RequestedVersion.HEADER, malformed.getMessage())
              .failure());
    }
  }

  private static Future<Void> valid(PlaceOrderRequest request) {
    ServiceError invalid = OrderRequests.problem(request);
    return invalid == null ? Future.succeededFuture() : Future.failedFuture(invalid.failure());
  }

  /**
   * Refuses a request sent to another partition's address than its order's (a caller computing
   * partitions otherwise, or with another partition count): its owner is elsewhere.
   */
  private Future<Void> inPartition(int partition, String orderId) {
    if (orderId == null || orderId.isBlank()) {
      return Future.failedFuture(
          ServiceError.badField("invalid-request", "orderId", "an order id is required").failure());
    }
    int owner = book.partitionOf(orderId);
    return owner == partition
        ? Future.succeededFuture()
        : Future.failedFuture(
            ServiceError.badField(
                    "wrong-partition",
                    "orderId",
                    "order "
                        + orderId
                        + " lives in partition "
                        + owner
                        + " of "
                        + Topics.ORDERS
                        + ", not "
                        + partition)
                .failure());
  }

  /** The order a payment outcome is about, or null for any other message. */
  private static String paidOrder(Message outcome) {
    return outcome instanceof PaymentCompleted completed
        ? completed.getOrderId()
        : outcome instanceof PaymentFailed failed ? failed.getOrderId() : null;
  }

  private Future<Void> ensureTopics() {
    return StateTopics.ensure(
        vertx, context.kafkaConnection(), context.config().kafka().topics(), Topics.ALL);
  }

  private Future<Void> own() {
    ownership = context.ownership(Topics.ORDERS, OWNER_GROUP, new Owner());
    book.writeThrough(ownership);
    return ownership
        .start()
        .onSuccess(v -> context.announce("order-service (event bus)", Addresses.ORDER_PLACE));
  }

  /** Payment outcomes, whichever instance reads them, go to the owner of their order. */
  private Future<Void> consumePayments() {
    payments =
        context.consumer(
            context
                .config()
                .kafka()
                .consumer()
                .withGroupId(OrderServiceRole.CONSUMER_GROUP)
                .withMaxInFlight(Policies.consumerBound(service.inventoryPolicy())),
            List.of(Topics.PAYMENTS),
            this::forwardPayment);
    return payments.start();
  }

  private Future<Void> forwardPayment(Event<?> event) {
    String orderId = paidOrder(event.data());
    if (orderId == null) {
      return Future.succeededFuture();
    }
    return OwnerCalls.send(
        vertx, Addresses.of(Addresses.ORDER_PAYMENT, book.partitionOf(orderId)), event.data());
  }

  /** Every sweep interval, orders of the partitions served here past their payment timeout. */
  private void startSweep() {
    OrderServiceConfig settings = context.config(OrderServiceConfig.SECTION);
    sweep =
        vertx.setPeriodic(
            settings.sweepIntervalMs(), tick -> expireOverdue(settings.paymentTimeoutMs()));
  }

  private void expireOverdue(long paymentTimeoutMs) {
    long cutoff = System.currentTimeMillis() - paymentTimeoutMs;
    List<Order> overdue =
        book.matching(
            order ->
                order.getStatus() == OrderStatus.ORDER_STATUS_PENDING
                    && TimeUnit.SECONDS.toMillis(order.getUpdatedAt().getSeconds()) < cutoff);
    for (Order order : overdue) {
      service
          .expire(order.getId())
          .onFailure(
              error ->
                  LOG.info(
                      "order {} past its payment timeout not cancelled yet (next sweep): {}",
                      order.getId(),
                      error.toString()));
    }
  }

  /** Rebuilds a partition's orders, then serves them at its addresses; releases in reverse. */
  private final class Owner implements PartitionHandler<Map<String, Order>> {

    @Override
    public Map<String, Order> rebuilding(int partition) {
      return new HashMap<>();
    }

    @Override
    public void replay(Map<String, Order> orders, String key, Event<?> event) {
      if (event == null) {
        orders.remove(key);
        return;
      }
      Order order = OrderBook.orderOf(event);
      if (order != null) {
        orders.put(order.getId(), order);
      }
    }

    @Override
    public Future<Void> serve(int partition, Map<String, Order> orders) {
      book.serve(partition, orders);
      return endpoints.open(partition);
    }

    @Override
    public Future<Void> release(int partition) {
      return endpoints.close(partition).onComplete(done -> book.release(partition));
    }
  }

  /** The deadline a placing arrived with, written onto its span (see {@link SpanDeadline}). */
  private static Deadline arrived(Deadline deadline) {
    SpanDeadline.record(deadline.remaining());
    return deadline;
  }
}
