package io.courier.service;

import io.courier.resilience.TargetBreaker;
import io.courier.runtime.admin.AdminSections;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.time.Clock;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.function.Supplier;

/**
 * The last {@value #KEPT} state changes of this process's breakers, oldest first, as its admin
 * view's {@code breakerTransitions} section (the console shows them): each {@code {"at", "target",
 * "instance", "state"}}, heard on {@link TargetBreaker#STATE_ADDRESS} in this process only.
 */
final class BreakerTransitions implements Supplier<Object> {

  /** The admin view's section. */
  static final String SECTION = "breakerTransitions";

  static final int KEPT = 50;

  private final Deque<JsonObject> recent = new ArrayDeque<>();
  private final Clock clock;

  private BreakerTransitions(Vertx vertx, Clock clock) {
    this.clock = clock;
    vertx
        .eventBus()
        .<JsonObject>localConsumer(TargetBreaker.STATE_ADDRESS, message -> heard(message.body()));
  }

  /** The process's transitions, listening from first use. */
  static BreakerTransitions of(Vertx vertx, AdminSections admin) {
    return admin.section(
        SECTION, BreakerTransitions.class, () -> new BreakerTransitions(vertx, Clock.systemUTC()));
  }

  private synchronized void heard(JsonObject change) {
    recent.addLast(change.copy().put("at", clock.instant().toString()));
    while (recent.size() > KEPT) {
      recent.removeFirst();
    }
  }

  @Override
  public synchronized Object get() {
    return new JsonArray(recent.stream().map(JsonObject::copy).toList());
  }
}
