package io.courier.gateway;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.protobuf.Timestamp;
import io.courier.contract.v1.Order;
import io.courier.contract.v1.OrderConfirmed;
import io.courier.contract.v1.OrderPlaced;
import io.courier.contract.v1.OrderStatus;
import io.courier.contract.v1.WatchOrderRequest;
import io.courier.contract.v1.WatchOrderResponse;
import io.grpc.ClientCall;
import io.grpc.Metadata;
import io.grpc.MethodDescriptor;
import io.grpc.Status;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpClientRequest;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.json.JsonObject;
import java.time.Duration;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * {@code WatchOrder} at the gateway's gRPC edge, called by grpc-java on loopback: the order's state
 * then its changes from the orders topic, OK at a terminal state; refusals with a status; a reader
 * that does not read gets the latest state, not a growing queue; deadline and cancel release the
 * watch. The order service is a stand-in on the event bus answering GetOrder; the changes are
 * written to the real orders topic.
 */
@DisplayName("Watching an order at the gateway")
class OrderWatchIT extends OrderWatchFixture {

  static final MethodDescriptor<WatchOrderRequest, WatchOrderResponse> WATCH =
      GrpcRaw.method(
          MethodDescriptor.MethodType.SERVER_STREAMING,
          "courier.v1.OrderService/WatchOrder",
          WatchOrderRequest::parseFrom,
          WatchOrderResponse::parseFrom);

  @Test
  @Timeout(60)
  @DisplayName(
      "sends the current state, then each newer state from the orders topic, and ends OK once"
          + " the order is confirmed")
  void shouldStreamStatesUntilTerminal() throws Exception {
    Order pending = order("watch-1", 1, 1);
    ORDERS.put(pending.getId(), pending);
    Watch watch = watch(pending.getId(), token("u1", "orders:read"), null);

    assertThat(watch.next()).isEqualTo(pending);
    assertThat(watches()).isEqualTo(1);
    watch.call.request(10);
    publish(OrderPlaced.newBuilder().setOrder(pending).build(), pending.getId());
    Order later = order("watch-1", 2, 1);
    publish(OrderPlaced.newBuilder().setOrder(later).build(), later.getId());
    Order confirmed =
        later.toBuilder()
            .setStatus(OrderStatus.ORDER_STATUS_CONFIRMED)
            .setPaymentId("pay-1")
            .setUpdatedAt(Timestamp.newBuilder().setSeconds(3))
            .build();
    publish(
        OrderConfirmed.newBuilder()
            .setOrderId(confirmed.getId())
            .setPaymentId("pay-1")
            .setOrder(confirmed)
            .build(),
        confirmed.getId());

    assertThat(watch.next()).as("the redelivered state skipped").isEqualTo(later);
    assertThat(watch.next()).isEqualTo(confirmed);
    assertThat(watch.end()).isEqualTo(Status.Code.OK);
  }

  @Test
  @Timeout(60)
  @DisplayName(
      "refuses a bad id INVALID_ARGUMENT, an unknown order NOT_FOUND, no token UNAUTHENTICATED,"
          + " a missing scope or another user's order PERMISSION_DENIED, each with a message")
  void shouldRefuseBadWatches() throws Exception {
    ORDERS.put("not-yours", order("not-yours", 1, 1).toBuilder().setUserId("someone-else").build());
    String reader = token("u1", "orders:read");

    assertThat(refusal("", reader))
        .isEqualTo("INVALID_ARGUMENT order_id must be 1 to 64 characters, was 0");
    assertThat(refusal("o".repeat(65), reader))
        .isEqualTo("INVALID_ARGUMENT order_id must be 1 to 64 characters, was 65");
    assertThat(refusal("no-such-order", reader))
        .isEqualTo("NOT_FOUND no order with id 'no-such-order'");
    assertThat(refusal("not-yours", reader))
        .isEqualTo("PERMISSION_DENIED this order belongs to another user");
    assertThat(refusal("not-yours", token("u1", "orders:write")))
        .isEqualTo("PERMISSION_DENIED this operation needs the scope 'orders:read'");
    assertThat(refusal("not-yours", null)).startsWith("UNAUTHENTICATED a bearer token");
  }

