package io.courier.load;

import static io.gatling.javaapi.core.CoreDsl.StringBody;
import static io.gatling.javaapi.core.CoreDsl.constantUsersPerSec;
import static io.gatling.javaapi.core.CoreDsl.global;
import static io.gatling.javaapi.core.CoreDsl.jsonPath;
import static io.gatling.javaapi.core.CoreDsl.rampUsersPerSec;
import static io.gatling.javaapi.core.CoreDsl.scenario;
import static io.gatling.javaapi.http.HttpDsl.http;
import static io.gatling.javaapi.http.HttpDsl.status;

import io.gatling.javaapi.core.ScenarioBuilder;
import io.gatling.javaapi.core.Simulation;
import io.gatling.javaapi.http.HttpProtocolBuilder;
import java.time.Duration;
import java.util.Iterator;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.ThreadLocalRandom;
import java.util.stream.Stream;

/**
 * Sustained order placement against a running platform (the dev profile's seed: users u1..u100,
 * SKUs sku-0001..sku-1000): an open model at {@code courier.rate} orders/s for {@code
 * courier.seconds}, each POST with a fresh Idempotency-Key. Bounded and self-stopping; fails when
 * more than 1 % fail or p99 exceeds {@code courier.p99Ms}. Run with {@code mvn -pl load-tests
 * gatling:test -Dgatling.simulationClass=io.courier.load.PlaceOrderSimulation -Dcourier.rate=100}.
 */
public class PlaceOrderSimulation extends Simulation {

  private static final String BASE_URL =
      System.getProperty("courier.baseUrl", "http://127.0.0.1:8080");
  private static final int RATE = Integer.getInteger("courier.rate", 50);
  private static final int SECONDS = Integer.getInteger("courier.seconds", 30);
  private static final int P99_MS = Integer.getInteger("courier.p99Ms", 500);

  private static final Iterator<Map<String, Object>> ORDERS =
      Stream.generate(
              () -> {
                ThreadLocalRandom random = ThreadLocalRandom.current();
                return Map.<String, Object>of(
                    "key", "load-" + UUID.randomUUID(),
                    "user", "u" + (1 + random.nextInt(100)),
                    "sku", String.format("sku-%04d", 1 + random.nextInt(1000)));
              })
          .iterator();

  /**
   * With {@code -Dcourier.token} and {@code -Dcourier.shareConnections}, see {@link LoadSettings}.
   */
  private final HttpProtocolBuilder protocol = LoadSettings.json(BASE_URL);

  private final ScenarioBuilder place =
      scenario("place order")
          .feed(ORDERS)
          .exec(
              http("POST /api/v1/orders")
                  .post("/api/v1/orders")
                  .header("Idempotency-Key", "#{key}")
                  .body(
                      StringBody(
                          "{\"userId\":\"#{user}\",\"items\":[{\"sku\":\"#{sku}\",\"quantity\":1}]}"))
                  .check(status().is(202), jsonPath("$.orderId").exists()));

  {
    setUp(
            place.injectOpen(
                rampUsersPerSec(1).to(RATE).during(Duration.ofSeconds(LoadSettings.RAMP_SECONDS)),
                constantUsersPerSec(RATE).during(Duration.ofSeconds(SECONDS))))
        .protocols(protocol)
        .maxDuration(Duration.ofSeconds(LoadSettings.RAMP_SECONDS + SECONDS + 40L))
        .assertions(
            global().failedRequests().percent().lte(1.0),
            global().responseTime().percentile(99.0).lt(P99_MS));
  }
}
