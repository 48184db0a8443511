package io.courier.app;

import picocli.CommandLine;
import picocli.CommandLine.Command;

/** Entry point of the fat JAR. */
@Command(
    name = "courier",
    mixinStandardHelpOptions = true,
    versionProvider = CourierMain.Version.class,
    description = "Courier: reactive event-driven microservices on Vert.x, Kafka and gRPC.",
    subcommands = {
      RunCommand.class,
      ConfigCommand.class,
      RolesCommand.class,
      SendCommand.class,
      TailCommand.class,
      DltCommand.class,
      CertsCommand.class,
      TokenCommand.class,
      BrokerCommand.class,
      ClusterCommand.class
    })
public final class CourierMain implements Runnable {

  @CommandLine.Spec CommandLine.Model.CommandSpec spec;

  public static void main(String[] args) {
    System.exit(commandLine().execute(args));
  }

  /** The command line, for tests and for {@code main}. */
  static CommandLine commandLine() {
    return new CommandLine(new CourierMain()).setCaseInsensitiveEnumValuesAllowed(true);
  }

  @Override
  public void run() {
    throw new CommandLine.ParameterException(
        spec.commandLine(),
        "name a command: run, config, roles, send, tail, dlt, certs, token, broker or cluster");
  }

  /** The version of the JAR, from its manifest. */
  static final class Version implements CommandLine.IVersionProvider {
    @Override
    public String[] getVersion() {
      String version = CourierMain.class.getPackage().getImplementationVersion();
      return new String[] {"courier " + (version == null ? "development build" : version)};
    }
  }
}
