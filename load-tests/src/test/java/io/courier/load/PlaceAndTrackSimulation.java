package io.courier.load;

import static io.gatling.javaapi.core.CoreDsl.asLongAs;
import static io.gatling.javaapi.core.CoreDsl.details;
import static io.gatling.javaapi.core.CoreDsl.exec;
import static io.gatling.javaapi.core.CoreDsl.global;
import static io.gatling.javaapi.core.CoreDsl.group;
import static io.gatling.javaapi.core.CoreDsl.jsonPath;
import static io.gatling.javaapi.core.CoreDsl.pause;
import static io.gatling.javaapi.core.CoreDsl.scenario;
import static io.gatling.javaapi.http.HttpDsl.http;
import static io.gatling.javaapi.http.HttpDsl.status;

import io.gatling.javaapi.core.ChainBuilder;
import io.gatling.javaapi.core.ScenarioBuilder;
import io.gatling.javaapi.core.Session;
import io.gatling.javaapi.core.Simulation;
import java.time.Duration;
import java.util.Iterator;
import java.util.Map;
import java.util.concurrent.atomic.LongAdder;

/**
 * Place-and-track against a running platform (the dev profile's seed): each arrival places an order
 * ({@code POST /api/v1/orders}, 202 with the order id) and then polls {@code GET
 * /api/v1/orders/{id}} every {@code courier.pollPauseMs} (250) until the order is terminal ({@code
 * CONFIRMED} or {@code CANCELLED}: payment taken, or declined and the stock released), at most
 * {@code courier.maxPolls} (40) times. An order still {@code PENDING} after the last poll fails its
 * session. The bound is a count, so an order's wall-clock budget is the polls times the pause plus
 * each GET's latency.
 *
 * <p>The POST and the polls run in the group {@value #GROUP}, whose duration (pauses included:
 * {@code useGroupDurationMetric} in {@code gatling.conf}) is the time from placing an order to
 * seeing it terminal, at the resolution of the poll pause. The run fails when
 *
 * <ul>
 *   <li>more than {@code courier.maxErrorPercent} (1) of requests fail, or their p99 reaches {@code
 *       courier.p99Ms} (500);
 *   <li>more than {@code courier.maxErrorPercent} of orders fail (a failed request or not terminal
 *       in time), or the p99 time to terminal reaches {@code courier.terminalP99Ms} (3000).
 * </ul>
 *
 * Arrivals follow {@code courier.injection} (ramp, steady, spike; see {@link LoadSettings}); each
 * makes 1 + polls requests. Bounded and self-stopping; prints how the orders ended.
 */
public class PlaceAndTrackSimulation extends Simulation {

  /** The group holding an order's POST, polls and pauses. */
  static final String GROUP = "place and track";

  private static final int P99_MS = LoadSettings.p99Ms(500);
  private static final int TERMINAL_P99_MS = Integer.getInteger("courier.terminalP99Ms", 3000);
  private static final Duration POLL_PAUSE =
      Duration.ofMillis(Integer.getInteger("courier.pollPauseMs", 250));
  private static final int MAX_POLLS = Integer.getInteger("courier.maxPolls", 40);

  private static final Iterator<Map<String, Object>> ORDERS = Orders.feeder("track-");

  private static final LongAdder CONFIRMED = new LongAdder();
  private static final LongAdder CANCELLED = new LongAdder();
  private static final LongAdder STILL_PENDING = new LongAdder();
  private static final LongAdder NOT_PLACED = new LongAdder();

  private static final ChainBuilder PLACE =
      exec(Orders.place()
              .check(
                  status().is(202),
                  jsonPath("$.orderId").saveAs("orderId"),
                  jsonPath("$.status").saveAs("status")))
          .exec(session -> session.set("polls", 0));

  private static final ChainBuilder POLL =
      pause(POLL_PAUSE)
          .exec(
              http("GET /api/v1/orders/{id}")
                  .get("/api/v1/orders/#{orderId}")
                  .check(
                      status().is(200),
                      jsonPath("$.orderId").isEL("#{orderId}"),
                      jsonPath("$.status")
                          .in(Orders.PENDING, Orders.CONFIRMED, Orders.CANCELLED)
                          .saveAs("status")))
          .exec(session -> session.set("polls", session.getInt("polls") + 1));

  private final ScenarioBuilder placeAndTrack =
      scenario("orders placed and tracked")
          .feed(ORDERS)
          .exec(
              group(GROUP)
                  .on(
                      PLACE,
                      asLongAs(PlaceAndTrackSimulation::keepPolling).on(POLL),
                      exec(PlaceAndTrackSimulation::settle)));

  {
    if (MAX_POLLS < 1) {
      throw new IllegalArgumentException("courier.maxPolls must be at least 1, was " + MAX_POLLS);
    }
    setUp(LoadSettings.inject(placeAndTrack))
        .protocols(LoadSettings.json(LoadSettings.BASE_URL))
        // The last arrivals get their polls, each allowed a second of latency, then 30 s more.
        .maxDuration(
            LoadSettings.maxDuration(
                POLL_PAUSE.plusSeconds(1).multipliedBy(MAX_POLLS).toSeconds() + 30))
        .assertions(
            global().failedRequests().percent().lte(LoadSettings.MAX_ERROR_PERCENT),
            global().responseTime().percentile(99.0).lt(P99_MS),
            details(GROUP).failedRequests().percent().lte(LoadSettings.MAX_ERROR_PERCENT),
            details(GROUP).responseTime().percentile(99.0).lt(TERMINAL_P99_MS));
  }

  /** Poll again: the order was placed, every request so far passed, and it is not terminal yet. */
  static boolean keepPolling(Session session) {
    return !session.isFailed()
        && session.contains("polls")
        && !Orders.isTerminal(session.getString("status"))
        && session.getInt("polls") < MAX_POLLS;
  }

  /** Counts how the order ended, and fails the session of one that is not terminal in time. */
  private static Session settle(Session session) {
    String status = session.getString("status");
    if (!session.contains("orderId")) {
      NOT_PLACED.increment();
    } else if (Orders.CONFIRMED.equals(status)) {
      CONFIRMED.increment();
    } else if (Orders.CANCELLED.equals(status)) {
      CANCELLED.increment();
    } else {
      STILL_PENDING.increment();
    }
    return Orders.isTerminal(status) ? session : session.markAsFailed();
  }

  @Override
  public void before() {
    System.out.printf(
        "place and track: %s, poll every %d ms, at most %d polls%n",
        LoadSettings.INJECTION, POLL_PAUSE.toMillis(), MAX_POLLS);
  }

  @Override
  public void after() {
    System.out.printf(
        "place and track: %d confirmed, %d cancelled, %d not terminal after the last poll or a"
            + " failed poll, %d not placed%n",
        CONFIRMED.sum(), CANCELLED.sum(), STILL_PENDING.sum(), NOT_PLACED.sum());
  }
}
