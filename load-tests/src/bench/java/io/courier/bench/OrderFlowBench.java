package io.courier.bench;

import io.courier.gateway.DevSigningKey;
import io.courier.gateway.GatewayConfig;
import io.courier.runtime.Roles;
import io.vertx.core.Vertx;
import io.vertx.core.VertxOptions;
import io.vertx.core.http.HttpClientAgent;
import io.vertx.core.http.HttpClientOptions;
import io.vertx.core.http.HttpClientRequest;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.PoolOptions;
import io.vertx.core.http.RequestOptions;
import io.vertx.core.json.JsonObject;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;

/**
 * Issue 19's measures in one run, each beside its baseline from the same run: the platform started
 * from its fat JAR as a user starts it (dev profile, JWT at the edge), 64 clients each reusing one
 * token in a closed loop from the moment it is ready (time to steady state, then orders/s and CPU
 * per order by thread group once the JIT is quiet), authenticated reads and the edge alone against
 * a bare Vert.x hello server in a JVM of its own, an open-model sweep up to twice the closed-loop
 * maximum (p50/p99 against the offered rate, refusals and breakers under overload), and the
 * resilience proxy against a direct event-bus call ({@link ProxyPair#measure}). Refuses to start
 * while the load average is over 1 (waits for it first). Written to {@code <out>/perf.md}, {@code
 * order-flow.csv}, {@code order-flow.png}, {@code warm-up.csv}. Run by {@code load-tests/perf.sh}.
 */
public final class OrderFlowBench {

  static final int CLIENTS = Integer.getInteger("perf.clients", 64);
  static final int READ_CLIENTS = Integer.getInteger("perf.readClients", 32);
  static final int MIN_WARM_UP = Integer.getInteger("perf.minWarmUpSeconds", 60);
  static final int MAX_WARM_UP = Integer.getInteger("perf.maxWarmUpSeconds", 180);
  static final int WINDOW = Integer.getInteger("perf.windowSeconds", 30);
  static final int STEP = Integer.getInteger("perf.stepSeconds", 15);
  static final double MAX_LOAD = Double.parseDouble(System.getProperty("perf.maxLoad", "1.0"));
  static final int LOAD_WAIT = Integer.getInteger("perf.loadWaitSeconds", 300);
  static final boolean ALLOW_LOAD = Boolean.getBoolean("perf.allowLoad");
  static final double[] FRACTIONS = {0.25, 0.5, 0.7, 1.0, 1.5, 2.0};
  static final int HTTP_PORT = 18280;
  static final int ADMIN_PORT = 18281;
  static final int HELLO_PORT = 18283;
  static final int MANAGEMENT_PORT = 18284;

  private OrderFlowBench() {}

  public static void main(String[] args) throws Exception {
    if (args.length > 0 && args[0].equals("hello")) {
      HelloServer.serve(Integer.parseInt(args[1]));
      return;
    }
    Path out = Path.of(args.length > 0 ? args[0] : "target/bench").toAbsolutePath();
    Path root = Path.of(args.length > 1 ? args[1] : ".").toAbsolutePath().normalize();
    Files.createDirectories(out);
    PerfReport report = new PerfReport(awaitQuiet());
    Path data = Files.createTempDirectory("courier-perf");
    Process hello = startHello();
    Vertx vertx = Vertx.vertx(new VertxOptions().setEventLoopPoolSize(2));
    try {
      awaitPort(HELLO_PORT, Duration.ofSeconds(30));
      List<String> tokens = mintTokens(root, data.resolve("keys"));
      // -Dperf.jfr=true records the platform with JFR's profiling settings from the 60th second
      // under load for 60 s, into <out>/courier.jfr (jfr print --events jdk.ExecutionSample).
      String[] jvm =
          Boolean.getBoolean("perf.jfr")
              ? new String[] {
                "-XX:StartFlightRecording=delay=60s,duration=60s,settings=profile,filename="
                    + out.resolve("courier.jfr")
              }
              : new String[0];
      try (CourierProcess courier =
          CourierProcess.start(root, out.resolve("courier.log"), platformEnv(data), jvm)) {
        courier.awaitReady(Duration.ofSeconds(120));
        try (OrderLoad load = new OrderLoad(vertx, HTTP_PORT, tokens, CLIENTS)) {
          closedLoop(load, courier.pid(), report);
        }
        reads(vertx, tokens.get(0), report);
        try (OrderLoad load = new OrderLoad(vertx, HTTP_PORT, tokens, 1024)) {
          sweep(load, courier.pid(), vertx, report);
        }
      }
    } finally {
      hello.destroy();
      hello.waitFor(10, TimeUnit.SECONDS);
      vertx.close().await(30, TimeUnit.SECONDS);
      deleteTree(data);
    }
    BaselineTable proxy = new BaselineTable();
    ProxyPair.measure(proxy);
    report.proxy(proxy);
    report.write(out, ProcCpu.loadAverage());
    io.courier.load.LatencyPlot.main(
        new String[] {
          out.resolve("order-flow.csv").toString(),
          out.resolve("order-flow.png").toString(),
          "Order flow, open model: latency against offered rate (JWT on, one run)",
          "offered_per_s"
        });
    System.exit(0);
  }

