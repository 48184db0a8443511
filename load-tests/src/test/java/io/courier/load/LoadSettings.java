package io.courier.load;

import static io.gatling.javaapi.http.HttpDsl.http;

import io.gatling.javaapi.core.PopulationBuilder;
import io.gatling.javaapi.core.ScenarioBuilder;
import io.gatling.javaapi.http.HttpProtocolBuilder;
import java.time.Duration;

/**
 * The system properties every simulation reads, with their defaults: where the platform is, the
 * bearer token, the arrival rate, the injection profile and its durations, and the SLOs the run is
 * failed on.
 */
final class LoadSettings {

  /** The gateway's REST base URL. */
  static final String BASE_URL = System.getProperty("courier.baseUrl", "http://127.0.0.1:8080");

  /** The gateway's gRPC edge, for gRPC-Web. */
  static final String GRPC_URL = System.getProperty("courier.grpcUrl", "http://127.0.0.1:9090");

  /**
   * A bearer token with {@code admin} (the load acts for many users), e.g. {@code
   * -Dcourier.token=$(java -jar verticles/app/target/courier.jar token --sub load --scope admin)};
   * empty sends none (a gateway with {@code gateway.auth.mode} none).
   */
  static final String TOKEN = System.getProperty("courier.token", "");

  /** Arrivals per second once ramped up. */
  static final int RATE = Integer.getInteger("courier.rate", 50);

  /** Seconds at {@link #RATE}, after the ramp. */
  static final int SECONDS = Integer.getInteger("courier.seconds", 30);

  /** Seconds of the ramp from 1 arrival per second to {@link #RATE}. */
  static final int RAMP_SECONDS = Integer.getInteger("courier.rampSeconds", 5);

  /** Rate multiplier of the {@code spike} profile's burst. */
  static final double SPIKE_FACTOR =
      Double.parseDouble(System.getProperty("courier.spikeFactor", "5"));

  /** Seconds of the {@code spike} profile's burst. */
  static final int SPIKE_SECONDS = Integer.getInteger("courier.spikeSeconds", 10);

  /**
   * The arrival profile, {@code -Dcourier.injection=ramp|steady|spike} (ramp), built from the rate
   * and durations above.
   */
  static final InjectionProfile INJECTION =
      InjectionProfile.of(
          System.getProperty(InjectionProfile.PROPERTY, "ramp"),
          RATE,
          SECONDS,
          RAMP_SECONDS,
          SPIKE_FACTOR,
          SPIKE_SECONDS);

  /** The run fails when more than this share of requests fail. */
  static final double MAX_ERROR_PERCENT =
      Double.parseDouble(System.getProperty("courier.maxErrorPercent", "1.0"));

  /**
   * One pooled set of connections for all virtual users, as a service calling the gateway would
   * have, instead of Gatling's default of a connection per virtual user (a TCP handshake per
   * arrival).
   */
  static final boolean SHARE_CONNECTIONS = Boolean.getBoolean("courier.shareConnections");

  private LoadSettings() {}

  /** The run fails when the p99 of all requests reaches this, in ms. */
  static int p99Ms(int defaultMs) {
    return Integer.getInteger("courier.p99Ms", defaultMs);
  }

  /** {@code scenario} injected with {@link #INJECTION}. */
  static PopulationBuilder inject(ScenarioBuilder scenario) {
    return scenario.injectOpen(INJECTION.steps());
  }

  /**
   * Where a run stops even if it has not drained: the profile's arrivals plus {@code graceSeconds}
   * for the last virtual users to finish.
   */
  static Duration maxDuration(long graceSeconds) {
    return Duration.ofSeconds(INJECTION.seconds() + graceSeconds);
  }

  /** JSON over HTTP to {@code baseUrl}, with the bearer token when one is given. */
  static HttpProtocolBuilder json(String baseUrl) {
    HttpProtocolBuilder protocol =
        http.baseUrl(baseUrl)
            .acceptHeader("application/json")
            .contentTypeHeader("application/json");
    return withConnectionsAndToken(protocol);
  }

  static HttpProtocolBuilder withConnectionsAndToken(HttpProtocolBuilder protocol) {
    HttpProtocolBuilder shared = SHARE_CONNECTIONS ? protocol.shareConnections() : protocol;
    return TOKEN.isEmpty() ? shared : shared.authorizationHeader("Bearer " + TOKEN);
  }
}
