package io.courier.gateway;

import io.vertx.core.Future;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.net.SocketAddress;
import io.vertx.grpc.client.GrpcClient;
import io.vertx.grpc.client.GrpcClientRequest;
import io.vertx.grpc.client.InvalidStatusException;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.TimeUnit;

/** A unary gRPC call with a message given as bytes, for messages a stub would not send. */
final class GrpcRaw {

  private GrpcRaw() {}

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
