package io.courier.app;

import io.courier.gateway.GatewayConfig;
import io.courier.runtime.CourierRuntime;
import io.courier.runtime.Roles;
import io.courier.runtime.config.ConfigException;
import io.courier.runtime.config.CourierConfig;
import java.io.PrintWriter;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import sun.misc.Signal;

/**
 * {@code courier run}: starts the configured roles and runs until SIGTERM or SIGINT, then drains.
 * Exit codes: 0 after a clean drain, 1 when start-up or the drain failed, 2 for bad configuration.
 */
@Command(
    name = "run",
    mixinStandardHelpOptions = true,
    description = "Start the roles named in the configuration and run until stopped.")
final class RunCommand implements Callable<Integer> {

  static final int EXIT_OK = 0;
  static final int EXIT_FAILED = 1;
  static final int EXIT_CONFIG = 2;

  private static final Logger LOG = LoggerFactory.getLogger(RunCommand.class);

  @Mixin ConfigOptions options;

  @CommandLine.Spec CommandLine.Model.CommandSpec spec;

  @Override
  public Integer call() {
    PrintWriter out = spec.commandLine().getOut();
    PrintWriter err = spec.commandLine().getErr();
    long begin = System.nanoTime();
    CourierConfig config;
    try {
      config = options.load();
    } catch (ConfigException e) {
      e.problems().forEach(problem -> err.println("courier: configuration error: " + problem));
      err.flush();
      return EXIT_CONFIG;
    }

    CourierRuntime runtime;
    try {
      runtime = CourierRuntime.start(config, Roles.available()).await();
    } catch (Exception e) {
      err.println("courier: " + e.getMessage());
      err.flush();
      return EXIT_FAILED;
    }

    printBanner(out, config, runtime, Duration.ofNanos(System.nanoTime() - begin));
    return awaitStop(runtime, Duration.ofMillis(config.shutdown().drainTimeoutMs()), err);
  }

  /** Blocks the main thread until a signal has stopped the runtime; returns the exit code. */
  private static int awaitStop(CourierRuntime runtime, Duration drain, PrintWriter err) {
    CountDownLatch stopped = new CountDownLatch(1);
    AtomicInteger exitCode = new AtomicInteger(EXIT_OK);
    AtomicReference<Thread> stopper = new AtomicReference<>();
    Runnable stop =
        () -> {
          Thread current =
              new Thread(() -> drain(runtime, drain, err, exitCode, stopped), "courier-drain");
          if (stopper.compareAndSet(null, current)) {
            current.start();
          }
        };
    Signal.handle(new Signal("TERM"), signal -> stop.run());
    Signal.handle(new Signal("INT"), signal -> stop.run());
    Runtime.getRuntime()
        .addShutdownHook(
            new Thread(
                () -> {
                  stop.run();
                  awaitQuietly(stopped, drain.plusSeconds(5));
                },
                "courier-shutdown-hook"));
    awaitQuietly(stopped, null);
    return exitCode.get();
  }

  private static void drain(
      CourierRuntime runtime,
      Duration drain,
      PrintWriter err,
      AtomicInteger exitCode,
      CountDownLatch stopped) {
    LOG.info("stop requested; draining within {} ms", drain.toMillis());
    try {
      runtime.stop(drain).await(drain.toMillis() + 5_000, TimeUnit.MILLISECONDS);
      LOG.info("stopped cleanly");
    } catch (Exception e) {
      err.println("courier: stop did not complete cleanly: " + e.getMessage());
      err.flush();
      exitCode.set(EXIT_FAILED);
    } finally {
      stopped.countDown();
    }
  }

  private static void awaitQuietly(CountDownLatch latch, Duration timeout) {
    try {
      if (timeout == null) {
        latch.await();
      } else if (!latch.await(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
        LOG.warn("drain still running after {} ms; the JVM exits anyway", timeout.toMillis());
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  private static void printBanner(
      PrintWriter out, CourierConfig config, CourierRuntime runtime, Duration took) {
    out.printf(
        "Courier is ready in %.1f s (profile %s, roles %s)%n",
        took.toMillis() / 1000.0, config.profile(), String.join(", ", config.roles()));
    for (Map.Entry<String, String> endpoint : runtime.endpoints().entrySet()) {
      out.printf("  %-8s %s%n", endpoint.getKey(), endpoint.getValue());
    }
    String gateway = runtime.endpoints().get("gateway");
    if (gateway != null) {
      out.printf("Try: curl -s %s/health/ready%n", gateway);
      if (runtime.endpoints().containsKey("order-service (event bus)")) {
        String auth = "";
        if (!config.section(GatewayConfig.SECTION).auth().devKeyDir().isBlank()) {
          out.printf(
              "     TOKEN=$(java -jar verticles/app/target/courier.jar token --sub u1"
                  + " --scope orders:write,orders:read)%n");
          auth = " -H \"Authorization: Bearer $TOKEN\"";
        }
        out.printf(
            "     curl -s -X POST %s/api/v1/orders%s -H 'Content-Type: application/json'"
                + " -H 'Idempotency-Key: my-first-order'"
                + " -d '{\"userId\":\"u1\",\"items\":[{\"sku\":\"sku-0001\",\"quantity\":2}]}'%n",
            gateway, auth);
      }
    }
    out.println("Stop with Ctrl-C (or SIGTERM): roles drain in reverse order.");
    out.flush();
  }
}
