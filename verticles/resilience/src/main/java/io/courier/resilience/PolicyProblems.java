package io.courier.resilience;

import java.util.ArrayList;
import java.util.List;

/**
 * The problems found in one policy file, each naming its key ({@code key
 * 'policies.standard.retry.maxAttempts' must be >= 1, was 0}), in the order they were found. An
 * instance is a view at one key: {@link #at} gives the view at a key below it, sharing the list, so
 * a section's record checks its own keys without knowing where the section sits in the file.
 */
final class PolicyProblems {

  private final List<String> found;
  private final String key;

  private PolicyProblems(List<String> found, String key) {
    this.found = found;
    this.key = key;
  }

  /** An empty list, viewed at the top of the file. */
  static PolicyProblems ofFile() {
    return new PolicyProblems(new ArrayList<>(), "");
  }

  /** The view at {@code name} below this key. */
  PolicyProblems at(String name) {
    return new PolicyProblems(found, key.isEmpty() ? name : key + "." + name);
  }

  /** Adds a problem with this key: {@code key '<key>' <problem>}. */
  void add(String problem) {
    found.add("key '" + key + "' " + problem);
  }

  /** Unless {@code ok}, adds {@code key '<key>.<name>' <rule>, was <value>}. */
  void check(String name, boolean ok, Object value, String rule) {
    if (!ok) {
      at(name).add(rule + ", was " + value);
    }
  }

  void positive(String name, long value) {
    check(name, value > 0, value, "must be positive");
  }

  void atLeast(String name, long value, long min) {
    check(name, value >= min, value, "must be >= " + min);
  }

  /** A ratio above 0 and at most 1. */
  void fraction(String name, double value) {
    check(name, value > 0 && value <= 1, value, "must be in (0, 1]");
  }

  /** {@code bounds} names the limits in the message: {@code must be between <bounds>}. */
  void between(String name, long value, long min, long max, String bounds) {
    check(name, value >= min && value <= max, value, "must be between " + bounds);
  }

  /** A key that only the other {@code algorithm} reads must be left out. */
  void onlyFor(String name, Object value, String algorithm) {
    if (value != null) {
      at(name).add("applies only to " + algorithm + ", was " + value);
    }
  }

  /** Every problem found, in order. */
  List<String> found() {
    return List.copyOf(found);
  }
}
