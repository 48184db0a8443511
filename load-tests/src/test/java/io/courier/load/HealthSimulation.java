package io.courier.load;

import static io.gatling.javaapi.core.CoreDsl.global;
import static io.gatling.javaapi.core.CoreDsl.scenario;
import static io.gatling.javaapi.http.HttpDsl.http;
import static io.gatling.javaapi.http.HttpDsl.status;

import io.gatling.javaapi.core.ScenarioBuilder;
import io.gatling.javaapi.core.Simulation;
import io.gatling.javaapi.http.HttpProtocolBuilder;
import java.time.Duration;

/**
 * Smoke load against a running platform's readiness endpoint: a bounded, self-stopping run that
 * checks the gateway answers under a steady arrival rate, a ramp of {@code courier.rampSeconds}
 * (10) from 1 to {@code courier.rate} (50) arrivals per second, then {@code courier.seconds} (20)
 * at that rate. Needs no token. Run with {@code load-tests/run.sh HealthSimulation}, or {@code mvn
 * -pl load-tests gatling:test -Dcourier.baseUrl=http://127.0.0.1:8080} against a running platform.
 */
public class HealthSimulation extends Simulation {

  private static final String BASE_URL =
      System.getProperty("courier.baseUrl", "http://127.0.0.1:8080");
  private static final int RATE = Integer.getInteger("courier.rate", 50);
  private static final int SECONDS = Integer.getInteger("courier.seconds", 20);
  private static final int RAMP_SECONDS = Integer.getInteger("courier.rampSeconds", 10);

  private final HttpProtocolBuilder protocol =
      http.baseUrl(BASE_URL).acceptHeader("application/json");

  private final ScenarioBuilder ready =
      scenario("readiness")
          .exec(http("GET /health/ready").get("/health/ready").check(status().is(200)));

  {
    setUp(ready.injectOpen(InjectionProfile.of("ramp", RATE, SECONDS, RAMP_SECONDS, 1, 1).steps()))
        .protocols(protocol)
        .maxDuration(Duration.ofSeconds(RAMP_SECONDS + SECONDS + 30L))
        .assertions(
            global().successfulRequests().percent().gte(99.9),
            global().responseTime().percentile(99.0).lt(200));
  }
}
