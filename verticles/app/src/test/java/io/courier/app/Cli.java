package io.courier.app;

import java.io.PrintWriter;
import java.io.StringWriter;

/** Runs the {@code courier} command line in this JVM, capturing what it prints. */
final class Cli {

  private Cli() {}

  /** What a command did: its exit code and what it printed on standard output and error. */
  record Result(int exit, String out, String err) {}

  static Result courier(String... args) {
    StringWriter out = new StringWriter();
    StringWriter err = new StringWriter();
    picocli.CommandLine cli = CourierMain.commandLine();
    cli.setOut(new PrintWriter(out));
    cli.setErr(new PrintWriter(err));
    int exit = cli.execute(args);
    return new Result(exit, out.toString(), err.toString());
  }
}
