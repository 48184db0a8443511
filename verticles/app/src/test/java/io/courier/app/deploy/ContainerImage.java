package io.courier.app.deploy;

import io.vertx.core.json.JsonArray;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * What the final stage of deploy/Containerfile gives a container: its working directory, its
 * environment ({@code ENV}) and its command ({@code ENTRYPOINT} and {@code CMD}, exec form).
 *
 * @param workdir the last {@code WORKDIR}
 * @param env every {@code ENV} of the final stage, in order
 * @param entrypoint the exec-form {@code ENTRYPOINT}
 * @param cmd the exec-form {@code CMD}, empty when there is none
 */
record ContainerImage(
    String workdir, Map<String, String> env, List<String> entrypoint, List<String> cmd) {

  private static final Pattern ENV_PAIR =
      Pattern.compile("(\\w+)=(\"((?:[^\"\\\\]|\\\\.)*)\"|\\S*)");

  /** Reads the final stage of a Containerfile (instructions after its last {@code FROM}). */
  static ContainerImage read(Path containerfile) throws IOException {
    List<String> instructions = new ArrayList<>();
    StringBuilder current = new StringBuilder();
    for (String line : Files.readAllLines(containerfile)) {
      String trimmed = line.strip();
      if (current.length() == 0 && (trimmed.isEmpty() || trimmed.startsWith("#"))) {
        continue;
      }
      if (trimmed.startsWith("#")) {
        continue; // a comment inside a continued instruction
      }
      if (trimmed.endsWith("\\")) {
        current.append(trimmed, 0, trimmed.length() - 1).append(' ');
      } else {
        instructions.add(current.append(trimmed).toString());
        current.setLength(0);
      }
    }
    String workdir = "/";
    Map<String, String> env = new LinkedHashMap<>();
    List<String> entrypoint = List.of();
    List<String> cmd = List.of();
    for (String instruction : instructions) {
      String[] parts = instruction.split("\\s+", 2);
      String keyword = parts[0].toUpperCase(java.util.Locale.ROOT);
      String rest = parts.length > 1 ? parts[1] : "";
      switch (keyword) {
        case "FROM" -> {
          workdir = "/";
          env.clear();
          entrypoint = List.of();
          cmd = List.of();
        }
        case "WORKDIR" -> workdir = rest;
        case "ENV" -> {
          Matcher pair = ENV_PAIR.matcher(rest);
          while (pair.find()) {
            String value =
                pair.group(3) != null ? pair.group(3).replace("\\\"", "\"") : pair.group(2);
            env.put(pair.group(1), value);
          }
        }
        case "ENTRYPOINT" -> entrypoint = execForm(keyword, rest);
        case "CMD" -> cmd = execForm(keyword, rest);
        default -> {
          // RUN, COPY, USER, EXPOSE: nothing a started container reads
        }
      }
    }
    if (entrypoint.isEmpty() && cmd.isEmpty()) {
      throw new IllegalStateException(containerfile + " sets neither ENTRYPOINT nor CMD");
    }
    return new ContainerImage(workdir, Map.copyOf(env), entrypoint, cmd);
  }

  private static List<String> execForm(String keyword, String rest) {
    if (!rest.startsWith("[")) {
      throw new IllegalStateException(
          keyword + " in shell form; only the exec form (a JSON array) is read: " + rest);
    }
    return new JsonArray(rest).stream().map(String::valueOf).toList();
  }

  /**
   * The command a container runs, as Kubernetes combines it with the image's: the container's
   * {@code command} replaces the {@code ENTRYPOINT} (and drops the {@code CMD}), its {@code args}
   * replace the {@code CMD}.
   */
  List<String> command(List<String> containerCommand, List<String> containerArgs) {
    List<String> command = new ArrayList<>();
    boolean ownCommand = containerCommand != null && !containerCommand.isEmpty();
    command.addAll(ownCommand ? containerCommand : entrypoint);
    if (containerArgs != null && !containerArgs.isEmpty()) {
      command.addAll(containerArgs);
    } else if (!ownCommand) {
      command.addAll(cmd);
    }
    return command;
  }
}
