package io.courier.load;

import static io.gatling.javaapi.core.CoreDsl.global;
import static io.gatling.javaapi.core.CoreDsl.jsonPath;
import static io.gatling.javaapi.core.CoreDsl.scenario;
import static io.gatling.javaapi.http.HttpDsl.status;

import io.gatling.javaapi.core.ScenarioBuilder;
import io.gatling.javaapi.core.Simulation;
import io.gatling.javaapi.http.HttpProtocolBuilder;
import java.util.Iterator;
import java.util.Map;

/**
 * Sustained order placement against a running platform (the dev profile's seed: users u1..u100,
 * SKUs sku-0001..sku-1000): an open model at {@code courier.rate} orders/s for {@code
 * courier.seconds}, profile from {@code courier.injection} (see {@link LoadSettings}), each POST
 * with a fresh Idempotency-Key. Bounded and self-stopping; fails when more than {@code
 * courier.maxErrorPercent} (1) fail or p99 exceeds {@code courier.p99Ms} (500). Run with {@code mvn
 * -pl load-tests gatling:test -Dgatling.simulationClass=io.courier.load.PlaceOrderSimulation
 * -Dcourier.rate=100}. {@link PlaceAndTrackSimulation} also follows each order to its end.
 */
public class PlaceOrderSimulation extends Simulation {

  private static final int P99_MS = LoadSettings.p99Ms(500);

  private static final Iterator<Map<String, Object>> ORDERS = Orders.feeder("load-");

  /**
   * With {@code -Dcourier.token} and {@code -Dcourier.shareConnections}, see {@link LoadSettings}.
   */
  private final HttpProtocolBuilder protocol = LoadSettings.json(LoadSettings.BASE_URL);

  private final ScenarioBuilder place =
      scenario("place order")
          .feed(ORDERS)
          .exec(Orders.place().check(status().is(202), jsonPath("$.orderId").exists()));

  {
    setUp(LoadSettings.inject(place))
        .protocols(protocol)
        .maxDuration(LoadSettings.maxDuration(40))
        .assertions(
            global().failedRequests().percent().lte(LoadSettings.MAX_ERROR_PERCENT),
            global().responseTime().percentile(99.0).lt(P99_MS));
  }
}
