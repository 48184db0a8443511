package io.courier.app;

import io.vertx.core.json.DecodeException;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.io.IOException;
import java.io.PrintWriter;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * {@code courier cluster}: what a running cluster is doing, asked through any member's admin API
 * ({@code GET /admin}): its members with their roles and state, the endpoints each announced, the
 * breakers of every member and consumer lag per partition. The member asked names the others and
 * their admin URLs; each is asked in turn, and one that does not answer is reported, not hidden
 * (exit 1). Tables for people, {@code --json} for scripts.
 */
@Command(
    name = "cluster",
    mixinStandardHelpOptions = true,
    description =
        "Ask a running cluster through any member's admin API: members and roles, endpoints,"
            + " breakers, consumer lag.",
    subcommands = {
      ClusterCommand.Status.class,
      ClusterCommand.Services.class,
      ClusterCommand.Breakers.class,
      ClusterCommand.Lag.class
    })
final class ClusterCommand implements Runnable {

  @CommandLine.Spec CommandLine.Model.CommandSpec spec;

  @Override
  public void run() {
    throw new CommandLine.ParameterException(
        spec.commandLine(), "name what to show: status, services, breakers or lag");
  }

  /** Where to ask, and how to answer. */
  static final class AdminOptions {
    @Option(
        names = "--admin",
        required = true,
        paramLabel = "URL",
        description =
            "Any member's admin URL, e.g. http://127.0.0.1:8559/admin (each process prints it at"
                + " start, as 'admin').")
    String admin;

    @Option(names = "--json", description = "Print JSON instead of a table.")
    boolean json;

    @Option(
        names = "--timeout",
        defaultValue = "10",
        paramLabel = "SECONDS",
        description = "How long each member may take to answer (default: ${DEFAULT-VALUE}).")
    long timeoutSeconds;
  }

  /** A member of the cluster as the asked member's view lists it, and its own view when asked. */
  record Member(String id, JsonObject process, JsonObject view, String error) {}

  /** One subcommand: reads the views it needs, then prints them. */
  abstract static class Query implements Callable<Integer> {

    @Mixin AdminOptions options;

    @CommandLine.Spec CommandLine.Model.CommandSpec spec;

    private HttpClient http;

    /** Whether each member's own view is needed (breakers, lag), not only the asked one's. */
    abstract boolean everyMember();

    /** Prints the answer. */
    abstract void print(JsonObject asked, List<Member> members, PrintWriter out);

    /** The answer as JSON. */
    abstract JsonObject json(JsonObject asked, List<Member> members);

    @Override
    public Integer call() {
      PrintWriter out = spec.commandLine().getOut();
      PrintWriter err = spec.commandLine().getErr();
      http =
          HttpClient.newBuilder()
              .connectTimeout(Duration.ofSeconds(options.timeoutSeconds))
              .followRedirects(HttpClient.Redirect.NEVER)
              .build();
      JsonObject asked;
      try {
        asked = view(options.admin);
      } catch (IllegalArgumentException | IOException e) {
        err.println("courier cluster: " + e.getMessage());
        return 2;
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        return 2;
      }
      List<Member> members = members(asked);
      if (options.json) {
        out.println(json(asked, members).encodePrettily());
      } else {
        print(asked, members, out);
      }
      out.flush();
      List<Member> failed = members.stream().filter(m -> m.error() != null).toList();
      for (Member member : failed) {
        err.println(
            "courier cluster: member " + member.id() + " did not answer: " + member.error());
      }
      return failed.isEmpty() ? 0 : 1;
    }

    /** The members the asked view lists, each with its own view when {@link #everyMember()}. */
    private List<Member> members(JsonObject asked) {
      JsonObject cluster = asked.getJsonObject("cluster", new JsonObject());
      String self = cluster.getString("self");
      JsonArray processes = cluster.getJsonArray("processes", new JsonArray());
      List<Member> members = new ArrayList<>();
      if (processes.isEmpty()) {
        // Not clustered: the asked process is the whole deployment.
        members.add(
            new Member(self == null ? "local" : self, asked.getJsonObject("process"), asked, null));
        return members;
      }
      for (Object each : processes) {
        JsonObject process = (JsonObject) each;
        String id = process.getString("member", "?");
        if (id.equals(self)) {
          members.add(new Member(id, process, asked, null));
        } else if (!everyMember()) {
          members.add(new Member(id, process, null, null));
        } else {
          members.add(askMember(id, process));
        }
      }
      return members;
    }