  @Test
  @Timeout(60)
  @DisplayName("ends a watch DEADLINE_EXCEEDED at the caller's grpc-timeout and releases it")
  void shouldEndAtTheDeadline() throws Exception {
    Order pending = order("watch-deadline", 1, 1);
    ORDERS.put(pending.getId(), pending);
    Watch watch = watch(pending.getId(), token("u1", "orders:read"), Duration.ofMillis(1500));

    assertThat(watch.next()).isEqualTo(pending);
    assertThat(watch.end()).isEqualTo(Status.Code.DEADLINE_EXCEEDED);
    await("the watch released at its deadline", () -> watches() == 0);
  }

  @Test
  @Timeout(60)
  @DisplayName("releases the watch when its caller cancels")
  void shouldReleaseOnCancel() throws Exception {
    Order pending = order("watch-cancel", 1, 1);
    ORDERS.put(pending.getId(), pending);
    Watch watch = watch(pending.getId(), token("u1", "orders:read"), null);

    assertThat(watch.next()).isEqualTo(pending);
    assertThat(watches()).isEqualTo(1);
    watch.call.cancel("the caller lost interest", null);
    assertThat(watch.end()).isEqualTo(Status.Code.CANCELLED);
    await("the watch released after the cancel", () -> watches() == 0);
  }

  @Test
  @Timeout(60)
  @DisplayName(
      "holds at most one state for a reader that does not read, and gives it the latest state"
          + " once it reads")
  void shouldCoalesceForAReaderThatDoesNotRead() throws Exception {
    int changes = 1_500;
    Order pending = order("watch-slow", 0, 40);
    ORDERS.put(pending.getId(), pending);
    Watch watch = watch(pending.getId(), token("u1", "orders:read"), null);
    assertThat(watch.next()).isEqualTo(pending);
    double before = coalesced();

    // The reader asks for nothing more: the states pile up on the server's side of the stream.
    for (int i = 1; i <= changes; i++) {
      Order changed = order("watch-slow", i, 40);
      publish(OrderPlaced.newBuilder().setOrder(changed).build(), changed.getId());
    }
    producer.flush();
    await(
        "most states coalesced while the reader does not read",
        () -> {
          assertThat(pending()).as("states held back by the server").isLessThanOrEqualTo(1);
          return coalesced() - before > changes / 2.0;
        });
    assertThat(pending()).isLessThanOrEqualTo(1);

    // Now it reads: it gets what fit in the stream's window, then the latest state.
    watch.call.request(Integer.MAX_VALUE);
    int received = 0;
    long last = 0;
    while (last < changes) {
      Order next = watch.next();
      assertThat(next.getUpdatedAt().getSeconds()).isGreaterThan(last);
      last = next.getUpdatedAt().getSeconds();
      received++;
    }
    assertThat(received).as("states sent of %d", changes).isLessThan(changes / 2);
    watch.call.cancel("done", null);
    assertThat(watch.end()).isEqualTo(Status.Code.CANCELLED);
  }

