package io.courier.runtime.impl;

import io.courier.runtime.Role;
import io.courier.runtime.RoleDeployment;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;

/**
 * A role as a start-up stage: its deployments one after another (a failed one undeploys those
 * before it), undeployed in reverse order on stop, then whatever it left registered in discovery.
 */
public final class RoleStages {

  private RoleStages() {}

  /**
   * @param deployed the names of the roles deployed now, kept up to date for readiness
   */
  public static Stage of(Vertx vertx, Role role, DefaultRoleContext context, Set<String> deployed) {
    List<String> deploymentIds = new ArrayList<>();
    return new Stage(
        "role '" + role.name() + "'",
        () -> {
          Future<?> chain = Future.succeededFuture();
          for (RoleDeployment deployment : role.deployments(context)) {
            chain =
                chain.compose(
                    v ->
                        vertx
                            .deployVerticle(deployment.verticle(), deployment.options())
                            .onSuccess(deploymentIds::add)
                            .recover(
                                e ->
                                    undeployAll(vertx, deploymentIds)
                                        .eventually(context::deregisterAll)
                                        .transform(u -> Future.failedFuture(e))));
          }
          return chain.onSuccess(v -> deployed.add(role.name()));
        },
        () -> {
          deployed.remove(role.name());
          return undeployAll(vertx, deploymentIds).eventually(context::deregisterAll);
        });
  }

  private static Future<Void> undeployAll(Vertx vertx, List<String> deploymentIds) {
    Future<Void> chain = Future.succeededFuture();
    for (int i = deploymentIds.size() - 1; i >= 0; i--) {
      String id = deploymentIds.get(i);
      chain = chain.compose(v -> vertx.undeploy(id));
    }
    return chain.onComplete(v -> deploymentIds.clear());
  }
}
