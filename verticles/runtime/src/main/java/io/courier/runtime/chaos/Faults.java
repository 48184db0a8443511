package io.courier.runtime.chaos;

import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ThreadLocalRandom;

/**
 * The fault points of one process, declared by its roles ({@code Role.faultPoints()}). A role's
 * code calls {@link #at(String)} where a fault may strike (the user service before answering
 * GetUser, the simulated payment provider before answering a charge); the returned future completes
 * after the injected latency, or fails with {@link InjectedFaultException} for the injected share
 * of calls. With no fault set, or fault injection off, it is an already-completed future and costs
 * one map lookup.
 *
 * <p>Faults are set through the admin server ({@code PUT /admin/faults/{point}}) and only when the
 * process was started with {@code admin.faultInjection = true}.
 */
public final class Faults {

  /** The longest latency a fault may add: longer would outlast every deadline anyway. */
  public static final long MAX_LATENCY_MS = 60_000;

  private final Vertx vertx;
  private final Set<String> points;
  private final Map<String, Fault> active = new ConcurrentHashMap<>();
  private volatile boolean enabled;

  private Faults(Vertx vertx, Set<String> points) {
    this.vertx = vertx;
    this.points = Set.copyOf(points);
  }

  /** The fault points {@code points} of a process, with injection off until {@link #enable()}. */
  public static Faults create(Vertx vertx, Set<String> points) {
    return new Faults(vertx, points);
  }

  /** The points that may be set, sorted. */
  public Set<String> points() {
    return new TreeSet<>(points);
  }

  /** Allows faults to be set (the runtime calls this when admin.faultInjection is true). */
  public void enable() {
    enabled = true;
  }

  public boolean enabled() {
    return enabled;
  }

  /**
   * One fault.
   *
   * @param latencyMs added before the point answers, 0..{@value #MAX_LATENCY_MS}
   * @param errorRatio share of calls that fail, 0..1 (decided per call, after the latency)
   */
  public record Fault(long latencyMs, double errorRatio) {

    public Fault {
      if (latencyMs < 0 || latencyMs > MAX_LATENCY_MS) {
        throw new IllegalArgumentException(
            "latencyMs must be 0.." + MAX_LATENCY_MS + ", was " + latencyMs);
      }
      if (!(errorRatio >= 0 && errorRatio <= 1)) {
        throw new IllegalArgumentException("errorRatio must be 0..1, was " + errorRatio);
      }
    }

    /**
     * Reads {@code {"latencyMs": 2000, "errorRatio": 0.5}}; both optional (0), nothing else.
     *
     * @throws IllegalArgumentException naming the bad key
     */
    public static Fault fromJson(JsonObject json) {
      for (String key : json.fieldNames()) {
        if (!key.equals("latencyMs") && !key.equals("errorRatio")) {
          throw new IllegalArgumentException(
              "unknown key '" + key + "'; a fault has latencyMs and errorRatio");
        }
      }
      Object latency = json.getValue("latencyMs", 0);
      Object ratio = json.getValue("errorRatio", 0);
      if (!(latency instanceof Number) || latency instanceof Double || latency instanceof Float) {
        throw new IllegalArgumentException("latencyMs must be a whole number of milliseconds");
      }
      if (!(ratio instanceof Number)) {
        throw new IllegalArgumentException("errorRatio must be a number between 0 and 1");
      }
      return new Fault(((Number) latency).longValue(), ((Number) ratio).doubleValue());
    }

    public JsonObject toJson() {
      return new JsonObject().put("latencyMs", latencyMs).put("errorRatio", errorRatio);
    }
  }

  /** Thrown into a call a fault made fail. */
  public static final class InjectedFaultException extends RuntimeException {
    InjectedFaultException(String point) {
      super("fault injected at " + point, null, false, false);
    }
  }

  /**
   * Sets the fault of {@code point}, replacing any.
   *
   * @throws IllegalStateException when fault injection is off
   * @throws IllegalArgumentException for an unknown point
   */
  public void set(String point, Fault fault) {
    requireEnabled();
    requirePoint(point);
    active.put(point, fault);
  }

  /** Clears the fault of {@code point}; true if one was set. */
  public boolean clear(String point) {
    requireEnabled();
    requirePoint(point);
    return active.remove(point) != null;
  }

  /** The faults set now, by point. */
  public Map<String, Fault> active() {
    return new TreeMap<>(active);
  }

  /** Where a fault may strike: completes after its latency, or fails for its share of calls. */
  public Future<Void> at(String point) {
    Fault fault = active.get(point);
    if (fault == null) {
      return Future.succeededFuture();
    }
    if (fault.latencyMs() == 0) {
      return outcome(point, fault);
    }
    Promise<Void> promise = Promise.promise();
    vertx.setTimer(fault.latencyMs(), id -> outcome(point, fault).onComplete(promise));
    return promise.future();
  }

  private static Future<Void> outcome(String point, Fault fault) {
    return ThreadLocalRandom.current().nextDouble() < fault.errorRatio()
        ? Future.failedFuture(new InjectedFaultException(point))
        : Future.succeededFuture();
  }

  private void requireEnabled() {
    if (!enabled) {
      throw new IllegalStateException(
          "fault injection is off; start the process with admin.faultInjection = true"
              + " (COURIER_ADMIN_FAULT_INJECTION=true)");
    }
  }

  private void requirePoint(String point) {
    if (!points.contains(point)) {
      throw new IllegalArgumentException("no fault point '" + point + "'; points: " + points());
    }
  }
}
