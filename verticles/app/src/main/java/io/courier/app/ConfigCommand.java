package io.courier.app;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.courier.runtime.Roles;
import io.courier.runtime.config.ConfigException;
import io.courier.runtime.config.CourierConfig;
import java.io.PrintWriter;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;

/** {@code courier config}: checks a configuration without starting anything. */
@Command(
    name = "config",
    mixinStandardHelpOptions = true,
    description =
        "Check a configuration (with every override applied) and print the result, or list the"
            + " environment variables that override each key, or print the reference of every key.")
final class ConfigCommand implements Callable<Integer> {

  @Mixin ConfigOptions options;

  @CommandLine.Option(
      names = "--env",
      description = "List every key with the environment variable that overrides it.")
  boolean listEnvironment;

  @CommandLine.Option(
      names = "--reference",
      description =
          "Print the configuration reference (Markdown): every key with its default, its"
              + " environment variable and what its checks accept, found by trying values.")
  boolean reference;

  @CommandLine.Spec CommandLine.Model.CommandSpec spec;

  @Override
  public Integer call() throws JsonProcessingException {
    PrintWriter out = spec.commandLine().getOut();
    PrintWriter err = spec.commandLine().getErr();
    if (reference) {
      out.print(ConfigReference.markdown());
      out.flush();
      return 0;
    }
    if (listEnvironment) {
      Roles.configLoader()
          .environmentNames()
          .forEach((key, env) -> out.printf("%-36s %s%n", key, env));
      out.flush();
      return 0;
    }
    try {
      CourierConfig config = options.load();
      out.println(
          new ObjectMapper()
              .writerWithDefaultPrettyPrinter()
              .writeValueAsString(Roles.configLoader().toJson(config)));
      err.println(
          "courier: configuration OK" + (options.file() == null ? "" : ": " + options.file()));
      err.flush();
      out.flush();
      return 0;
    } catch (ConfigException e) {
      e.problems().forEach(problem -> err.println("courier: configuration error: " + problem));
      err.flush();
      return RunCommand.EXIT_CONFIG;
    }
  }
}
