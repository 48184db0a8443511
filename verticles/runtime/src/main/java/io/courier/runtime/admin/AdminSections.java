package io.courier.runtime.admin;

import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Supplier;

/**
 * What parts of a process add to its admin view ({@code GET /admin}), e.g. the instances its gRPC
 * clients have discovered. Each section is a JSON-able value computed when the view is asked for.
 * One per process; roles reach it through their {@code RoleContext}.
 */
public final class AdminSections {

  private final Map<String, Supplier<Object>> sections = new ConcurrentHashMap<>();

  /** Adds or replaces the section {@code name}. */
  public void put(String name, Supplier<Object> view) {
    sections.put(name, view);
  }

  /** Adds the section {@code name} unless there is one already; true when added. */
  public boolean putIfAbsent(String name, Supplier<Object> view) {
    return sections.putIfAbsent(name, view) == null;
  }

  /**
   * The section {@code name}, made by {@code create} on first use: for a section that gathers what
   * many parts of the process contribute (the instances every client has discovered).
   *
   * @throws IllegalStateException when the section exists and is not of {@code type}
   */
  public <T extends Supplier<Object>> T section(String name, Class<T> type, Supplier<T> create) {
    Supplier<Object> section = sections.computeIfAbsent(name, n -> create.get());
    if (!type.isInstance(section)) {
      throw new IllegalStateException(
          "admin section '" + name + "' is a " + section.getClass().getName());
    }
    return type.cast(section);
  }

  public void remove(String name) {
    sections.remove(name);
  }

  /** The sections, by name. */
  public Map<String, Supplier<Object>> all() {
    return new TreeMap<>(sections);
  }
}
