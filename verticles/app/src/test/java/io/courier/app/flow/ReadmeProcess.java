package io.courier.app.flow;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A long-running README command ({@code courier run}, {@code courier broker}) started as a user
 * pastes it: {@code bash -c} in a repository-like directory, without the test JVM's {@code
 * COURIER_*} variables, {@code exec} in front of the program ({@link ReadmeClusterIT#execLast}) so
 * stopping the process stops the program. Its output is kept line by line; {@link #ready} completes
 * at the first line containing the ready text and fails if the process ends before it.
 */
final class ReadmeProcess {

  private static final Logger LOG = LoggerFactory.getLogger(ReadmeProcess.class);

  final Process process;
  final List<String> lines = new CopyOnWriteArrayList<>();
  final CompletableFuture<Void> ready = new CompletableFuture<>();

  private ReadmeProcess(Process process) {
    this.process = process;
  }

  /**
   * @param label prefix of the output lines echoed to the test log (all but INFO and DEBUG)
   */
  static ReadmeProcess start(Path work, String command, String readyText, String label)
      throws IOException {
    LOG.info("$ {}", command);
    ProcessBuilder builder =
        new ProcessBuilder("bash", "-c", ReadmeClusterIT.execLast(command))
            .directory(work.toFile())
            .redirectErrorStream(true);
    builder.environment().keySet().removeIf(key -> key.startsWith("COURIER_"));
    ReadmeProcess started = new ReadmeProcess(builder.start());
    Thread pump =
        new Thread(
            () -> {
              try (BufferedReader reader =
                  new BufferedReader(
                      new InputStreamReader(
                          started.process.getInputStream(), StandardCharsets.UTF_8))) {
                for (String line; (line = reader.readLine()) != null; ) {
                  started.lines.add(line);
                  if (line.contains(readyText)) {
                    started.ready.complete(null);
                  }
                  if (!line.contains(" INFO ") && !line.contains(" DEBUG ")) {
                    LOG.info("[{}] {}", label, line);
                  }
                }
              } catch (IOException e) {
                LOG.debug("output closed: {}", e.toString());
              }
              started.ready.completeExceptionally(
                  new AssertionError(
                      "exited before it was ready: " + command + "\n" + started.tail()));
            },
            "readme-output-" + label);
    pump.setDaemon(true);
    pump.start();
    return started;
  }

  /** The last 30 lines of output. */
  String tail() {
    return String.join("\n", lines.subList(Math.max(0, lines.size() - 30), lines.size()));
  }
}
