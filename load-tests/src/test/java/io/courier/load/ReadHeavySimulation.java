package io.courier.load;

import static io.gatling.javaapi.core.CoreDsl.doIfOrElse;
import static io.gatling.javaapi.core.CoreDsl.exec;
import static io.gatling.javaapi.core.CoreDsl.global;
import static io.gatling.javaapi.core.CoreDsl.jsonPath;
import static io.gatling.javaapi.core.CoreDsl.percent;
import static io.gatling.javaapi.core.CoreDsl.randomSwitch;
import static io.gatling.javaapi.core.CoreDsl.scenario;
import static io.gatling.javaapi.http.HttpDsl.http;
import static io.gatling.javaapi.http.HttpDsl.status;

import io.gatling.javaapi.core.ChainBuilder;
import io.gatling.javaapi.core.ScenarioBuilder;
import io.gatling.javaapi.core.Simulation;
import java.util.Iterator;
import java.util.Map;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReferenceArray;

/**
 * A read-heavy mix against a running platform (the dev profile's seed: users u1..u100, SKUs
 * sku-0001..sku-1000): each arrival makes one request, {@code courier.writePercent} (10) of them a
 * POST of an order, the rest split between reading one of the orders placed so far (GET
 * /api/v1/orders/{id}) and a SKU's stock (GET /api/v1/inventory/{sku}). Open model, profile from
 * {@code courier.injection} (ramp, steady or spike; see {@link LoadSettings}). Fails when more than
 * {@code courier.maxErrorPercent} (1) of requests fail or p99 reaches {@code courier.p99Ms} (200).
 * Bounded and self-stopping.
 */
public class ReadHeavySimulation extends Simulation {

  private static final double WRITE_PERCENT =
      Double.parseDouble(System.getProperty("courier.writePercent", "10"));
  private static final int P99_MS = LoadSettings.p99Ms(200);

  private static final Iterator<Map<String, Object>> FEED = Orders.feeder("read-");

  /** The ids of the last orders this run placed, for the reads. */
  private static final RecentOrders RECENT = new RecentOrders(1024);

  private static final ChainBuilder PLACE =
      exec(Orders.place().check(status().is(202), jsonPath("$.orderId").saveAs("placed")))
          .exec(
              session -> {
                if (session.contains("placed")) {
                  RECENT.add(session.getString("placed"));
                }
                return session;
              });

  private static final ChainBuilder READ_STOCK =
      exec(
          http("GET /api/v1/inventory/{sku}")
              .get("/api/v1/inventory/#{sku}")
              .check(status().is(200), jsonPath("$.sku").is(session -> session.getString("sku"))));

  /** Reads an order placed earlier in the run, or a SKU's stock while there is none yet. */
  private static final ChainBuilder READ_ORDER =
      exec(session -> {
            String id = RECENT.pick();
            return id == null ? session : session.set("orderId", id);
          })
          .exec(
              doIfOrElse(session -> session.contains("orderId"))
                  .then(
                      exec(
                          http("GET /api/v1/orders/{id}")
                              .get("/api/v1/orders/#{orderId}")
                              .check(status().is(200), jsonPath("$.status").exists())))
                  .orElse(READ_STOCK));

  private final ScenarioBuilder mix =
      scenario("read-heavy")
          .feed(FEED)
          .exec(
              randomSwitch()
                  .on(
                      percent(WRITE_PERCENT).then(PLACE),
                      percent((100 - WRITE_PERCENT) / 2).then(READ_ORDER),
                      percent((100 - WRITE_PERCENT) / 2).then(READ_STOCK)));

  {
    setUp(LoadSettings.inject(mix))
        .protocols(LoadSettings.json(LoadSettings.BASE_URL))
        .maxDuration(LoadSettings.maxDuration(40))
        .assertions(
            global().failedRequests().percent().lte(LoadSettings.MAX_ERROR_PERCENT),
            global().responseTime().percentile(99.0).lt(P99_MS));
  }

  /** A ring of the last order ids placed, shared by the virtual users. */
  static final class RecentOrders {
    private final AtomicReferenceArray<String> ids;
    private final AtomicLong added = new AtomicLong();

    RecentOrders(int capacity) {
      this.ids = new AtomicReferenceArray<>(capacity);
    }

    void add(String id) {
      ids.set((int) (added.getAndIncrement() % ids.length()), id);
    }

    /** One of the ids held, or null before the first. */
    String pick() {
      long held = Math.min(added.get(), ids.length());
      return held == 0 ? null : ids.get(ThreadLocalRandom.current().nextInt((int) held));
    }
  }
}