    private Member askMember(String id, JsonObject process) {
      String admin = process.getJsonObject("endpoints", new JsonObject()).getString("admin");
      if (admin == null) {
        return new Member(id, process, null, "it announced no admin endpoint");
      }
      try {
        return new Member(id, process, view(admin), null);
      } catch (IllegalArgumentException | IOException e) {
        return new Member(id, process, null, e.getMessage());
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        return new Member(id, process, null, "interrupted");
      }
    }

    /** {@code GET url}: the admin view, or an exception saying what was wrong with the answer. */
    private JsonObject view(String url) throws IOException, InterruptedException {
      URI uri;
      try {
        uri = URI.create(url);
      } catch (IllegalArgumentException e) {
        throw new IllegalArgumentException("'" + url + "' is not a URL");
      }
      if (!"http".equals(uri.getScheme()) && !"https".equals(uri.getScheme())
          || uri.getHost() == null) {
        throw new IllegalArgumentException(
            "'" + url + "' is not an http(s) admin URL such as http://127.0.0.1:8559/admin");
      }
      HttpResponse<String> answer;
      try {
        answer =
            http.send(
                HttpRequest.newBuilder(uri)
                    .timeout(Duration.ofSeconds(options.timeoutSeconds))
                    .header("Accept", "application/json")
                    .GET()
                    .build(),
                HttpResponse.BodyHandlers.ofString());
      } catch (IOException e) {
        throw new IOException(
            "cannot reach " + url + ": " + (e.getMessage() == null ? e.toString() : e.getMessage()),
            e);
      }
      if (answer.statusCode() != 200) {
        throw new IOException(
            url
                + " answered "
                + answer.statusCode()
                + ", not an admin view; is it the admin port?");
      }
      try {
        JsonObject view = new JsonObject(answer.body());
        if (!view.containsKey("process")) {
          throw new IOException(url + " answered JSON that is not a Courier admin view");
        }
        return view;
      } catch (DecodeException | ClassCastException e) {
        throw new IOException(url + " answered something that is not JSON");
      }
    }
  }

  /** {@code courier cluster status}: the members, their state, version and roles. */
  @Command(name = "status", mixinStandardHelpOptions = true, description = "Members and roles.")
  static final class Status extends Query {
    @Override
    boolean everyMember() {
      return false;
    }

    @Override
    void print(JsonObject asked, List<Member> members, PrintWriter out) {
      out.printf("%d member(s), asked %s%n", members.size(), self(asked));
      out.printf("%-38s %-9s %-10s %s%n", "MEMBER", "STATE", "VERSION", "ROLES");
      for (Member member : members) {
        JsonObject process = member.process();
        List<String> roles = new ArrayList<>();
        process
            .getJsonObject("roles", new JsonObject())
            .forEach(
                role ->
                    roles.add(
                        "deployed".equals(role.getValue())
                            ? role.getKey()
                            : role.getKey() + " (" + role.getValue() + ")"));
        out.printf(
            "%-38s %-9s %-10s %s%n",
            member.id(),
            process.getString("state", "?"),
            process.getString("version", "?"),
            String.join(", ", roles));
      }
    }

    @Override
    JsonObject json(JsonObject asked, List<Member> members) {
      JsonArray list = new JsonArray();
      for (Member member : members) {
        list.add(member.process().copy().put("member", member.id()));
      }
      return new JsonObject().put("self", self(asked)).put("members", list);
    }
  }

  /** {@code courier cluster services}: the endpoints every member announced. */
  @Command(
      name = "services",
      mixinStandardHelpOptions = true,
      description = "The endpoints each member announced (gateway, gRPC services, health, admin).")
  static final class Services extends Query {
    @Override
    boolean everyMember() {
      return false;
    }

    @Override
    void print(JsonObject asked, List<Member> members, PrintWriter out) {
      out.printf("%-38s %-22s %s%n", "MEMBER", "ENDPOINT", "ADDRESS");
      for (Member member : members) {
        new TreeMap<>(member.process().getJsonObject("endpoints", new JsonObject()).getMap())
            .forEach((name, where) -> out.printf("%-38s %-22s %s%n", member.id(), name, where));
      }
    }

    @Override
    JsonObject json(JsonObject asked, List<Member> members) {
      JsonArray list = new JsonArray();
      for (Member member : members) {
        list.add(
            new JsonObject()
                .put("member", member.id())
                .put("endpoints", member.process().getJsonObject("endpoints", new JsonObject())));
      }
      return new JsonObject().put("members", list);
    }
  }

  /**
   * A subcommand that asks every member for its own view, prints one block of rows per member, and
   * reports a member that did not answer in its place.
   */
  abstract static class PerMember extends Query {
    @Override
    boolean everyMember() {
      return true;
    }

