package io.courier.gateway;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.protobuf.Timestamp;
import io.courier.contract.v1.Order;
import io.courier.contract.v1.OrderConfirmed;
import io.courier.contract.v1.OrderPlaced;
import io.courier.contract.v1.OrderStatus;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpClient;
import io.vertx.core.http.HttpClientResponse;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.RequestOptions;
import io.vertx.core.json.JsonObject;
import io.vertx.core.net.NetClientOptions;
import io.vertx.core.net.NetSocket;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * {@code GET /api/v1/orders/{id}/events} on loopback: the order's states as Server-Sent Events
 * until terminal, problems before the stream, the latest state for a client that does not read, and
 * the watch released when the client disconnects.
 */
@DisplayName("Following an order as Server-Sent Events")
class OrderEventsSseIT extends OrderWatchFixture {

  private static final Pattern DATA = Pattern.compile("data: (\\{.*})");

  private Vertx client;

  @BeforeEach
  void client() {
    client = Vertx.vertx();
  }

  @AfterEach
  void closeClient() throws Exception {
    client.close().await(10, TimeUnit.SECONDS);
  }

  @Test
  @Timeout(60)
  @DisplayName("sends one event per state with id and JSON data, and ends after CONFIRMED")
  void shouldStreamStatesUntilTerminal() throws Exception {
    Order pending = order("sse-1", 1, 1);
    ORDERS.put(pending.getId(), pending);
    Buffer body = Buffer.buffer();
    CompletableFuture<Void> first = new CompletableFuture<>();
    CompletableFuture<HttpClientResponse> ended = new CompletableFuture<>();
    HttpClient http = client.createHttpClient();
    http.request(get("/api/v1/orders/sse-1/events", token("u1", "orders:read")))
        .compose(request -> request.send())
        .onSuccess(
            response -> {
              response.handler(
                  chunk -> {
                    body.appendBuffer(chunk);
                    if (body.toString().contains("\n\n")) {
                      first.complete(null);
                    }
                  });
              response.endHandler(v -> ended.complete(response));
            })
        .onFailure(ended::completeExceptionally);

    first.get(20, TimeUnit.SECONDS);
    Order confirmed =
        pending.toBuilder()
            .setStatus(OrderStatus.ORDER_STATUS_CONFIRMED)
            .setPaymentId("pay-1")
            .setUpdatedAt(Timestamp.newBuilder().setSeconds(2))
            .build();
    publish(OrderConfirmed.newBuilder().setOrderId("sse-1").setOrder(confirmed).build(), "sse-1");
    HttpClientResponse response = ended.get(20, TimeUnit.SECONDS);

    assertThat(response.statusCode()).isEqualTo(200);
    assertThat(response.getHeader("content-type")).startsWith("text/event-stream");
    assertThat(body.toString())
        .startsWith("id: 1\nevent: order\ndata: {")
        .contains("\n\nid: 2\nevent: order\ndata: {")
        .endsWith("}\n\n");
    List<JsonObject> states = states(body.toString());
    assertThat(states)
        .extracting(state -> state.getString("status"))
        .containsExactly("PENDING", "CONFIRMED");
    assertThat(states.get(1).getString("paymentId")).isEqualTo("pay-1");
  }

  @Test
  @Timeout(60)
  @DisplayName(
      "refuses a bad id 400, no token 401, a missing scope or another user's order 403 and an"
          + " unknown order 404, as problems")
  void shouldRefuseWithProblems() throws Exception {
    ORDERS.put(
        "sse-not-yours",
        order("sse-not-yours", 1, 1).toBuilder().setUserId("someone-else").build());
    String reader = token("u1", "orders:read");

    assertThat(refusal("o".repeat(65), reader)).isEqualTo("400 invalid-path");
    assertThat(refusal("no-such-order", reader)).isEqualTo("404 unknown-order");
    assertThat(refusal("sse-not-yours", reader)).isEqualTo("403 forbidden");
    assertThat(refusal("sse-not-yours", token("u1", "orders:write")))
        .isEqualTo("403 insufficient-scope");
    assertThat(refusal("sse-not-yours", null)).isEqualTo("401 unauthorized");
  }

  @Test
  @Timeout(60)
  @DisplayName("releases the watch when the client disconnects")
  void shouldReleaseOnDisconnect() throws Exception {
    Order pending = order("sse-gone", 1, 1);
    ORDERS.put(pending.getId(), pending);
    SlowReader reader = SlowReader.open(client, httpPort(), "sse-gone", token("u1", "orders:read"));
    reader.await("the first event", text -> text.contains("event: order"));
    assertThat(watches()).isEqualTo(1);

    reader.socket.close().await(10, TimeUnit.SECONDS);
    await("the watch released after the disconnect", () -> watches() == 0);
  }

