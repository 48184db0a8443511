package io.courier.runtime.impl;

import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpServer;
import io.vertx.core.http.HttpServerOptions;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.json.JsonObject;

/** A small HTTP server of the runtime's own (management, admin) that answers JSON. */
abstract class JsonHttpServer {

  protected final Vertx vertx;
  private HttpServer server;

  JsonHttpServer(Vertx vertx) {
    this.vertx = vertx;
  }

  /** Listens on {@code host:port}; the result is the actual port. */
  public Future<Integer> listen(String host, int port) {
    return vertx
        .createHttpServer(new HttpServerOptions().setHost(host).setPort(port).setIdleTimeout(30))
        .requestHandler(this::handle)
        .listen()
        .map(
            listening -> {
              server = listening;
              return listening.actualPort();
            });
  }

  public Future<Void> close() {
    return server == null ? Future.succeededFuture() : server.close();
  }

  protected abstract void handle(HttpServerRequest request);

  protected static void answer(HttpServerRequest request, int status, JsonObject body) {
    request
        .response()
        .setStatusCode(status)
        .putHeader("Content-Type", "application/json")
        .putHeader("Cache-Control", "no-store")
        .end(body.encodePrettily());
  }
}
