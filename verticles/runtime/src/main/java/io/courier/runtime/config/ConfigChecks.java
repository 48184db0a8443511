package io.courier.runtime.config;

import java.net.URI;
import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.InvalidPathException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.regex.Pattern;

/**
 * The rules configuration records check their values against, each adding a {@link ConfigProblem}
 * when broken. A record's validating constructor runs its checks and calls {@link #orThrow()}, so
 * it reports every bad value at once:
 *
 * <pre>{@code
 * public record ManagementConfig(boolean enabled, String host, int port) {
 *   public ManagementConfig {
 *     new ConfigChecks().text("host", host).port("port", port).orThrow();
 *   }
 * }
 * }</pre>
 *
 * Keys are relative to the record; the loader places them under the section's path.
 */
public final class ConfigChecks {

  private static final Pattern HOST_PORT = Pattern.compile("[^\\s:,]+:\\d{1,5}");

  private final List<ConfigProblem> problems = new ArrayList<>();

  /** A port, 0 (pick a free one) to 65535. */
  public ConfigChecks port(String key, long value) {
    if (value < 0 || value > 65_535) {
      invalid(key, "is " + value + "; must be a port, 0..65535");
    }
    return this;
  }

  public ConfigChecks atLeast(String key, long value, long minimum) {
    if (value < minimum) {
      invalid(key, "is " + value + "; must be >= " + minimum);
    }
    return this;
  }

  /** A share of something, 0 to 1. */
  public ConfigChecks share(String key, double value) {
    if (!(value >= 0 && value <= 1)) {
      invalid(key, "is " + value + "; must be between 0 and 1");
    }
    return this;
  }

  /** A value that must not be blank. */
  public ConfigChecks text(String key, String value) {
    if (value.isBlank()) {
      missing(key, "a non-empty value");
    }
    return this;
  }

  /** Empty, or an {@code http(s)://host[:port]...} URL. */
  public ConfigChecks url(String key, String value) {
    if (value.isBlank()) {
      return this;
    }
    try {
      URI uri = new URI(value);
      if (!("http".equals(uri.getScheme()) || "https".equals(uri.getScheme()))
          || uri.getHost() == null) {
        throw new URISyntaxException(value, "needs http(s)://host[:port]");
      }
    } catch (URISyntaxException e) {
      invalid(key, "is '" + value + "', not an http(s) URL");
    }
    return this;
  }

  /** {@code host:port}. */
  public ConfigChecks hostPort(String key, String value) {
    if (!HOST_PORT.matcher(value).matches()) {
      invalid(key, "holds '" + value + "', which is not host:port");
    }
    return this;
  }

  /** Each of {@code values} is {@code host:port}. */
  public ConfigChecks hostPorts(String key, Collection<String> values) {
    values.forEach(value -> hostPort(key, value));
    return this;
  }

  /** Each of {@code mappings} is {@code from=to}, both sides non-empty. */
  public ConfigChecks mappings(String key, Collection<String> mappings) {
    for (String mapping : mappings) {
      String[] parts = mapping.split("=", -1);
      if (parts.length != 2 || parts[0].isBlank() || parts[1].isBlank()) {
        invalid(key, "holds '" + mapping + "', which is not from=to");
      }
    }
    return this;
  }

  /** A readable file, named by a JSON file key. */
  public ConfigChecks existingFile(String key, String value) {
    return existingFile(key, value, "a JSON file");
  }

  /**
   * A readable regular file.
   *
   * @param what what the file holds, said when the key is empty
   */
  public ConfigChecks existingFile(String key, String value, String what) {
    if (value.isBlank()) {
      return missing(key, what);
    }
    Path path;
    try {
      path = Path.of(value);
    } catch (InvalidPathException e) {
      return invalid(key, "names '" + value + "', which is no valid path: " + e.getReason());
    }
    if (!Files.isRegularFile(path) || !Files.isReadable(path)) {
      invalid(
          key,
          "names '"
              + value
              + "', which is not a readable file (relative paths start at "
              + Path.of("").toAbsolutePath()
              + ")");
    }
    return this;
  }

  /** Adds a problem when {@code ok} is false. */
  public ConfigChecks require(boolean ok, String key, String text) {
    return ok ? this : invalid(key, text);
  }

  /** {@code key 'K' (origin) TEXT}. */
  public ConfigChecks invalid(String key, String text) {
    problems.add(ConfigProblem.invalid(key, text));
    return this;
  }

  /** As {@link #invalid(String, String)}, with the origin of another key (a map's). */
  public ConfigChecks invalid(String key, String originKey, String text) {
    problems.add(ConfigProblem.invalid(key, originKey, text));
    return this;
  }

  /** A required value left empty. */
  public ConfigChecks missing(String key, String what) {
    problems.add(ConfigProblem.missing(key, what));
    return this;
  }

  /** Keys that only together are wrong. */
  public ConfigChecks keys(List<String> keys, String text) {
    problems.add(ConfigProblem.keys(keys, text));
    return this;
  }

  /** Adds problems another record found, their keys under {@code prefix}. */
  public ConfigChecks addAll(String prefix, List<ConfigProblem> found) {
    found.forEach(problem -> problems.add(problem.under(prefix)));
    return this;
  }

  public List<ConfigProblem> problems() {
    return List.copyOf(problems);
  }

  /**
   * @throws InvalidConfigException with every problem found, when there is any
   */
  public void orThrow() {
    if (!problems.isEmpty()) {
      throw new InvalidConfigException(problems);
    }
  }
}
