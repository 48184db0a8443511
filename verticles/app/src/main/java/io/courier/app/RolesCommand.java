package io.courier.app;

import io.courier.runtime.Roles;
import java.io.PrintWriter;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;

/** {@code courier roles}: lists the roles this build can run. */
@Command(
    name = "roles",
    mixinStandardHelpOptions = true,
    description = "List the roles of this build.")
final class RolesCommand implements Callable<Integer> {

  @CommandLine.Spec CommandLine.Model.CommandSpec spec;

  @Override
  public Integer call() {
    PrintWriter out = spec.commandLine().getOut();
    Roles.available().keySet().forEach(out::println);
    out.flush();
    return 0;
  }
}
