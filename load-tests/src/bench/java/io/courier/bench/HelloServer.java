package io.courier.bench;

import io.vertx.core.Vertx;
import io.vertx.core.http.HttpServerOptions;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

/**
 * The raw baseline of {@link OrderFlowBench}: a bare Vert.x HTTP server answering "hello" to every
 * request, in a JVM of its own like the platform, until the process is stopped.
 */
final class HelloServer {

  private HelloServer() {}

  static void serve(int port) throws Exception {
    Vertx vertx = Vertx.vertx();
    vertx
        .createHttpServer(new HttpServerOptions().setHost("127.0.0.1").setPort(port))
        .requestHandler(
            request -> request.response().putHeader("content-type", "text/plain").end("hello"))
        .listen()
        .await(30, TimeUnit.SECONDS);
    new CountDownLatch(1).await(); // serves until the bench stops this process
  }
}
