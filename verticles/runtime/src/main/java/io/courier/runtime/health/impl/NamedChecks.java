package io.courier.runtime.health.impl;

import io.courier.runtime.health.Readiness;
import io.vertx.core.Handler;
import io.vertx.core.Promise;
import io.vertx.ext.healthchecks.HealthChecks;
import io.vertx.ext.healthchecks.Status;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/** {@link Readiness} over Vert.x health checks, giving each registration a name of its own. */
public final class NamedChecks implements Readiness {

  private final HealthChecks checks;
  private final Set<String> names = ConcurrentHashMap.newKeySet();

  public NamedChecks(HealthChecks checks) {
    this.checks = checks;
  }

  @Override
  public Registration register(String name, Handler<Promise<Status>> procedure) {
    String unique = name;
    for (int n = 2; !names.add(unique); n++) {
      unique = name + "#" + n;
    }
    String registered = unique;
    checks.register(registered, CHECK_TIMEOUT_MS, procedure);
    return () -> {
      checks.unregister(registered);
      names.remove(registered);
    };
  }

  @Override
  public HealthChecks checks() {
    return checks;
  }
}
