package io.courier.gateway;

import io.courier.runtime.RoleContext;
import io.courier.runtime.config.CourierConfig.GatewayConfig;
import io.vertx.core.Future;
import io.vertx.core.VerticleBase;
import io.vertx.core.http.HttpServer;
import io.vertx.core.http.HttpServerOptions;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.healthchecks.HealthCheckHandler;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** The gateway's HTTP server: health endpoints now, the REST API later. */
public final class GatewayHttpVerticle extends VerticleBase {

  private static final Logger LOG = LoggerFactory.getLogger(GatewayHttpVerticle.class);

  private final RoleContext context;
  private HttpServer server;

  public GatewayHttpVerticle(RoleContext context) {
    this.context = context;
  }

  @Override
  public Future<?> start() {
    GatewayConfig config = context.config().gateway();
    return vertx
        .createHttpServer(new HttpServerOptions().setHost(config.host()).setPort(config.port()))
        .requestHandler(router())
        .listen()
        .onSuccess(this::announce);
  }

  @Override
  public Future<?> stop() {
    return server == null ? Future.succeededFuture() : server.shutdown();
  }

  private Router router() {
    Router router = Router.router(vertx);
    router
        .get("/health/live")
        .handler(HealthCheckHandler.createWithHealthChecks(context.liveness()));
    router
        .get("/health/ready")
        .handler(HealthCheckHandler.createWithHealthChecks(context.readiness()));
    return router;
  }

  private void announce(HttpServer listening) {
    server = listening;
    String url = "http://" + context.config().gateway().host() + ":" + listening.actualPort();
    context.announce("gateway", url);
    LOG.info("gateway listening on {}", url);
  }
}
