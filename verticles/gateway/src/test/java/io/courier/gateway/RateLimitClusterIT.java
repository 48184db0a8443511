package io.courier.gateway;

import static org.assertj.core.api.Assertions.assertThat;

import io.courier.kafka.embedded.EmbeddedKafkaBroker;
import io.courier.kafka.embedded.SharedKafkaBroker;
import io.courier.runtime.CourierRuntime;
import io.courier.runtime.config.ConfigLoader;
import io.courier.runtime.config.CourierConfig;
import io.micrometer.core.instrument.Counter;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.PoolOptions;
import io.vertx.ext.web.client.HttpResponse;
import io.vertx.ext.web.client.WebClient;
import io.vertx.ext.web.client.WebClientOptions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Two gateway processes (two clustered runtimes in this JVM) sharing one Hazelcast cluster on
 * 127.0.0.1: one client's limit holds across both.
 */
@ExtendWith(SharedKafkaBroker.class)
@DisplayName("The gateway's rate limit across the cluster")
class RateLimitClusterIT {

  private static final Logger LOG = LoggerFactory.getLogger(RateLimitClusterIT.class);
  private static final int RATE = 20;
  private static final int BURST = 20;
  private static final int SECONDS = 5;

  /** Requests per second sent, over both gateways: three times the limit. */
  private static final int SENT_PER_SECOND = 60;

  private final List<CourierRuntime> runtimes = new ArrayList<>();
  private final Vertx client = Vertx.vertx();

  @AfterEach
  void stop() throws Exception {
    for (CourierRuntime runtime : runtimes) {
      runtime.stop(Duration.ofSeconds(20)).await(30, TimeUnit.SECONDS);
    }
    client.close().await(10, TimeUnit.SECONDS);
  }

  @Test
  @Timeout(120)
  @DisplayName("holds within 10 % of its configured rate across two gateway instances")
  void shouldHoldRateAcrossTwoGateways(EmbeddedKafkaBroker kafka) throws Exception {
    String cluster = "ratelimit-it-" + UUID.randomUUID();
    int first = freePort();
    int other = freePort();
    runtimes.add(start(kafka, cluster, first, first, other));
    runtimes.add(start(kafka, cluster, other, first, other));
    List<String> gateways =
        runtimes.stream().map(runtime -> runtime.endpoints().get("gateway")).toList();
    WebClient web =
        WebClient.create(client, new WebClientOptions(), new PoolOptions().setHttp1MaxSize(64));

    warmUp(web, gateways);

    long began = System.nanoTime();
    List<Integer> statuses = drive(web, gateways);
    double seconds = (System.nanoTime() - began) / 1e9;

    long accepted = statuses.stream().filter(status -> status != 429).count();
    List<Long> perSecond = new ArrayList<>();
    for (int second = 0; second < SECONDS; second++) {
      perSecond.add(
          statuses.subList(second * SENT_PER_SECOND, (second + 1) * SENT_PER_SECOND).stream()
              .filter(status -> status != 429)
              .count());
    }
    long expected = (long) RATE * SECONDS + BURST;
    LOG.info(
        "sent {} in {} s over two gateways, accepted {} ({} per second sent) (limit {}/s, burst"
            + " {}: expected {})",
        statuses.size(),
        String.format("%.2f", seconds),
        accepted,
        perSecond,
        RATE,
        BURST,
        expected);
    assertThat(accepted).isBetween(Math.round(expected * 0.9), Math.round(expected * 1.1));

    double rejectedOne = rejected(runtimes.get(0));
    double rejectedTwo = rejected(runtimes.get(1));
    assertThat(rejectedOne).as("rejections at the first gateway").isPositive();
    assertThat(rejectedTwo).as("rejections at the second gateway").isPositive();
    assertThat(rejectedOne + rejectedTwo).isEqualTo(statuses.size() - accepted);
    assertThat(undecided(runtimes.get(0)) + undecided(runtimes.get(1)))
        .as("requests let through because the cluster did not answer in time")
        .isZero();
    // What Prometheus scrapes: each gateway's rejections on /metrics, labelled by route only.
    for (CourierRuntime runtime : runtimes) {
      String metrics = scrape(web, runtime);
      assertThat(sample(metrics, "courier_gateway_rate_limited_total{route=\"getOrder\"}"))
          .as("rate-limit rejections on /metrics")
          .isEqualTo(rejected(runtime))
          .isPositive();
      assertThat(metrics.lines().filter(l -> l.startsWith("courier_gateway_rate_limit")))
          .allMatch(
              l -> l.matches("courier_gateway_rate_limit[a-z_]*\\{route=\"[a-zA-Z]+\"\\} .*"));
    }
    for (String gateway : gateways) {
      assertThat(
              web.getAbs(gateway + "/health/live").send().await(10, TimeUnit.SECONDS).statusCode())
          .as("health is never limited")
          .isEqualTo(200);
    }
  }