  /** Waits up to {@link #LOAD_WAIT} s for a 1-minute load average under {@link #MAX_LOAD}. */
  private static double[] awaitQuiet() throws InterruptedException {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(LOAD_WAIT);
    double[] load = ProcCpu.loadAverage();
    while (!ALLOW_LOAD && load[0] >= MAX_LOAD && System.nanoTime() < deadline) {
      System.err.printf(Locale.ROOT, "load average %.2f, waiting for < %.2f%n", load[0], MAX_LOAD);
      TimeUnit.SECONDS.sleep(10);
      load = ProcCpu.loadAverage();
    }
    if (load[0] >= MAX_LOAD) {
      String message =
          String.format(
              Locale.ROOT,
              "load average %.2f / %.2f / %.2f: something else is running; figures taken now"
                  + " cannot be compared. Stop it (test suites, builds, helpers) and run again.",
              load[0],
              load[1],
              load[2]);
      if (!ALLOW_LOAD) {
        System.err.println("refused: " + message);
        System.exit(3);
      }
      System.err.println("perf.allowLoad: going on, figures NOT quotable: " + message);
    }
    System.err.printf(
        Locale.ROOT, "load average before: %.2f / %.2f / %.2f%n", load[0], load[1], load[2]);
    return load;
  }

  private static Map<String, String> platformEnv(Path data) {
    Map<String, String> env = new LinkedHashMap<>();
    env.put("COURIER_KAFKA_EMBEDDED_DATA_DIR", data.resolve("kafka").toString());
    env.put("COURIER_KAFKA_EMBEDDED_PORT", "19292");
    env.put("COURIER_KAFKA_EMBEDDED_CONTROLLER_PORT", "19293");
    env.put("COURIER_GATEWAY_PORT", Integer.toString(HTTP_PORT));
    env.put("COURIER_GATEWAY_GRPC_PORT", "0");
    env.put("COURIER_ADMIN_PORT", Integer.toString(ADMIN_PORT));
    env.put("COURIER_MANAGEMENT_PORT", Integer.toString(MANAGEMENT_PORT));
    env.put("COURIER_GATEWAY_AUTH_DEV_KEY_DIR", data.resolve("keys").toString());
    return env;
  }

  /** One token per dev-seed user u1..u100 (orders:write, orders:read), minted with the dev key. */
  private static List<String> mintTokens(Path root, Path keys) throws IOException {
    GatewayConfig.AuthConfig auth =
        Roles.configLoader(
                Map.of(),
                // The gateway's section is all this reads (the JAR knows the other roles).
                Map.of(
                    "courier.roles", "gateway", "courier.gateway.auth.devKeyDir", keys.toString()),
                Roles.available())
            .load(root.resolve("conf/dev.json"))
            .section(GatewayConfig.SECTION)
            .auth();
    DevSigningKey key = DevSigningKey.loadOrCreate(keys);
    List<String> tokens = new ArrayList<>();
    for (int user = 1; user <= 100; user++) {
      tokens.add(
          key.mint(
              auth.issuer(),
              auth.audience(),
              "u" + user,
              Set.of("orders:write", "orders:read"),
              Duration.ofHours(2)));
    }
    return tokens;
  }

