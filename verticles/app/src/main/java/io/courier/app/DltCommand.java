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
            "%s parked=%s key=%s type=%s attempts=%s error=%s%n",
            letter.id(),
            letter.parkedAt(),
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
      description = {
        "Move parked records back to their topic: all, or those --id, --error-class and --since"
            + " select. A record is moved at most once, whatever the selections: each one moved"
            + " is written with its id to <topic>.dlt.replayed in one transaction."
      })
  static final class Replay implements Callable<Integer> {
    @Mixin KafkaOptions kafka;

    @Option(names = "--topic", required = true, description = "The topic whose DLT to replay.")
    String topic;

    @Option(
        names = "--id",
        split = ",",
        paramLabel = "p<partition>@<offset>",
        description = "Only these dead letters, as dlt list shows them (repeatable).")
    java.util.List<String> ids = new java.util.ArrayList<>();

    @Option(
        names = "--error-class",
        paramLabel = "CLASS",
        description = "Only those parked by this error (full or simple class name).")
    String errorClass;

    @Option(
        names = "--since",
        paramLabel = "WHEN",
        description =
            "Only those parked at or after WHEN: an instant (2026-12-07T10:00:00Z) or a duration"
                + " back from now (PT2H, 30m, 2h, 1d).")
    String since;

    @Option(names = "--dry-run", description = "Say what would be replayed; move nothing.")
    boolean dryRun;

    @CommandLine.Spec CommandLine.Model.CommandSpec spec;

    @Override
    public Integer call() throws Exception {
      for (String id : ids) {
        if (!id.matches("p\\d+@\\d+")) {
          throw new CommandLine.ParameterException(
              spec.commandLine(),
              "--id '" + id + "' is not an id as dlt list shows it: p<partition>@<offset>");
        }
      }
      DeadLetters.Selection selection =
          new DeadLetters.Selection(java.util.Set.copyOf(ids), errorClass, since(spec, since));
      DeadLetters.Replay replay =
          DeadLetters.replayBlocking(kafka.connection(), topic, selection, dryRun);
      PrintWriter out = spec.commandLine().getOut();
      String verb = dryRun ? "would replay" : "replayed";
      replay.replayed().forEach(id -> out.printf("%s %s%n", verb, id));
      replay.replayedBefore().forEach(id -> out.printf("skipped %s: replayed before%n", id));
      replay.foreign().forEach(id -> out.printf("skipped %s: claims another topic%n", id));
      out.printf(
          "%s %d record(s) from %s%s (%d replayed before, %d not selected, %d claiming another"
              + " topic)%n",
          verb,
          replay.replayed().size(),
          topic,
          DeliveryHeaders.DLT_SUFFIX,
          replay.replayedBefore().size(),
          replay.notSelected(),
          replay.foreign().size());
      out.flush();
      return 0;
    }
  }

  /** {@code --since}: an ISO-8601 instant, or a duration back from now. */
  static java.time.Instant since(CommandLine.Model.CommandSpec spec, String value) {
    if (value == null || value.isBlank()) {
      return null;
    }
    String text = value.strip();
    try {
      return java.time.Instant.parse(text);
    } catch (java.time.format.DateTimeParseException notAnInstant) {
      // a duration, below
    }
    try {
      java.time.Duration back;
      java.util.regex.Matcher shortForm =
          java.util.regex.Pattern.compile("(\\d+)([smhd])").matcher(text);
      if (shortForm.matches()) {
        long amount = Long.parseLong(shortForm.group(1));
        back =
            switch (shortForm.group(2)) {
              case "s" -> java.time.Duration.ofSeconds(amount);
              case "m" -> java.time.Duration.ofMinutes(amount);
              case "h" -> java.time.Duration.ofHours(amount);
              default -> java.time.Duration.ofDays(amount);
            };
      } else {
        back = java.time.Duration.parse(text);
      }
      if (back.isNegative()) {
        throw new java.time.format.DateTimeParseException("negative", text, 0);
      }
      return java.time.Instant.now().minus(back);
    } catch (java.time.format.DateTimeParseException | ArithmeticException e) {
      throw new CommandLine.ParameterException(
          spec.commandLine(),
          "--since '"
              + value
              + "' is neither an instant (2026-12-07T10:00:00Z) nor a duration (PT2H, 30m, 2h,"
              + " 1d)");
    }
  }
}
