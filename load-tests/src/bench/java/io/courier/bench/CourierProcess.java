package io.courier.bench;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * The platform as a user starts it: {@code java -jar courier.jar run --config conf/dev.json} in a
 * process of its own, on fixed loopback ports and a fresh data directory, its log in a file. Ready
 * when the log says "Courier is ready"; stopped with SIGTERM (a graceful drain), killed if it does
 * not end in time.
 */
final class CourierProcess implements AutoCloseable {

  private final Process process;
  private final Path log;
  private Instant ready;

  private CourierProcess(Process process, Path log) {
    this.process = process;
    this.log = log;
  }

  /**
   * Starts the fat JAR of {@code root} with {@code env} added to this process's environment and
   * {@code jvmOptions} before {@code -jar}.
   */
  static CourierProcess start(Path root, Path log, Map<String, String> env, String... jvmOptions)
      throws IOException {
    Path jar = root.resolve("verticles/app/target/courier.jar");
    if (!Files.isRegularFile(jar)) {
      throw new IllegalStateException(
          jar + " is missing: build it with mvn -B -DskipTests -pl verticles/app -am package");
    }
    Files.deleteIfExists(log);
    var command = new java.util.ArrayList<String>();
    command.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
    command.addAll(java.util.List.of(jvmOptions));
    command.addAll(
        java.util.List.of(
            "-jar", jar.toString(), "run", "--config", root.resolve("conf/dev.json").toString()));
    ProcessBuilder builder =
        new ProcessBuilder(command)
            .directory(root.toFile())
            .redirectErrorStream(true)
            .redirectOutput(log.toFile());
    builder.environment().putAll(env);
    return new CourierProcess(builder.start(), log);
  }

  long pid() {
    return process.pid();
  }

  /** Waits for the ready line; the instant it was seen (within 50 ms of being written). */
  Instant awaitReady(Duration timeout) throws IOException, InterruptedException {
    long deadline = System.nanoTime() + timeout.toNanos();
    while (System.nanoTime() < deadline) {
      if (Files.exists(log) && Files.readString(log).contains("Courier is ready")) {
        ready = Instant.now();
        return ready;
      }
      if (!process.isAlive()) {
        throw new IllegalStateException(
            "the platform ended with exit code " + process.exitValue() + "; see " + log);
      }
      // Polling a file the child writes: a pause between reads, not a synchronisation.
      TimeUnit.MILLISECONDS.sleep(50);
    }
    throw new IllegalStateException("not ready within " + timeout + "; see " + log);
  }

  Instant ready() {
    return ready;
  }

  @Override
  public void close() throws InterruptedException {
    process.destroy();
    if (!process.waitFor(40, TimeUnit.SECONDS)) {
      process.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
    }
  }
}