  /**
   * From ready: the closed loop warms up for at least {@link #MIN_WARM_UP} s and until the JIT's
   * share of the process's CPU over the last 10 s is under 5 % (at most {@link #MAX_WARM_UP} s),
   * then measures {@link #WINDOW} s.
   */
  private static void closedLoop(OrderLoad load, long pid, PerfReport report)
      throws InterruptedException, java.io.IOException {
    long self = ProcessHandle.current().pid();
    OrderLoad.ClosedRun run = load.closed(CLIENTS);
    long started = System.nanoTime();
    ProcCpu.Snapshot slice = ProcCpu.snapshot(pid);
    double jitShare = 1;
    int warmed = 0;
    while (warmed < MAX_WARM_UP && (warmed < MIN_WARM_UP || jitShare >= 0.05)) {
      TimeUnit.SECONDS.sleep(10);
      warmed += 10;
      ProcCpu.Snapshot now = ProcCpu.snapshot(pid);
      Map<String, Double> used = now.secondsSince(slice);
      double total = used.values().stream().mapToDouble(Double::doubleValue).sum();
      jitShare = total == 0 ? 1 : used.get("jit") / total;
      report.warmUpSlice(warmed, total / 10, jitShare);
      System.err.printf(
          Locale.ROOT,
          "warm-up %3d s: %,d accepted, process CPU %.2f cores, JIT %.1f %%%n",
          warmed,
          run.tally.count(202),
          total / 10,
          jitShare * 100);
      slice = now;
    }
    run.tally.reset();
    OwnerCommits.Snapshot commitsBefore = OwnerCommits.read(MANAGEMENT_PORT);
    ProcCpu.Snapshot before = ProcCpu.snapshot(pid);
    ProcCpu.Snapshot clientBefore = ProcCpu.snapshot(self);
    long windowStart = System.nanoTime();
    TimeUnit.SECONDS.sleep(WINDOW);
    ProcCpu.Snapshot after = ProcCpu.snapshot(pid);
    ProcCpu.Snapshot clientAfter = ProcCpu.snapshot(self);
    double seconds = (System.nanoTime() - windowStart) / 1e9;
    List<String> commits =
        OwnerCommits.table(commitsBefore, OwnerCommits.read(MANAGEMENT_PORT), seconds);
    long accepted = run.tally.count(202);
    Map<Integer, Long> byStatus = new java.util.TreeMap<>();
    run.tally.byStatus.forEach((status, count) -> byStatus.put(status, count.sum()));
    report.closed(
        seconds,
        accepted,
        byStatus,
        run.tally.accepted.getIntervalHistogram(),
        after.secondsSince(before),
        clientAfter.secondsSince(clientBefore),
        after.busiestSince(before, 12),
        (int) ((windowStart - started) / 1_000_000_000L));
    report.ownerCommits(commits);
    run.stop();
    report.series(run.acceptedPerSecond());
  }

  /** Raw hello, the edge alone and an authenticated read, 2 alternating rounds, best kept. */
  private static void reads(Vertx vertx, String token, PerfReport report) throws Exception {
    Map<String, Supplier<ClosedLoop.Call>> paths = new LinkedHashMap<>();
    paths.put(PerfReport.HELLO, () -> get(vertx, HELLO_PORT, "/", null));
    paths.put(PerfReport.LIVE, () -> get(vertx, HTTP_PORT, "/health/live", null));
    paths.put(PerfReport.READ, () -> get(vertx, HTTP_PORT, "/api/v1/inventory/sku-0001", token));
    Map<String, ClosedLoop.Measure> best = new LinkedHashMap<>();
    for (int round = 0; round < 2; round++) {
      for (Map.Entry<String, Supplier<ClosedLoop.Call>> path : paths.entrySet()) {
        ClosedLoop.Measure measure =
            new ClosedLoop(READ_CLIENTS, Duration.ofSeconds(5), Duration.ofSeconds(10))
                .run(path.getValue().get());
        System.err.printf(
            Locale.ROOT,
            "%s: %,.0f/s, %d errors%n",
            path.getKey(),
            measure.rate(),
            measure.errors());
        best.merge(path.getKey(), measure, (a, b) -> a.rate() >= b.rate() ? a : b);
      }
    }
    report.reads(best);
  }

