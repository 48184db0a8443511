package io.courier.user;

import io.courier.codec.flow.Services;
import io.courier.contract.v1.UserServiceGrpcService;
import io.courier.runtime.RoleContext;
import io.courier.service.GrpcEndpoint;
import io.courier.service.Policies;
import io.vertx.core.Future;
import io.vertx.core.VerticleBase;
import java.util.List;
import java.util.Set;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Loads the users, serves them over gRPC under the service's inbound policy (the {@code
 * inbound."user-service"} section of the policy file, reloaded with it), and registers the endpoint
 * in discovery.
 */
public final class UserGrpcVerticle extends VerticleBase {

  private static final Logger LOG = LoggerFactory.getLogger(UserGrpcVerticle.class);

  private final RoleContext context;
  private Policies policies;
  private GrpcEndpoint endpoint;

  public UserGrpcVerticle(RoleContext context) {
    this.context = context;
  }

  @Override
  public Future<?> start() {
    return loadUsers().compose(this::serve);
  }

  @Override
  public Future<?> stop() {
    return (endpoint == null ? Future.<Void>succeededFuture() : endpoint.stop())
        .eventually(
            () -> {
              if (policies != null) {
                policies.close();
              }
              return Future.succeededFuture();
            });
  }

  private Future<DefaultUserService> loadUsers() {
    String seedFile = context.config(UserServiceConfig.SECTION).seedFile();
    return vertx
        .fileSystem()
        .readFile(seedFile)
        .map(
            seed ->
                new DefaultUserService(
                    DefaultUserService.parseSeed(seed.toString(), seedFile), context.faults()))
        .onSuccess(users -> LOG.info("user service holds {} users", users.size()));
  }

  private Future<Void> serve(DefaultUserService users) {
    return Policies.load(vertx, context)
        .compose(
            loaded -> {
              policies = loaded;
              return GrpcEndpoint.start(
                  vertx,
                  context,
                  policies,
                  Services.USER,
                  context.config(UserServiceConfig.SECTION).grpcPort(),
                  List.of(UserServiceGrpcService.of(users)),
                  // A user's profile: with security.identity.required, only for a caller's
                  // identity.
                  Set.of("courier.v1.UserService/GetUser"));
            })
        .onSuccess(started -> endpoint = started)
        .mapEmpty();
  }
}
