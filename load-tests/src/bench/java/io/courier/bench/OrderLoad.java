package io.courier.bench;

import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpClientAgent;
import io.vertx.core.http.HttpClientOptions;
import io.vertx.core.http.HttpClientRequest;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.PoolOptions;
import io.vertx.core.http.RequestOptions;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicLongArray;
import java.util.concurrent.atomic.LongAdder;
import org.HdrHistogram.Histogram;
import org.HdrHistogram.Recorder;

/**
 * {@code POST /api/v1/orders} as clients send it: one bearer token per client, reused for every
 * request, a fresh Idempotency-Key per order, users and SKUs of the dev seed. Accepted means 202.
 * Two drivers: a closed loop (each client waits for its answer before the next order) that runs
 * until stopped and counts accepted orders per second, and an open model (arrivals at a fixed rate
 * whatever the answers, latency measured from each order's scheduled send time, so a queue in the
 * client counts against the server) for a bounded step.
 */
final class OrderLoad implements AutoCloseable {

  private static final int MAX_SECONDS = 3_600;

  private final Vertx vertx;
  private final HttpClientAgent client;
  private final RequestOptions options;
  private final List<String> tokens;

  OrderLoad(Vertx vertx, int port, List<String> tokens, int connections) {
    this.vertx = vertx;
    this.tokens = tokens;
    this.client =
        vertx.createHttpClient(
            new HttpClientOptions().setKeepAlive(true),
            new PoolOptions().setHttp1MaxSize(connections));
    this.options =
        new RequestOptions()
            .setMethod(HttpMethod.POST)
            .setHost("127.0.0.1")
            .setPort(port)
            .setURI("/api/v1/orders")
            .setIdleTimeout(15_000)
            .putHeader("content-type", "application/json");
  }

  /**
   * One order from client {@code clientIndex}; its HTTP status, 0 when no answer came. The tokens
   * are those of users u1, u2, ... in that order.
   */
  Future<Integer> place(int clientIndex) {
    // Client i is user u(1 + i % 100) of the dev seed, with that user's token: it orders for
    // itself.
    ThreadLocalRandom random = ThreadLocalRandom.current();
    Buffer body =
        Buffer.buffer(
            "{\"userId\":\"u"
                + (1 + clientIndex % tokens.size())
                + "\",\"items\":[{\"sku\":\""
                + String.format("sku-%04d", 1 + random.nextInt(1000))
                + "\",\"quantity\":1}]}");
    String token = tokens.get(clientIndex % tokens.size());
    return client
        .request(options)
        .compose(
            (HttpClientRequest request) ->
                request
                    .putHeader("authorization", "Bearer " + token)
                    .putHeader("idempotency-key", UUID.randomUUID().toString())
                    .send(body))
        .compose(response -> response.body().map(ignored -> response.statusCode()))
        .recover(failure -> Future.succeededFuture(0));
  }

  /** Answers counted by status (0: none came); accepted latencies in microseconds. */
  static final class Tally {
    final Map<Integer, LongAdder> byStatus = new ConcurrentHashMap<>();
    final Recorder accepted = new Recorder(3);
    final Recorder refused = new Recorder(3);

    void record(int status, long micros) {
      byStatus.computeIfAbsent(status, s -> new LongAdder()).increment();
      if (status == 202) {
        accepted.recordValue(Math.max(1, micros));
      } else if (status == 429 || status == 503) {
        refused.recordValue(Math.max(1, micros));
      }
    }

    long count(int status) {
      LongAdder adder = byStatus.get(status);
      return adder == null ? 0 : adder.sum();
    }

    long total() {
      return byStatus.values().stream().mapToLong(LongAdder::sum).sum();
    }

    void reset() {
      byStatus.clear();
      accepted.getIntervalHistogram();
      refused.getIntervalHistogram();
    }
  }

  /** A closed loop of {@code clients} that runs until {@link ClosedRun#stop()}. */
  ClosedRun closed(int clients) {
    ClosedRun run = new ClosedRun(clients);
    for (int i = 0; i < clients; i++) {
      int index = i;
      vertx.runOnContext(ignored -> run.next(index));
    }
    return run;
  }

