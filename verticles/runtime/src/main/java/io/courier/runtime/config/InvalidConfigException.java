package io.courier.runtime.config;

import java.util.List;
import java.util.stream.Collectors;

/**
 * Thrown by a configuration record's validating constructor (and by {@link ConfigChecks#orThrow()})
 * with every problem it found, keys relative to that record. The loader turns them into a {@link
 * ConfigException} naming each key's full path and origin.
 */
public class InvalidConfigException extends IllegalArgumentException {

  private static final long serialVersionUID = 1L;

  private final transient List<ConfigProblem> problems;

  public InvalidConfigException(List<ConfigProblem> problems) {
    super(problems.stream().map(ConfigProblem::toString).collect(Collectors.joining("; ")));
    this.problems = List.copyOf(problems);
  }

  public List<ConfigProblem> problems() {
    return problems;
  }
}
