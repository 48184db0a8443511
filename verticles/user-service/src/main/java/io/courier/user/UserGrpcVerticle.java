package io.courier.user;

import io.courier.contract.v1.UserServiceGrpcService;
import io.courier.discovery.Discovery;
import io.courier.runtime.RoleContext;
import io.courier.runtime.config.CourierConfig.ServicesConfig;
import io.courier.runtime.security.MutualTls;
import io.courier.service.Discoveries;
import io.courier.service.Endpoints;
import io.courier.service.Policies;
import io.courier.service.Topology;
import io.vertx.core.Future;
import io.vertx.core.VerticleBase;
import io.vertx.core.http.HttpServer;
import java.util.List;
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
  private Discovery discovery;
  private Policies policies;
  private HttpServer server;
  private String registration;

  public UserGrpcVerticle(RoleContext context) {
    this.context = context;
  }

  @Override
  public Future<?> start() {
    ServicesConfig config = context.config().services();
    discovery = Discoveries.create(vertx, context.config().discovery());
    return vertx
        .fileSystem()
        .readFile(config.user().seedFile())
        .map(
            seed ->
                new DefaultUserService(
                    DefaultUserService.parseSeed(seed.toString(), config.user().seedFile()),
                    io.courier.runtime.chaos.Faults.of(vertx)))
        .compose(
            users -> {
              LOG.info("user service holds {} users", users.size());
              return Policies.load(vertx, context.config())
                  .compose(
                      loaded -> {
                        policies = loaded;
                        return MutualTls.load(vertx, context.config().security().mtls());
                      })
                  .compose(
                      tls ->
                          Endpoints.grpcServer(
                              vertx,
                              tls,
                              UserServiceRole.NAME,
                              config.host(),
                              config.user().grpcPort(),
                              List.of(UserServiceGrpcService.of(users)),
                              policies.inbound(Topology.USER_SERVICE)));
            })
        .compose(
            listening -> {
              server = listening;
              return Endpoints.register(
                  discovery,
                  Topology.USER_SERVICE,
                  config.reachableHost(),
                  listening.actualPort(),
                  UserServiceRole.NAME);
            })
        .onSuccess(
            id -> {
              registration = id;
              context.announce(
                  "user-service (gRPC)", config.reachableHost() + ":" + server.actualPort());
            });
  }

  @Override
  public Future<?> stop() {
    Future<Void> deregistered =
        registration == null ? Future.succeededFuture() : discovery.deregister(registration);
    return deregistered
        .recover(error -> Future.succeededFuture())
        .compose(v -> server == null ? Future.succeededFuture() : server.shutdown())
        .eventually(
            () -> {
              if (policies != null) {
                policies.close();
              }
              discovery.close();
              return Future.succeededFuture();
            });
  }
}
