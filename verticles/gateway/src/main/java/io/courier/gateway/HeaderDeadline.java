package io.courier.gateway;

import io.vertx.core.Vertx;
import io.vertx.core.http.HttpConnection;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.http.HttpVersion;
import io.vertx.ext.web.RoutingContext;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.LongAdder;

/**
 * Closes HTTP/1 connections that do not deliver a request's line and headers within a deadline,
 * counted from the connection's opening or from the end of the previous response. The idle timeout
 * alone does not stop a client that drips one byte every few seconds (slow-loris); this does.
 * Requests in progress are never cut: the deadline is armed only between requests.
 */
final class HeaderDeadline {

  private final Vertx vertx;
  private final long deadlineMs;
  private final Map<HttpConnection, Long> timers = new ConcurrentHashMap<>();
  private final LongAdder closed = new LongAdder();

  HeaderDeadline(Vertx vertx, long deadlineMs) {
    this.vertx = vertx;
    this.deadlineMs = deadlineMs;
  }

  /** For {@code HttpServer.connectionHandler}: arms the deadline of a new connection. */
  void opened(HttpConnection connection) {
    arm(connection);
    connection.closeHandler(v -> disarm(connection));
  }

  /**
   * The router's first handler: a request that arrived stops the clock until its response ends. Its
   * hooks are the routing context's end handlers, not the response's own {@code endHandler}, which
   * the routing context takes over as soon as any handler adds an end handler of its own.
   */
  void handle(RoutingContext routing) {
    HttpServerRequest request = routing.request();
    HttpConnection connection = request.connection();
    if (request.version() != HttpVersion.HTTP_2 && connection != null) {
      disarm(connection);
      if (request.headers().contains("Transfer-Encoding")) {
        // A chunked request ends its connection: whatever follows the last chunk is never read
        // as a request. That defeats request smuggling (Content-Length with Transfer-Encoding,
        // whose Content-Length the HTTP decoder has already dropped) at the price of
        // keep-alive for chunked uploads, which Courier's small JSON bodies do not need.
        request.response().putHeader("Connection", "close");
        routing.addEndHandler(ended -> connection.close());
      } else {
        routing.addEndHandler(
            ended -> {
              if (ended.succeeded()) {
                arm(connection);
              }
            });
      }
    }
    routing.next();
  }

  /** Connections closed for missing the deadline. */
  long closed() {
    return closed.sum();
  }

  private void arm(HttpConnection connection) {
    long timer =
        vertx.setTimer(
            deadlineMs,
            id -> {
              if (timers.remove(connection, id)) {
                closed.increment();
                connection.close();
              }
            });
    Long previous = timers.put(connection, timer);
    if (previous != null) {
      vertx.cancelTimer(previous);
    }
  }

  private void disarm(HttpConnection connection) {
    Long timer = timers.remove(connection);
    if (timer != null) {
      vertx.cancelTimer(timer);
    }
  }
}
