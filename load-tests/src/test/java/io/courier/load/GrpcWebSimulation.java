package io.courier.load;

import static io.gatling.javaapi.core.CoreDsl.ByteArrayBody;
import static io.gatling.javaapi.core.CoreDsl.bodyBytes;
import static io.gatling.javaapi.core.CoreDsl.global;
import static io.gatling.javaapi.core.CoreDsl.scenario;
import static io.gatling.javaapi.http.HttpDsl.header;
import static io.gatling.javaapi.http.HttpDsl.http;
import static io.gatling.javaapi.http.HttpDsl.status;

import io.gatling.javaapi.core.ScenarioBuilder;
import io.gatling.javaapi.core.Simulation;
import io.gatling.javaapi.http.HttpProtocolBuilder;
import java.util.Iterator;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.ThreadLocalRandom;
import java.util.stream.Stream;

/**
 * The gateway's gRPC API ({@code courier.v1.OrderService}) driven as gRPC-Web over Gatling's HTTP
 * (no open-source Gatling gRPC plugin resolves here; Vert.x's gRPC server takes {@code
 * application/grpc-web+proto}, also over HTTP/1.1): each arrival places an order (PlaceOrder) and
 * reads it back (GetOrder); a call passes when HTTP says 200, no {@code grpc-status} comes in the
 * headers (a trailers-only answer is a failure) and the trailers frame says {@code grpc-status} 0.
 * Target {@code courier.grpcUrl} (http://127.0.0.1:9090), same rate, durations, token and SLO
 * properties as the REST simulations; p99 default 500 ms. Bounded and self-stopping.
 */
public class GrpcWebSimulation extends Simulation {

  private static final int P99_MS = LoadSettings.p99Ms(500);

  private static final Iterator<Map<String, Object>> ORDERS =
      Stream.generate(
              () -> {
                ThreadLocalRandom random = ThreadLocalRandom.current();
                return Map.<String, Object>of(
                    "place",
                    GrpcWeb.placeOrder(
                        "u" + (1 + random.nextInt(100)),
                        String.format("sku-%04d", 1 + random.nextInt(1000)),
                        1,
                        "grpc-web-" + UUID.randomUUID()));
              })
          .iterator();

  private final HttpProtocolBuilder protocol =
      LoadSettings.withConnectionsAndToken(
          http.baseUrl(LoadSettings.GRPC_URL)
              .contentTypeHeader(GrpcWeb.CONTENT_TYPE)
              .acceptHeader(GrpcWeb.CONTENT_TYPE)
              .header("x-grpc-web", "1"));

  private final ScenarioBuilder placeAndRead =
      scenario("gRPC-Web place and read")
          .feed(ORDERS)
          .exec(
              http("gRPC-Web OrderService/PlaceOrder")
                  .post("/courier.v1.OrderService/PlaceOrder")
                  .body(ByteArrayBody(session -> session.<byte[]>get("place")))
                  .check(
                      status().is(200),
                      header("grpc-status").notExists(),
                      bodyBytes().transform(GrpcWeb::status).is(0),
                      bodyBytes().transform(GrpcWeb::placedOrderId).saveAs("orderId")))
          .exitHereIfFailed()
          .exec(
              http("gRPC-Web OrderService/GetOrder")
                  .post("/courier.v1.OrderService/GetOrder")
                  .body(ByteArrayBody(session -> GrpcWeb.getOrder(session.getString("orderId"))))
                  .check(
                      status().is(200),
                      header("grpc-status").notExists(),
                      bodyBytes().transform(GrpcWeb::status).is(0),
                      bodyBytes().transform(GrpcWeb::gotOrderId).isEL("#{orderId}")));

  {
    setUp(LoadSettings.inject(placeAndRead))
        .protocols(protocol)
        .maxDuration(LoadSettings.maxDuration(40))
        .assertions(
            global().failedRequests().percent().lte(LoadSettings.MAX_ERROR_PERCENT),
            global().responseTime().percentile(99.0).lt(P99_MS));
  }
}
