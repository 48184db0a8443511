package io.courier.load;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * {@code load-tests/run.sh} run as a user runs it, from the repository root, for the tests of the
 * script: its exit code and what it printed, bounded in time (a run past its limit is killed and
 * fails the test).
 */
final class RunScript {

  /** The repository root: {@code courier.repo.root}, else the module's parent directory. */
  static final Path ROOT =
      Path.of(System.getProperty("courier.repo.root", "..")).toAbsolutePath().normalize();

  /** The script's path as the READMEs write it. */
  static final String SCRIPT = "load-tests/run.sh";

  private RunScript() {}

  /** What one run printed and how it ended. */
  record Result(int exitCode, String stdout, String stderr) {
    /** Both streams, for assertion messages. */
    String output() {
      return "exit " + exitCode + "\n--- stdout\n" + stdout + "\n--- stderr\n" + stderr;
    }
  }

  /** Runs {@code load-tests/run.sh args...} with {@code env} added to this JVM's environment. */
  static Result run(Duration limit, Map<String, String> env, List<String> args) {
    List<String> command = new ArrayList<>();
    command.add(ROOT.resolve(SCRIPT).toString());
    command.addAll(args);
    try {
      Path out = Files.createTempFile("run-sh", ".out");
      Path err = Files.createTempFile("run-sh", ".err");
      try {
        ProcessBuilder builder =
            new ProcessBuilder(command)
                .directory(ROOT.toFile())
                .redirectOutput(out.toFile())
                .redirectError(err.toFile());
        builder.environment().putAll(env);
        Process process = builder.start();
        if (!process.waitFor(limit.toMillis(), TimeUnit.MILLISECONDS)) {
          // SIGTERM first: the script's trap stops what it started.
          process.destroy();
          if (!process.waitFor(45, TimeUnit.SECONDS)) {
            process.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
          }
          throw new AssertionError(
              "run.sh "
                  + String.join(" ", args)
                  + " still running after "
                  + limit
                  + "\n"
                  + Files.readString(out, StandardCharsets.UTF_8)
                  + Files.readString(err, StandardCharsets.UTF_8));
        }
        return new Result(
            process.exitValue(),
            Files.readString(out, StandardCharsets.UTF_8),
            Files.readString(err, StandardCharsets.UTF_8));
      } finally {
        Files.deleteIfExists(out);
        Files.deleteIfExists(err);
      }
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new AssertionError("interrupted", e);
    }
  }

  static Result run(List<String> args) {
    return run(Duration.ofSeconds(30), Map.of(), args);
  }

  /**
   * Every {@code load-tests/run.sh ...} command in the {@code bash} blocks of {@code markdown}, as
   * written there (from the script's name to the end of the line or a {@code #} comment).
   */
  static List<String> commandsIn(Path markdown) {
    List<String> commands = new ArrayList<>();
    boolean inBash = false;
    try {
      for (String line : Files.readAllLines(markdown, StandardCharsets.UTF_8)) {
        if (line.startsWith("```")) {
          inBash = !inBash && line.equals("```bash");
          continue;
        }
        int at = line.indexOf(SCRIPT + " ");
        if (inBash && at >= 0) {
          String command = line.substring(at);
          int comment = command.indexOf(" #");
          commands.add((comment < 0 ? command : command.substring(0, comment)).strip());
        }
      }
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return commands;
  }
}
