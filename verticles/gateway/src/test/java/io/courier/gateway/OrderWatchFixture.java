package io.courier.gateway;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.protobuf.Timestamp;
import io.courier.codec.Event;
import io.courier.codec.flow.Addresses;
import io.courier.codec.flow.Topics;
import io.courier.codec.kafka.EventSerializer;
import io.courier.contract.v1.GetOrderRequest;
import io.courier.contract.v1.GetOrderResponse;
import io.courier.contract.v1.LineItem;
import io.courier.contract.v1.Money;
import io.courier.contract.v1.Order;
import io.courier.contract.v1.OrderStatus;
import io.courier.kafka.embedded.EmbeddedKafkaBroker;
import io.courier.kafka.embedded.SharedKafkaBroker;
import io.courier.runtime.CourierRuntime;
import io.courier.runtime.Roles;
import io.courier.runtime.config.CourierConfig;
import io.courier.runtime.config.KafkaConfig;
import io.courier.service.ServiceError;
import io.grpc.ManagedChannel;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.vertx.core.Vertx;
import io.vertx.core.eventbus.Message;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * What the watch tests share: one gateway on loopback requiring JWTs, a stand-in order service
 * answering GetOrder on the event bus from {@link #ORDERS} (another user's order refused as the
 * order service refuses it), a producer writing order events to the real orders topic, and the
 * watch meters. Its bulk limits ({@link #BULK_IN_FLIGHT}, {@link #BULK_MAX_ITEMS}) are small, and
 * rate limits are on ({@link #PLACE_BURST}), for PlaceOrdersIT.
 */
@ExtendWith(SharedKafkaBroker.class)
abstract class OrderWatchFixture {

  static final Map<String, Order> ORDERS = new ConcurrentHashMap<>();

  /** {@code gateway.bulk.maxInFlight} of the fixture's gateway. */
  static final int BULK_IN_FLIGHT = 4;

  /** {@code gateway.bulk.maxItems} of the fixture's gateway. */
  static final int BULK_MAX_ITEMS = 500;

  /** The burst of {@code gateway.rateLimit.routes.placeOrder} (1 per second after it). */
  static final int PLACE_BURST = BULK_MAX_ITEMS + 5;

  static CourierRuntime runtime;
  static CourierConfig config;
  static Path keys;
  static KafkaProducer<String, Event<?>> producer;
  static ManagedChannel channel;
  static Vertx web;

  @BeforeAll
  static void start(EmbeddedKafkaBroker kafka) throws Exception {
    keys = Files.createTempDirectory("watch-keys");
    Map<String, String> props = new HashMap<>();
    props.put("courier.kafka.bootstrapServers", kafka.bootstrapServers());
    props.put("courier.roles", "gateway");
    props.put("courier.gateway.port", "0");
    props.put("courier.gateway.grpcPort", "0");
    props.put("courier.gateway.auth.mode", "jwt");
    props.put("courier.gateway.auth.devKeyDir", keys.toString());
    props.put("courier.resilience.policyFile", "../../conf/resilience.json");
    // PlaceOrdersIT's limits: small enough that its streams reach them.
    props.put("courier.gateway.bulk.maxInFlight", Integer.toString(BULK_IN_FLIGHT));
    props.put("courier.gateway.bulk.maxItems", Integer.toString(BULK_MAX_ITEMS));
    // Rate limits on (the defaults for watches); placeOrder's bucket takes a full stream of
    // BULK_MAX_ITEMS items per subject, and hardly refills.
    props.put("courier.gateway.rateLimit.enabled", "true");
    props.put("courier.gateway.rateLimit.routes.placeOrder.burst", Integer.toString(PLACE_BURST));
    props.put("courier.gateway.rateLimit.routes.placeOrder.requestsPerSecond", "1");
    config = Roles.configLoader(Map.of(), props, Roles.available()).load(null);
    runtime = CourierRuntime.start(config, Roles.available()).await(60, TimeUnit.SECONDS);
    // The order service's stand-in: GetOrder from ORDERS; another user's order is refused as the
    // order service refuses it.
    for (int p = 0; p < KafkaConfig.TopicsConfig.DEFAULTS.partitions(); p++) {
      runtime
          .vertx()
          .eventBus()
          .<GetOrderRequest>consumer(
              Addresses.of(Addresses.ORDER_GET, p), OrderWatchFixture::getOrder)
          .completion()
          .await(10, TimeUnit.SECONDS);
    }
    Map<String, Object> producing = new HashMap<>();
    producing.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, kafka.bootstrapServers());
    producer = new KafkaProducer<>(producing, new StringSerializer(), new EventSerializer());
    web = Vertx.vertx();
    String edge = runtime.endpoints().get("gateway (gRPC)");
    channel =
        NettyChannelBuilder.forAddress(
                "127.0.0.1", Integer.parseInt(edge.substring(edge.lastIndexOf(':') + 1)))
            .usePlaintext()
            // A fixed 64 KiB window: a reader that does not read stops the server's writes soon.
            .flowControlWindow(65_535)
            .build();
  }

  @AfterAll
  static void stop() throws Exception {
    if (web != null) {
      web.close().await(10, TimeUnit.SECONDS);
    }
    if (channel != null) {
      channel.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
    }
    if (producer != null) {
      producer.close(Duration.ofSeconds(5));
    }
    if (runtime != null) {
      runtime.stop(Duration.ofSeconds(20)).await(30, TimeUnit.SECONDS);
    }
  }

  @AfterEach
  void noWatchLeft() {
    await("every watch released", () -> watches() == 0);
  }

  private static void getOrder(Message<GetOrderRequest> request) {
    Order order = ORDERS.get(request.body().getOrderId());
    if (order == null) {
      ServiceError unknown =
          ServiceError.notFound(
              "unknown-order", "no order with id '" + request.body().getOrderId() + "'");
      request.fail(unknown.status(), unknown.toJson().encode());
    } else if (order.getUserId().equals("someone-else")) {
      ServiceError forbidden =
          ServiceError.forbidden("forbidden", "this order belongs to another user");
      request.fail(forbidden.status(), forbidden.toJson().encode());
    } else {
      request.reply(GetOrderResponse.newBuilder().setOrder(order).build());
    }
  }

  /** An order of u1, pending, updated at {@code second}, with {@code lines} lines. */
  static Order order(String id, long second, int lines) {
    Order.Builder order =
        Order.newBuilder()
            .setId(id)
            .setUserId("u1")
            .setStatus(OrderStatus.ORDER_STATUS_PENDING)
            .setCreatedAt(Timestamp.newBuilder().setSeconds(0))
            .setUpdatedAt(Timestamp.newBuilder().setSeconds(second));
    for (int i = 0; i < lines; i++) {
      order.addItems(
          LineItem.newBuilder()
              .setSku("sku-" + i)
              .setQuantity(1)
              .setUnitPrice(Money.newBuilder().setCurrency("EUR").setAmountMinor(100)));
    }
    return order.build();
  }

  static void publish(com.google.protobuf.Message change, String orderId) {
    producer.send(
        new ProducerRecord<>(Topics.ORDERS, orderId, Event.of("order-service", orderId, change)));
  }

  static String token(String subject, String scope) throws IOException {
    GatewayConfig.AuthConfig auth = config.section(GatewayConfig.SECTION).auth();
    return DevSigningKey.loadOrCreate(keys)
        .mint(auth.issuer(), auth.audience(), subject, Set.of(scope), Duration.ofMinutes(5));
  }

  static double watches() {
    Gauge gauge = runtime.meters().registry().find("courier.gateway.order.watches").gauge();
    return gauge == null ? 0 : gauge.value();
  }

  static double pending() {
    return runtime.meters().registry().get("courier.gateway.order.watch.pending").gauge().value();
  }

  static double coalesced() {
    Counter counter =
        runtime.meters().registry().find("courier.gateway.order.watch.coalesced").counter();
    return counter == null ? 0 : counter.count();
  }

  static void await(String what, BooleanSupplier condition) {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
    while (!condition.getAsBoolean()) {
      assertThat(System.nanoTime()).as(what + " within 20 s").isLessThan(deadline);
      try {
        // Polls a gauge another thread updates: there is nothing to wait on.
        TimeUnit.MILLISECONDS.sleep(20);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new AssertionError(e);
      }
    }
  }
}
