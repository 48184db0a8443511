package io.courier.gateway;

import io.grpc.CallOptions;
import io.grpc.Metadata;
import io.grpc.MethodDescriptor;
import io.vertx.core.Future;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.net.SocketAddress;
import io.vertx.grpc.client.GrpcClient;
import io.vertx.grpc.client.GrpcClientRequest;
import io.vertx.grpc.client.InvalidStatusException;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.time.Duration;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.TimeUnit;

/**
 * gRPC calls made without generated stubs: a unary call with a message given as bytes, for messages
 * a stub would not send ({@link #call}), and the pieces of a grpc-java {@code ClientCall} of a
 * contract method ({@link #method}, {@link #options}, {@link #bearer}).
 */
final class GrpcRaw {

  private GrpcRaw() {}

  /** Reads a message from its bytes, as a generated {@code parseFrom} does. */
  interface Parser<T> {
    T parse(byte[] bytes) throws IOException;
  }

  /** A grpc-java descriptor of {@code fullName}, its messages read and written as protobuf. */
  static <Q extends com.google.protobuf.Message, R extends com.google.protobuf.Message>
      MethodDescriptor<Q, R> method(
          MethodDescriptor.MethodType type,
          String fullName,
          Parser<Q> request,
          Parser<R> response) {
    return MethodDescriptor.<Q, R>newBuilder()
        .setType(type)
        .setFullMethodName(fullName)
        .setRequestMarshaller(marshaller(request))
        .setResponseMarshaller(marshaller(response))
        .build();
  }

  /** Call options with a deadline {@code deadline} from now, or none when it is null. */
  static CallOptions options(Duration deadline) {
    return deadline == null
        ? CallOptions.DEFAULT
        : CallOptions.DEFAULT.withDeadlineAfter(deadline.toMillis(), TimeUnit.MILLISECONDS);
  }

  /** Metadata with {@code authorization: Bearer <token>}, or empty when the token is null. */
  static Metadata bearer(String token) {
    Metadata headers = new Metadata();
    if (token != null) {
      headers.put(
          Metadata.Key.of("authorization", Metadata.ASCII_STRING_MARSHALLER), "Bearer " + token);
    }
    return headers;
  }

  private static <T extends com.google.protobuf.Message> MethodDescriptor.Marshaller<T> marshaller(
      Parser<T> parser) {
    return new MethodDescriptor.Marshaller<>() {
      @Override
      public InputStream stream(T value) {
        return new ByteArrayInputStream(value.toByteArray());
      }

      @Override
      public T parse(InputStream stream) {
        try {
          return parser.parse(stream.readAllBytes());
        } catch (IOException e) {
          throw new UncheckedIOException(e);
        }
      }
    };
  }

  /**
   * The status and message a call of {@code method} with {@code message} as its bytes and {@code
   * headers} as its metadata ends with, or {@code failed: ...} when it ends without a status.
   */
  static String call(
      GrpcClient grpc,
      SocketAddress server,
      String method,
      byte[] message,
      Map<String, String> headers)
      throws Exception {
    GrpcClientRequest<Buffer, Buffer> request = grpc.request(server).await(10, TimeUnit.SECONDS);
    request.fullMethodName(method);
    headers.forEach(request.headers()::set);
    request.end(Buffer.buffer(message));
    return request
        .response()
        .compose(
            response ->
                response
                    .end()
                    .transform(
                        ended ->
                            Future.succeededFuture(
                                response.status()
                                    + " "
                                    + Objects.toString(response.statusMessage(), ""))))
        .recover(
            e ->
                e instanceof InvalidStatusException status
                    ? Future.succeededFuture(status.actualStatus() + " " + status.getMessage())
                    : Future.succeededFuture("failed: " + e))
        .await(10, TimeUnit.SECONDS);
  }
}