  @Test
  @Timeout(60)
  @DisplayName(
      "holds at most one state for a client that does not read, and sends it the latest once it"
          + " reads")
  void shouldCoalesceForAClientThatDoesNotRead() throws Exception {
    int changes = 2_000;
    Order pending = order("sse-slow", 0, 100);
    ORDERS.put(pending.getId(), pending);
    SlowReader reader = SlowReader.open(client, httpPort(), "sse-slow", token("u1", "orders:read"));
    reader.await("the first event", text -> text.contains("event: order"));
    double before = coalesced();

    reader.socket.pause();
    for (int i = 1; i <= changes; i++) {
      Order changed = order("sse-slow", i, 100);
      publish(OrderPlaced.newBuilder().setOrder(changed).build(), changed.getId());
    }
    producer.flush();
    await(
        "most states coalesced while the client does not read",
        () -> {
          assertThat(pending()).as("states held back by the server").isLessThanOrEqualTo(1);
          return coalesced() - before > changes / 2.0;
        });

    reader.socket.resume();
    String latest = Instant.ofEpochSecond(changes).toString();
    String text = reader.await("the latest state", all -> all.contains(latest));
    int events = text.split("event: order", -1).length - 1;
    assertThat(events).as("events sent of %d", changes).isLessThan(changes / 2);
    reader.socket.close().await(10, TimeUnit.SECONDS);
  }

  private int httpPort() {
    String gateway = runtime.endpoints().get("gateway");
    return Integer.parseInt(gateway.substring(gateway.lastIndexOf(':') + 1));
  }

  private RequestOptions get(String path, String token) {
    RequestOptions options =
        new RequestOptions()
            .setMethod(HttpMethod.GET)
            .setHost("127.0.0.1")
            .setPort(httpPort())
            .setURI(path)
            .putHeader("Accept", "text/event-stream");
    if (token != null) {
      options.putHeader("Authorization", "Bearer " + token);
    }
    return options;
  }

  /** The status and problem type a request for the events of {@code id} is refused with. */
  private String refusal(String id, String token) throws Exception {
    HttpClientResponse[] response = new HttpClientResponse[1];
    Buffer body =
        client
            .createHttpClient()
            .request(get("/api/v1/orders/" + id + "/events", token))
            .compose(request -> request.send())
            .compose(
                answered -> {
                  response[0] = answered;
                  return answered.body();
                })
            .await(10, TimeUnit.SECONDS);
    assertThat(response[0].getHeader("content-type")).isEqualTo("application/problem+json");
    String type = body.toJsonObject().getString("type");
    return response[0].statusCode() + " " + type.substring(type.lastIndexOf('/') + 1);
  }

  private static List<JsonObject> states(String text) {
    List<JsonObject> states = new ArrayList<>();
    Matcher matcher = DATA.matcher(text);
    while (matcher.find()) {
      states.add(new JsonObject(matcher.group(1)));
    }
    return states;
  }

  /** An HTTP/1.1 client on a plain socket, which can stop reading. */
  private static final class SlowReader {
    final NetSocket socket;
    final StringBuilder text = new StringBuilder();

    private SlowReader(NetSocket socket) {
      this.socket = socket;
    }

    static SlowReader open(Vertx vertx, int port, String orderId, String token) throws Exception {
      NetSocket socket =
          vertx
              .createNetClient(new NetClientOptions().setReceiveBufferSize(4096))
              .connect(port, "127.0.0.1")
              .await(10, TimeUnit.SECONDS);
      SlowReader reader = new SlowReader(socket);
      socket.handler(
          chunk -> {
            synchronized (reader.text) {
              reader.text.append(chunk.toString(StandardCharsets.UTF_8));
            }
          });
      socket
          .write(
              "GET /api/v1/orders/"
                  + orderId
                  + "/events HTTP/1.1\r\nHost: 127.0.0.1\r\nAccept: text/event-stream\r\n"
                  + "Authorization: Bearer "
                  + token
                  + "\r\n\r\n")
          .await(10, TimeUnit.SECONDS);
      return reader;
    }

    /** What was read once it satisfies {@code done}, within 20 s. */
    String await(String what, java.util.function.Predicate<String> done) {
      String[] seen = new String[1];
      OrderWatchFixture.await(
          what,
          () -> {
            synchronized (text) {
              seen[0] = text.toString();
            }
            return done.test(seen[0]);
          });
      return seen[0];
    }
  }
}