  final class ClosedRun {
    private final long started = System.nanoTime();
    private final AtomicLongArray acceptedPerSecond = new AtomicLongArray(MAX_SECONDS);
    private final CountDownLatch drained;
    private volatile boolean stopping;
    final Tally tally = new Tally();

    private ClosedRun(int clients) {
      drained = new CountDownLatch(clients);
    }

    private void next(int index) {
      if (stopping) {
        drained.countDown();
        return;
      }
      long begin = System.nanoTime();
      place(index)
          .onComplete(
              answer -> {
                long now = System.nanoTime();
                int status = answer.result();
                tally.record(status, (now - begin) / 1_000);
                if (status == 202) {
                  int second = (int) ((now - started) / 1_000_000_000L);
                  if (second < MAX_SECONDS) {
                    acceptedPerSecond.incrementAndGet(second);
                  }
                }
                next(index);
              });
    }

    /** Accepted orders in each whole second since the loop started, up to now. */
    long[] acceptedPerSecond() {
      int seconds = (int) Math.min(MAX_SECONDS, (System.nanoTime() - started) / 1_000_000_000L);
      long[] result = new long[seconds];
      for (int i = 0; i < seconds; i++) {
        result[i] = acceptedPerSecond.get(i);
      }
      return result;
    }

    void stop() throws InterruptedException {
      stopping = true;
      drained.await(20, TimeUnit.SECONDS);
    }
  }

  /** What one open-model step measured. */
  record Step(
      double offeredPerSecond,
      double seconds,
      double answeredSeconds,
      long sent,
      long accepted,
      long refused,
      long failed,
      Histogram acceptedMicros,
      Histogram refusedMicros,
      Map<Integer, Long> byStatus) {

    /**
     * Accepted orders per second over the step, or over the time until the last answer when the
     * answers outlasted the step (a queue drained late is not throughput).
     */
    double acceptedPerSecond() {
      return accepted / span();
    }

    double span() {
      return Math.max(seconds, answeredSeconds);
    }
  }

  /**
   * Orders at {@code rate} per second for {@code seconds}, then waits (20 s at most) for the last
   * answers. Latency runs from each order's scheduled time.
   */
  Step open(double rate, int seconds) throws InterruptedException {
    Tally tally = new Tally();
    long total = Math.round(rate * seconds);
    CountDownLatch answered = new CountDownLatch((int) total);
    long start = System.nanoTime() + 10_000_000L;
    long[] issued = {0};
    AtomicLong lastAnswer = new AtomicLong();
    vertx.runOnContext(
        ignored ->
            vertx.setPeriodic(
                1,
                timer -> {
                  long now = System.nanoTime();
                  long due = Math.min(total, (long) ((now - start) / 1e9 * rate));
                  while (issued[0] < due) {
                    long scheduled = start + (long) (issued[0] / rate * 1e9);
                    int client = (int) issued[0]++;
                    place(client)
                        .onComplete(
                            answer -> {
                              long answeredAt = System.nanoTime();
                              tally.record(answer.result(), (answeredAt - scheduled) / 1_000);
                              lastAnswer.accumulateAndGet(answeredAt, Math::max);
                              answered.countDown();
                            });
                  }
                  if (issued[0] >= total) {
                    vertx.cancelTimer(timer);
                  }
                }));
    answered.await(seconds + 20L, TimeUnit.SECONDS);
    long accepted = tally.count(202);
    long refused = tally.count(429) + tally.count(503);
    Map<Integer, Long> byStatus = new java.util.TreeMap<>();
    tally.byStatus.forEach((status, count) -> byStatus.put(status, count.sum()));
    return new Step(
        rate,
        seconds,
        Math.max(0, lastAnswer.get() - start) / 1e9,
        total,
        accepted,
        refused,
        total - accepted - refused, // errors, other statuses and answers that never came
        tally.accepted.getIntervalHistogram(),
        tally.refused.getIntervalHistogram(),
        byStatus);
  }

  @Override
  public void close() throws Exception {
    client.close().await(10, TimeUnit.SECONDS);
  }
}