    /** The table's header line. */
    abstract String header();

    /** The rows of one member that answered. */
    abstract void rows(String member, JsonObject view, PrintWriter out);

    /** What one member that answered adds to its JSON object. */
    abstract void own(JsonObject view, JsonObject into);

    @Override
    void print(JsonObject asked, List<Member> members, PrintWriter out) {
      out.println(header());
      for (Member member : members) {
        if (member.view() == null) {
          out.printf("%-38s %s%n", member.id(), "(did not answer)");
        } else {
          rows(member.id(), member.view(), out);
        }
      }
    }

    @Override
    JsonObject json(JsonObject asked, List<Member> members) {
      JsonArray list = new JsonArray();
      for (Member member : members) {
        JsonObject one = new JsonObject().put("member", member.id());
        if (member.view() == null) {
          one.put("error", member.error());
        } else {
          own(member.view(), one);
        }
        list.add(one);
      }
      return new JsonObject().put("members", list);
    }
  }

  /** {@code courier cluster breakers}: every member's breakers, per target and per instance. */
  @Command(
      name = "breakers",
      mixinStandardHelpOptions = true,
      description = "Breaker states of every member, per target and per discovered instance.")
  static final class Breakers extends PerMember {
    private static final String ROW = "%-38s %-22s %-24s %s%n";

    @Override
    String header() {
      return String.format(ROW, "MEMBER", "TARGET", "INSTANCE", "STATE").stripTrailing();
    }

    @Override
    void rows(String member, JsonObject view, PrintWriter out) {
      view.getJsonObject("breakers", new JsonObject())
          .forEach(b -> out.printf(ROW, member, b.getKey(), "-", b.getValue()));
      JsonObject discovered = instances(view);
      for (String service : new TreeSet<>(discovered.fieldNames())) {
        JsonArray list = discovered.getJsonArray(service, new JsonArray());
        for (int i = 0; i < list.size(); i++) {
          JsonObject instance = list.getJsonObject(i);
          out.printf(
              ROW, member, service, instance.getString("address"), instance.getString("breaker"));
        }
      }
    }

    @Override
    void own(JsonObject view, JsonObject into) {
      into.put("breakers", view.getJsonObject("breakers", new JsonObject()));
      into.put("instances", instances(view));
    }

    /** Per service, the instances the member's clients discovered, with their breaker states. */
    private static JsonObject instances(JsonObject view) {
      JsonObject sections = view.getJsonObject("sections", new JsonObject());
      return sections.getJsonObject("discovered", new JsonObject());
    }
  }

  /** {@code courier cluster lag}: consumer lag of every member, per group and partition. */
  @Command(
      name = "lag",
      mixinStandardHelpOptions = true,
      description = "Consumer lag of every member, per group and partition.")
  static final class Lag extends PerMember {
    private static final String ROW = "%-38s %-24s %-32s %s%n";

    @Override
    String header() {
      return String.format(ROW, "MEMBER", "GROUP", "PARTITION", "LAG").stripTrailing();
    }

    @Override
    void rows(String member, JsonObject view, PrintWriter out) {
      JsonObject consumers = view.getJsonObject("consumers", new JsonObject());
      for (String group : new TreeSet<>(consumers.fieldNames())) {
        JsonObject partitions =
            consumers.getJsonObject(group).getJsonObject("partitions", new JsonObject());
        for (String partition : new TreeSet<>(partitions.fieldNames())) {
          out.printf(ROW, member, group, partition, partitions.getLong(partition, 0L));
        }
      }
    }

    @Override
    void own(JsonObject view, JsonObject into) {
      into.put("consumers", view.getJsonObject("consumers", new JsonObject()));
    }

    @Override
    void print(JsonObject asked, List<Member> members, PrintWriter out) {
      super.print(asked, members, out);
      out.printf("total lag: %d%n", total(members));
    }

    @Override
    JsonObject json(JsonObject asked, List<Member> members) {
      return super.json(asked, members).put("total", total(members));
    }

    /** The lag of every group of every member that answered. */
    private static long total(List<Member> members) {
      long total = 0;
      for (Member member : members) {
        if (member.view() != null) {
          JsonObject consumers = member.view().getJsonObject("consumers", new JsonObject());
          for (String group : consumers.fieldNames()) {
            total += consumers.getJsonObject(group).getLong("lag", 0L);
          }
        }
      }
      return total;
    }
  }

  private static String self(JsonObject asked) {
    return asked.getJsonObject("cluster", new JsonObject()).getString("self", "local");
  }
}
