package io.courier.load;

import static io.gatling.javaapi.core.CoreDsl.constantUsersPerSec;
import static io.gatling.javaapi.core.CoreDsl.global;
import static io.gatling.javaapi.core.CoreDsl.rampUsersPerSec;
import static io.gatling.javaapi.core.CoreDsl.scenario;
import static io.gatling.javaapi.http.HttpDsl.http;
import static io.gatling.javaapi.http.HttpDsl.status;

import io.gatling.javaapi.core.ScenarioBuilder;
import io.gatling.javaapi.core.Simulation;
import io.gatling.javaapi.http.HttpProtocolBuilder;
import java.time.Duration;

/**
 * Smoke load against a running platform's readiness endpoint: a bounded, self-stopping run that
 * checks the gateway answers under a steady arrival rate. Run with {@code mvn -pl load-tests
 * gatling:test -Dcourier.baseUrl=http://127.0.0.1:8080}. The order-flow simulations with their SLOs
 * come with the load-test issue.
 */
public class HealthSimulation extends Simulation {

  private static final String BASE_URL =
      System.getProperty("courier.baseUrl", "http://127.0.0.1:8080");
  private static final int RATE = Integer.getInteger("courier.rate", 50);
  private static final int SECONDS = Integer.getInteger("courier.seconds", 20);

  private final HttpProtocolBuilder protocol =
      http.baseUrl(BASE_URL).acceptHeader("application/json");

  private final ScenarioBuilder ready =
      scenario("readiness")
          .exec(http("GET /health/ready").get("/health/ready").check(status().is(200)));

  {
    setUp(
            ready.injectOpen(
                rampUsersPerSec(1).to(RATE).during(Duration.ofSeconds(10)),
                constantUsersPerSec(RATE).during(Duration.ofSeconds(SECONDS))))
        .protocols(protocol)
        .maxDuration(Duration.ofSeconds(SECONDS + 40L))
        .assertions(
            global().successfulRequests().percent().gte(99.9),
            global().responseTime().percentile(99.0).lt(200));
  }
}
