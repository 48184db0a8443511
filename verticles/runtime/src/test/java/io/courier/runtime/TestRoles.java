package io.courier.runtime;

import io.courier.runtime.config.ConfigSection;
import io.vertx.core.Future;
import io.vertx.core.VerticleBase;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.function.BiFunction;
import java.util.function.Supplier;
import java.util.stream.Collectors;

/** Roles of one verticle whose start and stop the test supplies. */
final class TestRoles {

  private TestRoles() {}

  /** Roles that own no configuration section, for a loader. */
  static Map<String, List<ConfigSection<?>>> named(String... names) {
    return Arrays.stream(names).collect(Collectors.toMap(name -> name, name -> List.of()));
  }

  /** A role whose single verticle runs {@code start} with the role context and its Vert.x. */
  static Role starting(String name, BiFunction<RoleContext, io.vertx.core.Vertx, Future<?>> start) {
    return lifecycle(name, start, Future::succeededFuture);
  }

  /**
   * A role that writes "start NAME" and "stop NAME" into {@code journal} as it deploys and goes.
   */
  static Role journaling(String name, List<String> journal) {
    return lifecycle(
        name,
        (context, vertx) -> {
          journal.add("start " + name);
          return Future.succeededFuture();
        },
        () -> {
          journal.add("stop " + name);
          return Future.succeededFuture();
        });
  }

  /** A role whose single verticle runs {@code start} on deploy and {@code stop} on undeploy. */
  static Role lifecycle(
      String name,
      BiFunction<RoleContext, io.vertx.core.Vertx, Future<?>> start,
      Supplier<Future<?>> stop) {
    return Role.of(
        name,
        roleContext ->
            List.of(
                RoleDeployment.of(
                    name,
                    () ->
                        new VerticleBase() {
                          @Override
                          public Future<?> start() {
                            return start.apply(roleContext, vertx);
                          }

                          @Override
                          public Future<?> stop() {
                            return stop.get();
                          }
                        },
                    1)));
  }
}
