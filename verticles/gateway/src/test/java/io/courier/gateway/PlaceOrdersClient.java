package io.courier.gateway;

import static org.assertj.core.api.Assertions.assertThat;

import io.courier.contract.v1.LineItem;
import io.courier.contract.v1.PlaceOrderRequest;
import io.courier.contract.v1.PlaceOrdersError;
import io.courier.contract.v1.PlaceOrdersRequest;
import io.courier.contract.v1.PlaceOrdersResponse;
import io.grpc.Channel;
import io.grpc.ClientCall;
import io.grpc.Metadata;
import io.grpc.MethodDescriptor;
import io.grpc.Status;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

/** PlaceOrdersIT's grpc-java client: the method, the items it sends, one call and its results. */
final class PlaceOrdersClient {

  static final MethodDescriptor<PlaceOrdersRequest, PlaceOrdersResponse> PLACE_ORDERS =
      GrpcRaw.method(
          MethodDescriptor.MethodType.BIDI_STREAMING,
          "courier.v1.OrderService/PlaceOrders",
          PlaceOrdersRequest::parseFrom,
          PlaceOrdersResponse::parseFrom);

  private PlaceOrdersClient() {}

  static PlaceOrdersRequest item(String id, PlaceOrderRequest order) {
    return PlaceOrdersRequest.newBuilder().setItemId(id).setOrder(order).build();
  }

  static PlaceOrderRequest placing(String user, String key, String sku, int quantity) {
    return PlaceOrderRequest.newBuilder()
        .setUserId(user)
        .setIdempotencyKey(key)
        .addItems(LineItem.newBuilder().setSku(sku).setQuantity(quantity))
        .build();
  }

  /** An order of about 1 KiB: 20 lines with long skus. */
  static PlaceOrderRequest big(String user, String key) {
    PlaceOrderRequest.Builder order = PlaceOrderRequest.newBuilder().setUserId(user);
    order.setIdempotencyKey(key);
    for (int i = 0; i < 20; i++) {
      order.addItems(LineItem.newBuilder().setSku(i + "-" + "s".repeat(44)).setQuantity(1));
    }
    return order.build();
  }

  /** An error result as {@code <code> <type> <field>}. */
  static String problem(PlaceOrdersResponse result) {
    assertThat(result.hasError()).as(result.toString()).isTrue();
    PlaceOrdersError error = result.getError();
    return error.getCode() + " " + error.getType() + " " + error.getField();
  }

  static Bulk open(Channel channel, String token, Duration deadline) {
    Bulk bulk = new Bulk(channel.newCall(PLACE_ORDERS, GrpcRaw.options(deadline)));
    synchronized (bulk) {
      bulk.call.start(bulk, GrpcRaw.bearer(token));
    }
    return bulk;
  }

  /** One PlaceOrders call; the call is used under the lock of this object only. */
  static final class Bulk extends ClientCall.Listener<PlaceOrdersResponse> {
    final ClientCall<PlaceOrdersRequest, PlaceOrdersResponse> call;
    final BlockingQueue<PlaceOrdersResponse> results = new LinkedBlockingQueue<>();
    final BlockingQueue<Status.Code> ended = new LinkedBlockingQueue<>();
    volatile String message;
    volatile Runnable ready = () -> {};
    int sent;
    boolean halfClosed;

    Bulk(ClientCall<PlaceOrdersRequest, PlaceOrdersResponse> call) {
      this.call = call;
    }

    synchronized void send(PlaceOrdersRequest item) {
      call.sendMessage(item);
      sent++;
    }

    synchronized void halfClose() {
      call.halfClose();
      halfClosed = true;
    }

    synchronized void request(int messages) {
      call.request(messages);
    }

    synchronized void onReady(Runnable whenReady) {
      ready = whenReady;
      whenReady.run();
    }

    @Override
    public void onReady() {
      synchronized (this) {
        ready.run();
      }
    }

    @Override
    public void onMessage(PlaceOrdersResponse response) {
      results.add(response);
    }

    @Override
    public void onClose(Status status, Metadata trailers) {
      message = status.getDescription();
      ended.add(status.getCode());
    }

    PlaceOrdersResponse next() throws InterruptedException {
      PlaceOrdersResponse next = results.poll(20, TimeUnit.SECONDS);
      assertThat(next).as("a result within 20 s").isNotNull();
      return next;
    }

    Status.Code end() throws InterruptedException {
      Status.Code end = ended.poll(20, TimeUnit.SECONDS);
      assertThat(end).as("the stream's end within 20 s").isNotNull();
      return end;
    }

    /** The results received, by item id; exactly {@code count}, one per id. */
    Map<String, PlaceOrdersResponse> byId(int count) {
      List<PlaceOrdersResponse> all = List.copyOf(results);
      Map<String, PlaceOrdersResponse> byId = new HashMap<>();
      all.forEach(result -> byId.put(result.getItemId(), result));
      assertThat(all).as("results").hasSize(count);
      assertThat(byId).as("one result per item id").hasSize(count);
      return byId;
    }
  }
}
