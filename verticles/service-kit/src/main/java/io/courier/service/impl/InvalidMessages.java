package io.courier.service.impl;

import io.vertx.core.Handler;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.grpc.common.GrpcMessage;
import io.vertx.grpc.common.GrpcStatus;
import io.vertx.grpc.common.MessageSizeOverflowException;
import io.vertx.grpc.common.ServiceMethod;
import io.vertx.grpc.server.GrpcServer;
import io.vertx.grpc.server.GrpcServerRequest;
import io.vertx.grpc.server.Service;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.lang.reflect.InvocationHandler;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Proxy;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.zip.GZIPInputStream;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A {@link GrpcServer} that answers a request message the service cannot take with a status instead
 * of resetting the stream: one that does not decode as the method's request type gets
 * INVALID_ARGUMENT (Vert.x cancels the call, and the client sees CANCELLED, as if it had given up),
 * one over the server's maximum size RESOURCE_EXHAUSTED, each with a message naming the method.
 * Services are bound through it ({@link Service#bind}), so every method's handler is wrapped.
 */
public final class InvalidMessages implements GrpcServer {

  private static final Logger LOG = LoggerFactory.getLogger(InvalidMessages.class);

  private final GrpcServer server;
  private final long maxMessageBytes;
  private final List<Service> services = new CopyOnWriteArrayList<>();

  /**
   * @param maxMessageBytes the server's {@code maxMessageSize}, named in the refusal
   */
  public InvalidMessages(GrpcServer server, long maxMessageBytes) {
    this.server = server;
    this.maxMessageBytes = maxMessageBytes;
  }

  @Override
  public void handle(HttpServerRequest request) {
    server.handle(request);
  }

  @Override
  public GrpcServer callHandler(Handler<GrpcServerRequest<Buffer, Buffer>> handler) {
    server.callHandler(handler);
    return this;
  }

  @Override
  public <Req, Resp> GrpcServer callHandler(
      ServiceMethod<Req, Resp> method, Handler<GrpcServerRequest<Req, Resp>> handler) {
    String name = method.fullMethodName();
    server.callHandler(
        method,
        request -> {
          request.invalidMessageHandler(
              invalid -> refuse(request, name, invalid instanceof MessageSizeOverflowException));
          handler.handle(decoding(request, method));
        });
    return this;
  }

  /**
   * {@code request} as the service's handler sees it: its {@code handler(...)} decodes each message
   * here, and answers one that does not decode INVALID_ARGUMENT. (Vert.x's own decoding cancels the
   * stream on such a message; it cannot be told otherwise.) Every other method is the request's.
   */
  @SuppressWarnings("unchecked")
  private <Req, Resp> GrpcServerRequest<Req, Resp> decoding(
      GrpcServerRequest<Req, Resp> request, ServiceMethod<Req, Resp> method) {
    String name = method.fullMethodName();
    InvocationHandler calls =
        (proxy, called, args) -> {
          if (called.getName().equals("handler") && args != null && args.length == 1) {
            Handler<Req> next = (Handler<Req>) args[0];
            request.messageHandler(
                next == null ? null : message -> decoded(request, method, name, message, next));
            return proxy;
          }
          try {
            return called.invoke(request, args);
          } catch (InvocationTargetException e) {
            throw e.getCause();
          }
        };
    return (GrpcServerRequest<Req, Resp>)
        Proxy.newProxyInstance(
            GrpcServerRequest.class.getClassLoader(),
            new Class<?>[] {GrpcServerRequest.class},
            calls);
  }

  private <Req, Resp> void decoded(
      GrpcServerRequest<Req, Resp> request,
      ServiceMethod<Req, Resp> method,
      String name,
      GrpcMessage message,
      Handler<Req> next) {
    Req value;
    try {
      if (!method.decoder().accepts(message.format())) {
        refuse(request, name, false);
        return;
      }
      value = method.decoder().decode(uncompressed(message));
    } catch (IOException | RuntimeException e) {
      refuse(request, name, false);
      return;
    }
    next.handle(value);
  }

  /** The message with its payload gunzipped when it came compressed. */
  private static GrpcMessage uncompressed(GrpcMessage message) throws IOException {
    if (!"gzip".equals(message.encoding())) {
      return message;
    }
    try (GZIPInputStream in =
        new GZIPInputStream(new ByteArrayInputStream(message.payload().getBytes()))) {
      byte[] plain = in.readNBytes((int) Math.min(Integer.MAX_VALUE - 8, MAX_INFLATED));
      if (in.read() >= 0) {
        throw new IOException("the message inflates to more than " + MAX_INFLATED + " bytes");
      }
      return GrpcMessage.message("identity", message.format(), Buffer.buffer(plain));
    }
  }

  /** A compressed message inflates to at most this many bytes (a zip bomb stops here). */
  private static final long MAX_INFLATED = 4 * 1024 * 1024;

  @Override
  public GrpcServer addService(Service service) {
    services.add(service);
    service.bind(this);
    return this;
  }

  /** The services bound through this server (reflection and health describe these). */
  @Override
  public List<Service> services() {
    return List.copyOf(services);
  }

  private <Req, Resp> void refuse(
      GrpcServerRequest<Req, Resp> request, String method, boolean tooLarge) {
    String message =
        tooLarge
            ? "the request message is larger than " + maxMessageBytes + " bytes"
            : "the request message does not decode as the request of " + method;
    LOG.debug("gRPC call {} refused: {}", method, message);
    request
        .response()
        .status(tooLarge ? GrpcStatus.RESOURCE_EXHAUSTED : GrpcStatus.INVALID_ARGUMENT)
        .statusMessage(message)
        .end();
  }
}