  private static ClosedLoop.Call get(Vertx vertx, int port, String uri, String token) {
    HttpClientAgent agent =
        vertx.createHttpClient(
            new HttpClientOptions().setKeepAlive(true),
            new PoolOptions().setHttp1MaxSize(READ_CLIENTS));
    RequestOptions options =
        new RequestOptions().setMethod(HttpMethod.GET).setHost("127.0.0.1").setPort(port);
    options.setURI(uri);
    if (token != null) {
      options.putHeader("authorization", "Bearer " + token);
    }
    return done ->
        agent
            .request(options)
            .compose(HttpClientRequest::send)
            .compose(response -> response.body().map(body -> response.statusCode()))
            .onComplete(answer -> done.done(answer.succeeded() && answer.result() == 200));
  }

  /** Open-model steps at fractions of the closed-loop maximum; breakers read after the last. */
  private static void sweep(OrderLoad load, long pid, Vertx vertx, PerfReport report)
      throws Exception {
    double max = report.closedRate();
    Instant overloadStart = null;
    for (double fraction : FRACTIONS) {
      TimeUnit.SECONDS.sleep(3); // lets the previous step's queues empty before the next
      if (fraction == FRACTIONS[FRACTIONS.length - 1]) {
        overloadStart = Instant.now();
      }
      ProcCpu.Snapshot before = ProcCpu.snapshot(pid);
      OrderLoad.Step step = load.open(Math.max(1, max * fraction), STEP);
      Map<String, Double> cpu = ProcCpu.snapshot(pid).secondsSince(before);
      System.err.printf(
          Locale.ROOT,
          "offered %,.0f/s: %,.0f accepted/s, p99 %.1f ms, %,d refused, %,d failed%n",
          step.offeredPerSecond(),
          step.acceptedPerSecond(),
          step.acceptedMicros().getValueAtPercentile(99) / 1000.0,
          step.refused(),
          step.failed());
      report.step(fraction, step, cpu);
    }
    JsonObject admin =
        vertx
            .createHttpClient()
            .request(HttpMethod.GET, ADMIN_PORT, "127.0.0.1", "/admin")
            .compose(HttpClientRequest::send)
            .compose(response -> response.body())
            .map(body -> body.toJsonObject())
            .await(30, TimeUnit.SECONDS);
    report.breakers(admin, overloadStart);
  }

  private static Process startHello() throws IOException {
    return new ProcessBuilder(
            Path.of(System.getProperty("java.home"), "bin", "java").toString(),
            "-Xmx512m",
            "-cp",
            System.getProperty("java.class.path"),
            OrderFlowBench.class.getName(),
            "hello",
            Integer.toString(HELLO_PORT))
        .inheritIO()
        .start();
  }

  private static void awaitPort(int port, Duration timeout) throws InterruptedException {
    long deadline = System.nanoTime() + timeout.toNanos();
    while (System.nanoTime() < deadline) {
      try (Socket socket = new Socket()) {
        socket.connect(new InetSocketAddress("127.0.0.1", port), 500);
        return;
      } catch (IOException notYet) {
        TimeUnit.MILLISECONDS.sleep(100);
      }
    }
    throw new IllegalStateException("nothing listens on 127.0.0.1:" + port + " after " + timeout);
  }

  private static void deleteTree(Path dir) throws IOException {
    try (var paths = Files.walk(dir)) {
      for (Path path : paths.sorted(java.util.Comparator.reverseOrder()).toList()) {
        Files.deleteIfExists(path);
      }
    }
  }
}
