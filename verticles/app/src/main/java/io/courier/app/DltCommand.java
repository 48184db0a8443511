package io.courier.app;

import io.courier.runtime.kafka.DeadLetters;
import io.courier.runtime.kafka.DeliveryHeaders;
import java.io.PrintWriter;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** {@code courier dlt list|replay}: inspect and replay a topic's dead-letter topic. */
@Command(
    name = "dlt",
    mixinStandardHelpOptions = true,
    description = "Inspect or replay a topic's dead-letter topic (<topic>.dlt).",
    subcommands = {DltCommand.List.class, DltCommand.Replay.class})
final class DltCommand implements Runnable {

  @CommandLine.Spec CommandLine.Model.CommandSpec spec;

  @Override
  public void run() {
    throw new CommandLine.ParameterException(spec.commandLine(), "name a command: list or replay");
  }

  @Command(name = "list", mixinStandardHelpOptions = true, description = "List parked records.")
  static final class List implements Callable<Integer> {
    @Mixin KafkaOptions kafka;

    @Option(names = "--topic", required = true, description = "The topic whose DLT to read.")
    String topic;

    @Option(names = "--max", defaultValue = "100", description = "List at most this many.")
    int max;

    @CommandLine.Spec CommandLine.Model.CommandSpec spec;

    @Override
    public Integer call() {
      PrintWriter out = spec.commandLine().getOut();
      java.util.List<DeadLetters.DeadLetter> letters =
          DeadLetters.listBlocking(kafka.connection(), topic, max);
      for (DeadLetters.DeadLetter letter : letters) {
        out.printf(
            "p%d@%d key=%s type=%s attempts=%s error=%s%n",
            letter.partition(),
            letter.offset(),
            letter.key(),
            letter.headers().getOrDefault("ce_type", "?"),
            letter.headers().getOrDefault(DeliveryHeaders.ATTEMPTS, "0"),
            letter.error());
      }
      out.printf("%d record(s) in %s%s%n", letters.size(), topic, DeliveryHeaders.DLT_SUFFIX);
      out.flush();
      return 0;
    }
  }

  @Command(
      name = "replay",
      mixinStandardHelpOptions = true,
      description = "Move parked records not replayed before back to their topic.")
  static final class Replay implements Callable<Integer> {
    @Mixin KafkaOptions kafka;

    @Option(names = "--topic", required = true, description = "The topic whose DLT to replay.")
    String topic;

    @CommandLine.Spec CommandLine.Model.CommandSpec spec;

    @Override
    public Integer call() throws Exception {
      int replayed = DeadLetters.replayBlocking(kafka.connection(), topic);
      PrintWriter out = spec.commandLine().getOut();
      out.printf("replayed %d record(s) from %s%s%n", replayed, topic, DeliveryHeaders.DLT_SUFFIX);
      out.flush();
      return 0;
    }
  }
}
