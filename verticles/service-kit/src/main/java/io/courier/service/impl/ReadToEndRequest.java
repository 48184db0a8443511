package io.courier.service.impl;

import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.internal.http.HttpServerRequestInternal;
import io.vertx.core.internal.http.HttpServerRequestWrapper;

/**
 * A gRPC call's HTTP request whose {@code pause}, {@code resume} and {@code fetch} do nothing once
 * it has been read to its end. Vert.x's gRPC server (5.0.7) pauses the request when its message
 * queue fills and resumes it when the queue drains, also after the request's end has arrived (a
 * client-streaming call that half-closes while its server is still behind: PlaceOrders); an HTTP/2
 * request then throws "Request has already been read" on the event loop. With nothing left to read,
 * pausing and resuming have no meaning.
 */
final class ReadToEndRequest extends HttpServerRequestWrapper {

  private ReadToEndRequest(HttpServerRequestInternal delegate) {
    super(delegate);
  }

  /** {@code request}, tolerant of flow control after its end when it can be wrapped. */
  static HttpServerRequest of(HttpServerRequest request) {
    return request instanceof HttpServerRequestInternal internal
        ? new ReadToEndRequest(internal)
        : request;
  }

  @Override
  public HttpServerRequest pause() {
    if (!delegate.isEnded()) {
      delegate.pause();
    }
    return this;
  }

  @Override
  public HttpServerRequest resume() {
    if (!delegate.isEnded()) {
      delegate.resume();
    }
    return this;
  }

  @Override
  public HttpServerRequest fetch(long amount) {
    if (!delegate.isEnded()) {
      delegate.fetch(amount);
    }
    return this;
  }
}
