package io.courier.order;

import io.courier.codec.Event;
import io.courier.codec.flow.Addresses;
import io.courier.codec.flow.Services;
import io.courier.codec.flow.Topics;
import io.courier.contract.v1.GetOrderRequest;
import io.courier.contract.v1.Order;
import io.courier.contract.v1.OrderCancelled;
import io.courier.contract.v1.OrderConfirmed;
import io.courier.contract.v1.OrderPlaced;
import io.courier.contract.v1.PlaceOrderRequest;
import io.courier.discovery.Discovery;
import io.courier.resilience.Deadline;
import io.courier.runtime.RoleContext;
import io.courier.runtime.kafka.EventConsumer;
import io.courier.runtime.security.MutualTls;
import io.courier.service.CallerIdentity;
import io.courier.service.GrpcClients;
import io.courier.service.Policies;
import io.courier.service.ServiceError;
import io.courier.service.StateTopics;
import io.vertx.core.Future;
import io.vertx.core.VerticleBase;
import io.vertx.core.eventbus.Message;
import io.vertx.core.eventbus.MessageConsumer;
import io.vertx.grpc.client.GrpcClient;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Starts the order service: policies and gRPC peers, orders replayed from their topic, the consumer
 * of payment outcomes, then the event-bus handlers the gateway calls. Stops in reverse.
 */
public final class OrderVerticle extends VerticleBase {

  private static final Logger LOG = LoggerFactory.getLogger(OrderVerticle.class);

  private final RoleContext context;
  private Discovery discovery;
  private GrpcClient users;
  private GrpcClient inventory;
  private DefaultOrderService service;
  private EventConsumer payments;
  private MessageConsumer<PlaceOrderRequest> placing;
  private MessageConsumer<GetOrderRequest> reading;

  public OrderVerticle(RoleContext context) {
    this.context = context;
  }

  @Override
  public Future<?> start() {
    discovery = context.createDiscovery();
    return MutualTls.load(vertx, context.config().security().mtls())
        .compose(this::createClients)
        .compose(v -> Policies.load(vertx, context))
        .compose(policies -> replay().map(orders -> createService(policies, orders)))
        .compose(v -> consumePayments())
        .compose(v -> serve());
  }

  @Override
  public Future<?> stop() {
    Duration drain = Duration.ofMillis(context.config().shutdown().drainTimeoutMs() / 2);
    Future<Void> unregistered =
        placing == null
            ? Future.succeededFuture()
            : Future.all(placing.unregister(), reading.unregister()).mapEmpty();
    return unregistered
        .compose(v -> payments == null ? Future.succeededFuture() : payments.stop(drain))
        .eventually(
            () -> {
              discovery.close();
              return Future.all(closed(users), closed(inventory)).mapEmpty();
            });
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

  private Future<Map<String, Order>> replay() {
    String servers = context.kafkaBootstrapServers();
    return vertx.executeBlocking(
        () -> {
          StateTopics.ensure(servers, Topics.ALL.stream().map(StateTopics::of).toList());
          Map<String, Order> orders = new HashMap<>();
          long count =
              StateTopics.replay(
                  servers,
                  Topics.ORDERS,
                  event -> {
                    Order order = orderOf(event);
                    if (order != null) {
                      orders.put(order.getId(), order);
                    }
                  });
          LOG.info("order service holds {} orders ({} records replayed)", orders.size(), count);
          return orders;
        },
        false);
  }

  private static Order orderOf(Event<?> event) {
    if (event.data() instanceof OrderPlaced placed) {
      return placed.getOrder();
    }
    if (event.data() instanceof OrderConfirmed confirmed) {
      return confirmed.getOrder();
    }
    if (event.data() instanceof OrderCancelled cancelled) {
      return cancelled.getOrder();
    }
    return null;
  }

  private Void createService(Policies policies, Map<String, Order> orders) {
    service =
        new DefaultOrderService(
            orders,
            policies.grpcPeer(discovery, Services.USER, Services.USER, users),
            policies.grpcPeer(discovery, Services.INVENTORY, Services.INVENTORY, inventory),
            context.publisher());
    return null;
  }

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
            service::onPayment);
    return payments.start();
  }

  private Future<Void> serve() {
    long placeTimeout = context.config(OrderServiceConfig.SECTION).placeTimeoutMs();
    placing =
        vertx
            .eventBus()
            .consumer(
                Addresses.ORDER_PLACE,
                message ->
                    reply(
                        message,
                        service.place(
                            message.body(),
                            Deadline.fromHeader(
                                message.headers().get(Deadline.HEADER),
                                Deadline.after(Duration.ofMillis(placeTimeout)),
                                System::nanoTime),
                            CallerIdentity.from(message.headers()).orElse(null))));
    reading =
        vertx
            .eventBus()
            .consumer(
                Addresses.ORDER_GET,
                message ->
                    reply(
                        message,
                        service.get(
                            message.body().getOrderId(),
                            CallerIdentity.from(message.headers()).orElse(null))));
    return Future.all(placing.completion(), reading.completion())
        .onSuccess(v -> context.announce("order-service (event bus)", Addresses.ORDER_PLACE))
        .mapEmpty();
  }

  private static <T> void reply(Message<?> message, Future<T> answer) {
    answer.onComplete(
        done -> {
          if (done.succeeded()) {
            message.reply(done.result());
          } else {
            ServiceError error = ServiceError.of(done.cause());
            if (error.status() >= 500) {
              LOG.warn("{} failed: {}", message.address(), done.cause().toString());
            }
            message.fail(error.status(), error.toJson().encode());
          }
        });
  }
}