  /**
   * Opens connections and runs the path once per gateway as another client (no API key, so its own
   * buckets): otherwise the first measured requests queue behind class loading and connecting, and
   * reach the gateways later and closer together than they were sent.
   */
  private static void warmUp(WebClient web, List<String> gateways) throws Exception {
    List<Future<HttpResponse<Buffer>>> warming = new ArrayList<>();
    for (int i = 0; i < 16; i++) {
      warming.add(web.getAbs(gateways.get(i % 2) + "/api/v1/orders/warm-up-" + i).send());
    }
    Future.join(warming).await(30, TimeUnit.SECONDS);
  }

  /**
   * Sends {@link #SENT_PER_SECOND} requests a second for {@link #SECONDS} s, alternating between
   * the gateways, paced by a timer (a late tick sends what is due); gives every status.
   */
  private List<Integer> drive(WebClient web, List<String> gateways) throws Exception {
    int total = SENT_PER_SECOND * SECONDS;
    List<Future<Integer>> answers = new ArrayList<>();
    Promise<Void> sentAll = Promise.promise();
    long began = System.nanoTime();
    client.setPeriodic(
        5,
        timer -> {
          long due =
              Math.min(total, 1 + (System.nanoTime() - began) * SENT_PER_SECOND / 1_000_000_000L);
          while (answers.size() < due) {
            String gateway = gateways.get(answers.size() % gateways.size());
            answers.add(
                web.getAbs(gateway + "/api/v1/orders/o-" + answers.size())
                    .putHeader(RateLimitHandler.API_KEY_HEADER, "one-client")
                    .send()
                    .map(HttpResponse<Buffer>::statusCode));
          }
          if (answers.size() == total) {
            client.cancelTimer(timer);
            sentAll.complete();
          }
        });
    sentAll.future().await(SECONDS + 30, TimeUnit.SECONDS);
    Future.join(answers).await(60, TimeUnit.SECONDS);
    return answers.stream().map(Future::result).toList();
  }

  private static String scrape(WebClient web, CourierRuntime runtime) throws Exception {
    String health = runtime.endpoints().get("health");
    HttpResponse<Buffer> answer =
        web.getAbs(health.replace("/health/ready", "/metrics")).send().await(10, TimeUnit.SECONDS);
    assertThat(answer.statusCode()).isEqualTo(200);
    return answer.bodyAsString();
  }

  /** The value of the series {@code series} (name and labels) in a scrape. */
  private static double sample(String metrics, String series) {
    return metrics
        .lines()
        .filter(line -> line.startsWith(series + " "))
        .mapToDouble(line -> Double.parseDouble(line.substring(series.length() + 1).trim()))
        .findFirst()
        .orElseThrow(() -> new AssertionError("no series " + series));
  }

  private static double rejected(CourierRuntime runtime) {
    return count(runtime, "courier.gateway.rate.limited");
  }

  private static double undecided(CourierRuntime runtime) {
    return count(runtime, "courier.gateway.rate.limit.failures");
  }

  private static double count(CourierRuntime runtime, String name) {
    Counter counter = runtime.meters().registry().find(name).tag("route", "getOrder").counter();
    return counter == null ? 0 : counter.count();
  }

  private static CourierRuntime start(
      EmbeddedKafkaBroker kafka, String cluster, int port, int member1, int member2)
      throws Exception {
    CourierConfig config =
        new ConfigLoader(
                Map.of(),
                Map.ofEntries(
                    Map.entry("courier.roles", GatewayRole.NAME),
                    Map.entry("courier.cluster.enabled", "true"),
                    Map.entry("courier.cluster.name", cluster),
                    Map.entry("courier.cluster.port", Integer.toString(port)),
                    Map.entry(
                        "courier.cluster.members",
                        "127.0.0.1:" + member1 + ",127.0.0.1:" + member2),
                    Map.entry("courier.kafka.bootstrapServers", kafka.bootstrapServers()),
                    Map.entry("courier.gateway.port", "0"),
                    Map.entry("courier.gateway.grpcPort", "0"),
                    Map.entry("courier.gateway.rateLimit.enabled", "true"),
                    Map.entry(
                        "courier.gateway.rateLimit.requestsPerSecond", Integer.toString(RATE)),
                    Map.entry("courier.gateway.rateLimit.burst", Integer.toString(BURST)),
                    // The client's key is a configured one (printf %s one-client | sha256sum).
                    Map.entry(
                        "courier.gateway.rateLimit.apiKeys",
                        "b99b50e1603e53feccca578a6f704b6239315de3209944296c8fa4f1b9fb5ad0"),
                    // Generous, so a slow moment of this 2-core machine does not let requests
                    // through undecided; the assertion below checks none was.
                    Map.entry("courier.gateway.rateLimit.timeoutMs", "2000"),
                    Map.entry("courier.resilience.policyFile", "../../conf/resilience.json")),
                Map.of(GatewayRole.NAME, new GatewayRole().configSections()))
            .load(null);
    return CourierRuntime.start(config, Map.of(GatewayRole.NAME, new GatewayRole()))
        .await(60, TimeUnit.SECONDS);
  }

  private static int freePort() {
    return io.courier.kafka.embedded.LoopbackPorts.free();
  }
}
