package io.courier.runtime.config;

import java.util.List;

/** Configuration that cannot be used; the message names every bad key and its origin. */
public class ConfigException extends RuntimeException {

  private static final long serialVersionUID = 1L;

  private final List<String> problems;

  public ConfigException(List<String> problems) {
    super(String.join("; ", problems));
    this.problems = List.copyOf(problems);
  }

  public ConfigException(String problem) {
    this(List.of(problem));
  }

  /** One line per problem. */
  public List<String> problems() {
    return problems;
  }
}
