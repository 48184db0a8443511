package io.courier.service;

import io.courier.runtime.security.MutualTls;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpClientOptions;
import io.vertx.grpc.client.GrpcClient;

/** gRPC clients for calls between services. */
public final class GrpcClients {

  private GrpcClients() {}

  /**
   * A client for calls to {@code peerRole}'s servers; over mutual TLS when {@code tls} is enabled,
   * presenting this process's certificate and accepting only a server whose certificate the CA
   * issued for {@code peerRole}.
   */
  public static GrpcClient create(Vertx vertx, MutualTls tls, String peerRole) {
    if (!tls.enabled()) {
      return GrpcClient.client(vertx);
    }
    return GrpcClient.client(
        vertx, tls.client(new HttpClientOptions().setHttp2ClearTextUpgrade(false), peerRole));
  }
}
