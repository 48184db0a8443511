package io.courier.kafka.embedded;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** One entry of {@code controller.quorum.voters}: {@code id@host:port}. */
record Voter(int id, String host, int port) {

  private static final Pattern ENTRY = Pattern.compile("(\\d+)@([^:@,\\s]+):(\\d+)");

  static List<Voter> parseAll(String voters) {
    List<Voter> parsed = new ArrayList<>();
    Set<Integer> ids = new HashSet<>();
    for (String entry : voters.split(",", -1)) {
      Matcher matcher = ENTRY.matcher(entry.trim());
      if (!matcher.matches()) {
        throw new IllegalArgumentException(
            "voters must be id@host:port[,id@host:port...], e.g. 1@127.0.0.1:19093; '"
                + entry.trim()
                + "' is not");
      }
      Voter voter;
      try {
        voter =
            new Voter(
                Integer.parseInt(matcher.group(1)),
                matcher.group(2),
                Integer.parseInt(matcher.group(3)));
      } catch (NumberFormatException e) {
        throw new IllegalArgumentException("voters: '" + entry.trim() + "' is out of range", e);
      }
      if (voter.port() < 1 || voter.port() > 65535) {
        throw new IllegalArgumentException(
            "voters: the port of '" + entry.trim() + "' must be 1..65535");
      }
      if (!ids.add(voter.id())) {
        throw new IllegalArgumentException("voters name node " + voter.id() + " twice");
      }
      parsed.add(voter);
    }
    return parsed;
  }

  @Override
  public String toString() {
    return id + "@" + host + ":" + port;
  }
}
