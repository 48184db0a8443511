package io.courier.app;

import io.courier.runtime.security.DevCertificates;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/**
 * {@code courier certs dev}: a development CA and one certificate per role (service identity in the
 * SANs) in a work directory. Nothing it writes belongs in version control.
 */
@Command(
    name = "certs",
    mixinStandardHelpOptions = true,
    description = "Generate development certificates: `courier certs dev`.")
final class CertsCommand implements Callable<Integer> {

  @Parameters(index = "0", description = "Only 'dev' exists.")
  String kind;

  @Option(
      names = "--dir",
      defaultValue = ".courier/certs",
      description = "Where to write the files. Default: ${DEFAULT-VALUE}")
  Path dir;

  @Option(
      names = "--roles",
      split = ",",
      defaultValue =
          "gateway,user-service,inventory-service,order-service,payment-service,"
              + "notification-service,resilience,kafka-bridge",
      description = "One certificate per name. Default: every role.")
  List<String> roles;

  @Option(
      names = "--days",
      defaultValue = "30",
      description = "Validity of the certificates in days. Default: ${DEFAULT-VALUE}")
  int days;

  @CommandLine.Spec CommandLine.Model.CommandSpec spec;

  @Override
  public Integer call() throws Exception {
    PrintWriter out = spec.commandLine().getOut();
    if (!"dev".equals(kind)) {
      spec.commandLine().getErr().println("courier: only `courier certs dev` exists");
      spec.commandLine().getErr().flush();
      return 2;
    }
    DevCertificates ca = DevCertificates.authority("Courier dev CA", Duration.ofDays(days + 1L));
    ca.writeCertificate(dir.resolve("ca.pem"));
    out.printf("CA          %s%n", dir.resolve("ca.pem"));
    for (String role : roles) {
      DevCertificates.Issued issued = ca.issue(role, Duration.ofDays(days), dir);
      out.printf("%-11s %s  %s%n", role, issued.certificate(), issued.key());
    }
    out.println("The CA key is not kept: issue new ones with `courier certs dev` again.");
    out.flush();
    return 0;
  }
}