  @Test
  @Timeout(60)
  @DisplayName(
      "streams the same states over gRPC-Web (HTTP/1.1): a data frame per state, then the"
          + " trailers frame with grpc-status 0")
  void shouldStreamOverGrpcWeb() throws Exception {
    Order pending = order("watch-web", 1, 1);
    ORDERS.put(pending.getId(), pending);
    byte[] request =
        WatchOrderRequest.newBuilder().setOrderId(pending.getId()).build().toByteArray();
    Buffer frame = Buffer.buffer().appendByte((byte) 0).appendInt(request.length);
    frame.appendBytes(request);
    Buffer body = Buffer.buffer();
    CompletableFuture<Void> firstFrame = new CompletableFuture<>();
    CompletableFuture<Void> ended = new CompletableFuture<>();
    String edge = runtime.endpoints().get("gateway (gRPC)");
    HttpClientRequest call =
        web.createHttpClient()
            .request(
                HttpMethod.POST,
                Integer.parseInt(edge.substring(edge.lastIndexOf(':') + 1)),
                "127.0.0.1",
                "/courier.v1.OrderService/WatchOrder")
            .await(10, TimeUnit.SECONDS);
    call.putHeader("content-type", "application/grpc-web+proto")
        .putHeader("accept", "application/grpc-web+proto")
        .putHeader("x-grpc-web", "1")
        .putHeader("authorization", "Bearer " + token("u1", "orders:read"));
    call.send(frame)
        .onSuccess(
            response -> {
              response.handler(
                  chunk -> {
                    body.appendBuffer(chunk);
                    if (body.length() >= 5 && body.length() >= 5 + body.getInt(1)) {
                      firstFrame.complete(null);
                    }
                  });
              response.endHandler(v -> ended.complete(null));
              response.exceptionHandler(ended::completeExceptionally);
            })
        .onFailure(ended::completeExceptionally);

    firstFrame.get(20, TimeUnit.SECONDS);
    Order confirmed =
        pending.toBuilder()
            .setStatus(OrderStatus.ORDER_STATUS_CONFIRMED)
            .setUpdatedAt(Timestamp.newBuilder().setSeconds(2))
            .build();
    publish(
        OrderConfirmed.newBuilder().setOrderId(confirmed.getId()).setOrder(confirmed).build(),
        confirmed.getId());
    ended.get(20, TimeUnit.SECONDS);

    java.util.List<Order> states = new java.util.ArrayList<>();
    String trailers = "";
    for (int at = 0; at + 5 <= body.length(); at += 5 + body.getInt(at + 1)) {
      byte[] payload = body.getBytes(at + 5, at + 5 + body.getInt(at + 1));
      if ((body.getByte(at) & 0x80) != 0) {
        trailers = new String(payload, java.nio.charset.StandardCharsets.US_ASCII);
      } else {
        states.add(WatchOrderResponse.parseFrom(payload).getOrder());
      }
    }
    assertThat(states).containsExactly(pending, confirmed);
    assertThat(trailers).contains("grpc-status:0");
  }

  /** The status and message a watch of {@code orderId} ends with, having sent nothing. */
  static String refusal(String orderId, String token) throws Exception {
    Watch watch = watch(orderId, token, null);
    Status.Code code = watch.end();
    assertThat(watch.states).as("states sent before the refusal").isEmpty();
    // The edge's statuses carry the problem as JSON (as PlaceOrder's and GetOrder's do).
    String message = watch.message;
    if (message != null && message.startsWith("{")) {
      message = new JsonObject(message).getString("detail");
    }
    return code + " " + message;
  }

  /** Starts a watch asking for one message; the test asks for more with {@code call.request}. */
  static Watch watch(String orderId, String token, Duration deadline) {
    ClientCall<WatchOrderRequest, WatchOrderResponse> call =
        channel.newCall(WATCH, GrpcRaw.options(deadline));
    Watch watch = new Watch(call);
    call.start(watch, GrpcRaw.bearer(token));
    call.sendMessage(WatchOrderRequest.newBuilder().setOrderId(orderId).build());
    call.halfClose();
    call.request(1);
    return watch;
  }

  /** One watch: its states as they come, how it ended. */
  static final class Watch extends ClientCall.Listener<WatchOrderResponse> {
    final ClientCall<WatchOrderRequest, WatchOrderResponse> call;
    final BlockingQueue<Order> states = new LinkedBlockingQueue<>();
    final BlockingQueue<Status.Code> ended = new LinkedBlockingQueue<>();
    volatile String message;

    Watch(ClientCall<WatchOrderRequest, WatchOrderResponse> call) {
      this.call = call;
    }

    @Override
    public void onMessage(WatchOrderResponse response) {
      states.add(response.getOrder());
    }

    @Override
    public void onClose(Status status, Metadata trailers) {
      message = status.getDescription();
      ended.add(status.getCode());
    }

    Order next() throws InterruptedException {
      Order next = states.poll(20, TimeUnit.SECONDS);
      assertThat(next).as("a state within 20 s").isNotNull();
      return next;
    }

    Status.Code end() throws InterruptedException {
      Status.Code end = ended.poll(20, TimeUnit.SECONDS);
      assertThat(end).as("the stream's end within 20 s").isNotNull();
      return end;
    }
  }
}
