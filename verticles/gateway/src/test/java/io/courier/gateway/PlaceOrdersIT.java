package io.courier.gateway;

import static io.courier.gateway.PlaceOrdersClient.big;
import static io.courier.gateway.PlaceOrdersClient.item;
import static io.courier.gateway.PlaceOrdersClient.open;
import static io.courier.gateway.PlaceOrdersClient.placing;
import static io.courier.gateway.PlaceOrdersClient.problem;
import static org.assertj.core.api.Assertions.assertThat;

import io.courier.codec.flow.Addresses;
import io.courier.codec.flow.OrderIds;
import io.courier.contract.v1.OrderStatus;
import io.courier.contract.v1.PlaceOrderRequest;
import io.courier.contract.v1.PlaceOrderResponse;
import io.courier.contract.v1.PlaceOrdersRequest;
import io.courier.contract.v1.PlaceOrdersResponse;
import io.courier.gateway.PlaceOrdersClient.Bulk;
import io.courier.runtime.config.KafkaConfig;
import io.courier.service.ServiceError;
import io.grpc.ManagedChannel;
import io.grpc.Status;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import io.micrometer.core.instrument.Counter;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.eventbus.Message;
import io.vertx.core.http.HttpClientResponse;
import io.vertx.core.http.HttpMethod;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.HashSet;
import java.util.Map;
import java.util.Queue;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * {@code PlaceOrders} at the gateway's gRPC edge, called by grpc-java on loopback: one result per
 * item with its id, refusals per item, flow control both ways (a client that does not read its
 * results is not read either), the item limit, cancel and deadline, and gRPC-Web refused. The order
 * service is a stand-in on the event bus answering PlaceOrder (and holding its answers when asked);
 * the gateway runs with {@code gateway.bulk.maxInFlight} {@value #BULK_IN_FLIGHT} and {@code
 * maxItems} {@value #BULK_MAX_ITEMS}, rate limits on. The client is {@link PlaceOrdersClient}.
 */
@DisplayName("Placing a stream of orders at the gateway")
class PlaceOrdersIT extends OrderWatchFixture {

  /** Idempotency keys the stand-in order service was asked to place, with how often. */
  static final Map<String, Integer> PLACED = new ConcurrentHashMap<>();

  /** Requests the stand-in holds unanswered while {@link #hold} is set. */
  static final Queue<Message<PlaceOrderRequest>> HELD = new ConcurrentLinkedQueue<>();

  static volatile boolean hold;

  /** Exceptions no handler caught on the gateway's Vert.x (an event loop's throw is a bug). */
  static final Queue<Throwable> UNHANDLED = new ConcurrentLinkedQueue<>();

  @BeforeAll
  static void startOrderService() throws Exception {
    runtime
        .vertx()
        .exceptionHandler(
            error -> {
              // A late answer to a cancelled call is no fault of the server (CourierRuntime's
              // rule).
              if (!"The stream has been closed".equals(error.getMessage())) {
                UNHANDLED.add(error);
              }
            });
    for (int p = 0; p < KafkaConfig.TopicsConfig.DEFAULTS.partitions(); p++) {
      runtime
          .vertx()
          .eventBus()
          .<PlaceOrderRequest>consumer(
              Addresses.of(Addresses.ORDER_PLACE, p), PlaceOrdersIT::placeOrder)
          .completion()
          .await(10, TimeUnit.SECONDS);
    }
  }

  @AfterEach
  void releaseHeld() {
    hold = false;
    answerHeld();
    await("no item in flight, no stream open", () -> inFlight() == 0 && streams() == 0);
    assertThat(UNHANDLED).as("exceptions no handler caught").isEmpty();
  }

  /** The stand-in: places once per key (the order id derives from it), refuses an unknown sku. */
  private static void placeOrder(Message<PlaceOrderRequest> request) {
    PLACED.merge(request.body().getIdempotencyKey(), 1, Integer::sum);
    if (hold) {
      HELD.add(request);
      return;
    }
    answer(request);
  }

  private static void answer(Message<PlaceOrderRequest> request) {
    PlaceOrderRequest order = request.body();
    if (order.getItems(0).getSku().equals("unknown-sku")) {
      ServiceError unknown = ServiceError.badField("unknown-sku", "items/0/sku", "no such sku");
      request.fail(unknown.status(), unknown.toJson().encode());
      return;
    }
    request.reply(
        PlaceOrderResponse.newBuilder()
            .setOrderId(OrderIds.of(order.getUserId(), order.getIdempotencyKey()))
            .setStatus(OrderStatus.ORDER_STATUS_PENDING)
            .build());
  }

  private static void answerHeld() {
    for (Message<PlaceOrderRequest> held = HELD.poll(); held != null; held = HELD.poll()) {
      answer(held);
    }
  }

  @Test
  @Timeout(60)
  @DisplayName(
      "answers each item once with its id: placed, or refused with the status and problem type"
          + " the unary path gives, a retry with the same key placed as the same order")
  void shouldAnswerEachItemOnce() throws Exception {
    Bulk bulk = open(channel, token("u1", "orders:write"), null);
    bulk.request(100);
    bulk.send(item("ok-1", placing("u1", "mixed-a", "sku-1", 1)));
    bulk.send(item("ok-2", placing("u1", "mixed-b", "sku-1", 2)));
    bulk.send(item("retry-1", placing("u1", "mixed-a", "sku-1", 1)));
    bulk.send(item("no-key", placing("u1", "", "sku-1", 1)));
    bulk.send(item("bad-quantity", placing("u1", "mixed-c", "sku-1", 0)));
    bulk.send(item("for-u2", placing("u2", "mixed-d", "sku-1", 1)));
    bulk.send(item("unknown-sku", placing("u1", "mixed-e", "unknown-sku", 1)));
    bulk.send(PlaceOrdersRequest.newBuilder().setItemId("no-order").build());
    bulk.send(item("", placing("u1", "mixed-f", "sku-1", 1)));
    bulk.halfClose();

    assertThat(bulk.end()).isEqualTo(Status.Code.OK);
    Map<String, PlaceOrdersResponse> results = bulk.byId(9);
    String placed = OrderIds.of("u1", "mixed-a");
    assertThat(results.get("ok-1").getPlaced().getOrderId()).isEqualTo(placed);
    assertThat(results.get("retry-1").getPlaced().getOrderId()).isEqualTo(placed);
    assertThat(results.get("ok-2").getPlaced().getOrderId())
        .isEqualTo(OrderIds.of("u1", "mixed-b"));
    assertThat(problem(results.get("no-key")))
        .isEqualTo("3 invalid-idempotency-key idempotency_key");
    assertThat(problem(results.get("bad-quantity")))
        .isEqualTo("3 invalid-quantity items/0/quantity");
    assertThat(problem(results.get("for-u2"))).isEqualTo("7 forbidden ");
    assertThat(results.get("for-u2").getError().getMessage())
        .isEqualTo("'u1' may not place orders for another user");
    assertThat(problem(results.get("unknown-sku"))).isEqualTo("3 unknown-sku items/0/sku");
    assertThat(problem(results.get("no-order"))).isEqualTo("3 invalid-request order");
    assertThat(problem(results.get(""))).isEqualTo("3 invalid-request item_id");
    assertThat(PLACED)
        .as("only valid items reach the order service")
        .doesNotContainKeys("", "mixed-c", "mixed-d", "mixed-f");
    assertThat(PLACED).containsKeys("mixed-a", "mixed-b", "mixed-e");
  }

  @Test
  @Timeout(60)
  @DisplayName(
      "refuses each item PERMISSION_DENIED without the scope of placeOrder, and the whole call"
          + " UNAUTHENTICATED without a token")
  void shouldRefuseItemsWithoutTheScope() throws Exception {
    Bulk reader = open(channel, token("u1", "orders:read"), null);
    reader.request(10);
    reader.send(item("a", placing("u1", "scope-a", "sku-1", 1)));
    reader.send(item("b", placing("u1", "scope-b", "sku-1", 1)));
    reader.halfClose();

    assertThat(reader.end()).isEqualTo(Status.Code.OK);
    for (PlaceOrdersResponse result : reader.byId(2).values()) {
      assertThat(problem(result)).isEqualTo("7 insufficient-scope ");
      assertThat(result.getError().getMessage())
          .isEqualTo("this operation needs the scope 'orders:write'");
    }
    assertThat(PLACED).doesNotContainKeys("scope-a", "scope-b");

    Bulk anonymous = open(channel, null, null);
    anonymous.request(10);
    anonymous.send(item("a", placing("u1", "scope-c", "sku-1", 1)));
    anonymous.halfClose();
    assertThat(anonymous.end()).isEqualTo(Status.Code.UNAUTHENTICATED);
    assertThat(anonymous.results).isEmpty();
  }

  @Test
  @Timeout(60)
  @DisplayName(
      "stops reading a client that does not read its results, holding at most maxInFlight items,"
          + " and gives it all 500 results once it reads")
  void shouldStopReadingAClientThatDoesNotRead() throws Exception {
    int items = BULK_MAX_ITEMS;
    // A 4 KiB stream window: a client that reads nothing stops the server's writes soon.
    ManagedChannel narrow =
        NettyChannelBuilder.forAddress("127.0.0.1", grpcPort())
            .usePlaintext()
            .flowControlWindow(4096)
            .build();
    try {
      double before = itemsRead();
      double stalled = stalls();
      Bulk bulk = open(narrow, token("bulk-slow", "orders:write"), null);
      // A well-behaved client sends only while its stream takes more, and reads nothing.
      bulk.onReady(
          () -> {
            while (bulk.call.isReady() && bulk.sent < items) {
              bulk.send(
                  item(
                      "slow-" + bulk.sent + "-" + "x".repeat(90),
                      big("bulk-slow", "slow-" + bulk.sent)));
            }
            if (bulk.sent == items && !bulk.halfClosed) {
              bulk.halfClose();
            }
          });

      await(
          "the client held back by the server",
          () -> {
            assertThat(inFlight()).isLessThanOrEqualTo(BULK_IN_FLIGHT);
            synchronized (bulk) {
              // The gateway stopped reading for a client that does not read, which never drains.
              return stalls() > stalled && bulk.sent < items && !bulk.call.isReady();
            }
          });
      double read = itemsRead() - before;
      assertThat(read).as("items the server read").isGreaterThanOrEqualTo(BULK_IN_FLIGHT);
      assertThat(read).as("items the server read").isLessThan(items);
      assertThat(bulk.results).as("results delivered to a client not reading").isEmpty();

      bulk.request(Integer.MAX_VALUE);
      Set<String> ids = new HashSet<>();
      while (ids.size() < items) {
        assertThat(inFlight()).isLessThanOrEqualTo(BULK_IN_FLIGHT);
        PlaceOrdersResponse result = bulk.next();
        assertThat(result.hasPlaced()).as(result.toString()).isTrue();
        assertThat(ids.add(result.getItemId())).as("one result per item").isTrue();
      }
      assertThat(bulk.end()).isEqualTo(Status.Code.OK);
      assertThat(itemsRead() - before).isEqualTo(items);
    } finally {
      narrow.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
    }
  }

  @Test
  @Timeout(60)
  @DisplayName(
      "after a half-close sent while the server is behind, places every item, writes each"
          + " result and ends OK")
  void shouldFinishEveryItemAfterAHalfClose() throws Exception {
    hold = true;
    Bulk bulk = open(channel, token("u1", "orders:write"), null);
    bulk.request(Integer.MAX_VALUE);
    for (int i = 0; i < 60; i++) {
      bulk.send(item("closed-" + i, placing("u1", "closed-" + i, "sku-1", 1)));
    }
    bulk.halfClose();
    // The server holds maxInFlight items; the rest and the half-close wait in its queues.
    await("maxInFlight items with the order service", () -> HELD.size() == BULK_IN_FLIGHT);

    hold = false;
    answerHeld();
    assertThat(bulk.end()).isEqualTo(Status.Code.OK);
    Map<String, PlaceOrdersResponse> results = bulk.byId(60);
    results.values().forEach(result -> assertThat(result.hasPlaced()).isTrue());
  }

  @Test
  @Timeout(60)
  @DisplayName("ends RESOURCE_EXHAUSTED past maxItems, after the results of the items taken")
  void shouldEndPastMaxItems() throws Exception {
    Bulk bulk = open(channel, token("bulk-many", "orders:write"), null);
    bulk.request(Integer.MAX_VALUE);
    for (int i = 0; i < BULK_MAX_ITEMS + 10; i++) {
      bulk.send(item("many-" + i, placing("bulk-many", "many-" + i, "sku-1", 1)));
    }
    bulk.halfClose();

    assertThat(bulk.end()).isEqualTo(Status.Code.RESOURCE_EXHAUSTED);
    assertThat(bulk.message).contains("at most " + BULK_MAX_ITEMS + " items");
    assertThat(bulk.byId(BULK_MAX_ITEMS)).containsKeys("many-0", "many-" + (BULK_MAX_ITEMS - 1));
    assertThat(PLACED).doesNotContainKey("many-" + BULK_MAX_ITEMS);
  }

  @Test
  @Timeout(60)
  @DisplayName(
      "counts each item against the caller's placeOrder limit: an item over it gets a"
          + " rate-limited result and the stream goes on")
  void shouldRateLimitEachItem() throws Exception {
    String writer = token("bulk-limited", "orders:write");
    int placed = 0;
    int limited = 0;
    for (int stream = 0; stream < 2; stream++) {
      Bulk bulk = open(channel, writer, null);
      bulk.request(Integer.MAX_VALUE);
      for (int i = 0; i < 300; i++) {
        String key = "limited-" + stream + "-" + i;
        bulk.send(item(key, placing("bulk-limited", key, "sku-1", 1)));
      }
      bulk.halfClose();
      assertThat(bulk.end()).isEqualTo(Status.Code.OK);
      for (PlaceOrdersResponse result : bulk.byId(300).values()) {
        if (result.hasPlaced()) {
          placed++;
          assertThat(PLACED).containsKey(result.getItemId());
        } else {
          limited++;
          assertThat(problem(result)).isEqualTo("8 rate-limited ");
          assertThat(result.getError().getMessage())
              .startsWith("too many requests for placeOrder from this client; retry in");
          assertThat(PLACED).doesNotContainKey(result.getItemId());
        }
      }
    }
    // The burst, and a token a second after it.
    assertThat(placed).isBetween(PLACE_BURST, PLACE_BURST + 10);
    assertThat(limited).isEqualTo(600 - placed);
  }

  @Test
  @Timeout(60)
  @DisplayName(
      "takes no item after a cancel; the items with the order service complete and the stream's"
          + " places are released")
  void shouldStopTakingItemsWhenCancelled() throws Exception {
    hold = true;
    Bulk bulk = open(channel, token("u1", "orders:write"), null);
    bulk.request(100);
    for (int i = 0; i < 10; i++) {
      bulk.send(item("cancel-" + i, placing("u1", "cancel-" + i, "sku-1", 1)));
    }
    await("maxInFlight items with the order service", () -> HELD.size() == BULK_IN_FLIGHT);
    assertThat(inFlight()).isEqualTo(BULK_IN_FLIGHT);
    assertThat(streams()).isEqualTo(1);

    bulk.call.cancel("the client gave up", null);
    assertThat(bulk.end()).isEqualTo(Status.Code.CANCELLED);
    // The client's CANCELLED is its own: the gateway learns of it from the stream's reset.
    await("the gateway saw the cancel", () -> streams() == 0);
    hold = false;
    answerHeld();
    await("the stream's places released", () -> inFlight() == 0);
    assertThat(PLACED.keySet().stream().filter(key -> key.startsWith("cancel-")))
        .hasSize(BULK_IN_FLIGHT);
  }

  @Test
  @Timeout(60)
  @DisplayName("ends DEADLINE_EXCEEDED at the caller's grpc-timeout and takes no more items")
  void shouldEndAtTheDeadline() throws Exception {
    hold = true;
    Bulk bulk = open(channel, token("u1", "orders:write"), Duration.ofMillis(1500));
    bulk.request(100);
    for (int i = 0; i < 10; i++) {
      bulk.send(item("late-" + i, placing("u1", "late-" + i, "sku-1", 1)));
    }

    assertThat(bulk.end()).isEqualTo(Status.Code.DEADLINE_EXCEEDED);
    await("the gateway ended the stream too", () -> streams() == 0);
    hold = false;
    answerHeld();
    await("the stream's places released", () -> inFlight() == 0);
    assertThat(PLACED.keySet().stream().filter(key -> key.startsWith("late-")))
        .hasSize(BULK_IN_FLIGHT);
  }

  @Test
  @Timeout(60)
  @DisplayName("refuses PlaceOrders over gRPC-Web UNIMPLEMENTED at once, saying why")
  void shouldRefuseGrpcWeb() throws Exception {
    String webToken = token("u1", "orders:write");
    byte[] message = item("web", placing("u1", "web-1", "sku-1", 1)).toByteArray();
    Buffer frame = Buffer.buffer().appendByte((byte) 0).appendInt(message.length);
    frame.appendBytes(message);
    Map.Entry<HttpClientResponse, Buffer> answer =
        web.createHttpClient()
            .request(
                HttpMethod.POST,
                grpcPort(),
                "127.0.0.1",
                "/" + PlaceOrdersClient.PLACE_ORDERS.getFullMethodName())
            .compose(
                call ->
                    call.putHeader("content-type", "application/grpc-web+proto")
                        .putHeader("x-grpc-web", "1")
                        .putHeader("authorization", "Bearer " + webToken)
                        .send(frame))
            .compose(response -> response.body().map(body -> Map.entry(response, body)))
            .await(20, TimeUnit.SECONDS);

    // Trailers-only (the status in the headers), or a trailers frame in the body.
    HttpClientResponse response = answer.getKey();
    String status = response.getHeader("grpc-status");
    String said =
        status != null
            ? "grpc-status:" + status + " " + response.getHeader("grpc-message")
            : answer.getValue().toString(StandardCharsets.UTF_8);
    assertThat(URLDecoder.decode(said, StandardCharsets.UTF_8))
        .contains("grpc-status:12")
        .contains("gRPC-Web cannot stream requests");
    assertThat(PLACED).doesNotContainKey("web-1");
  }

  static int grpcPort() {
    String edge = runtime.endpoints().get("gateway (gRPC)");
    return Integer.parseInt(edge.substring(edge.lastIndexOf(':') + 1));
  }

  static double inFlight() {
    return runtime.meters().registry().get("courier.gateway.bulk.inflight").gauge().value();
  }

  static double stalls() {
    Counter counter = runtime.meters().registry().find("courier.gateway.bulk.stalls").counter();
    return counter == null ? 0 : counter.count();
  }

  static double streams() {
    return runtime.meters().registry().get("courier.gateway.bulk.streams").gauge().value();
  }

  static double itemsRead() {
    Counter counter = runtime.meters().registry().find("courier.gateway.bulk.items").counter();
    return counter == null ? 0 : counter.count();
  }
}
