package io.courier.gateway;

import io.courier.runtime.RoleContext;
import io.vertx.core.Future;
import io.vertx.core.Handler;
import io.vertx.core.VerticleBase;
import io.vertx.core.http.HttpHeaders;
import io.vertx.core.http.HttpServer;
import io.vertx.core.http.HttpServerOptions;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import io.vertx.ext.web.handler.BodyHandler;
import io.vertx.ext.web.handler.TimeoutHandler;
import io.vertx.ext.web.healthchecks.HealthCheckHandler;
import io.vertx.ext.web.openapi.router.RouterBuilder;
import io.vertx.openapi.contract.OpenAPIContract;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The gateway's HTTP server: liveness and readiness, and the REST API of {@value #CONTRACT},
 * validated by Vert.x's OpenAPI router before any handler runs.
 */
public final class GatewayHttpVerticle extends VerticleBase {

  /** The OpenAPI document, on the classpath: the REST API's public contract. */
  public static final String CONTRACT = ApiContract.PATH;

  private static final Logger LOG = LoggerFactory.getLogger(GatewayHttpVerticle.class);

  private final RoleContext context;
  private final OrderWatches watches;
  private Backends backends;
  private HttpServer server;
  private EdgeTls tls;
  private EdgeAuth auth;
  private HeaderDeadline headerDeadline;

  GatewayHttpVerticle(RoleContext context, OrderWatches watches) {
    this.context = context;
    this.watches = watches;
  }

  @Override
  public Future<?> start() {
    GatewayConfig config = context.config(GatewayConfig.SECTION);
    watches.acquire(vertx);
    return Backends.create(vertx, context)
        .compose(
            created -> {
              backends = created;
              return EdgeAuth.start(vertx, config.auth(), context.identity());
            })
        .compose(
            started -> {
              auth = started;
              return ApiContract.load(vertx);
            })
        .map(this::router)
        .compose(
            router -> {
              tls = new EdgeTls(vertx, config.tls());
              HttpServerOptions plain =
                  new HttpServerOptions()
                      .setHost(config.host())
                      .setPort(config.port())
                      .setMaxHeaderSize(config.maxHeaderBytes())
                      .setMaxInitialLineLength(config.maxUriLength())
                      .setIdleTimeout((int) config.idleTimeoutMs())
                      .setIdleTimeoutUnit(TimeUnit.MILLISECONDS);
              // The PEM files are read on a worker, not on this event loop.
              return vertx
                  .<HttpServerOptions>executeBlocking(() -> tls.apply(plain), false)
                  .<HttpServer>compose(
                      options ->
                          vertx
                              .createHttpServer(options)
                              .connectionHandler(headerDeadline::opened)
                              .invalidRequestHandler(GatewayHttpVerticle::refuseUndecodable)
                              .requestHandler(router)
                              .listen())
                  .onSuccess(tls::watch);
            })
        .onSuccess(this::announce);
  }

  @Override
  public Future<?> stop() {
    if (tls != null) {
      tls.stop();
    }
    if (auth != null) {
      auth.stop();
    }
    Future<Void> closed = server == null ? Future.succeededFuture() : server.shutdown();
    return closed
        .eventually(watches::release)
        .eventually(() -> backends == null ? Future.succeededFuture() : backends.close());
  }

  /**
   * The requests the API's request timeout does not apply to: an event stream ends with its order
   * or its client, an import has its own timeout ({@code gateway.imports.timeoutMs}).
   */
  private static final Predicate<RoutingContext> OWN_TIMEOUT =
      ((Predicate<RoutingContext>) OrderImport::isImport).or(OrderEventsSse::isStream);

  /** {@code handler}, except for the requests {@code exempt} selects, which go on untouched. */
  private static Handler<RoutingContext> except(
      Predicate<RoutingContext> exempt, Handler<RoutingContext> handler) {
    return routing -> {
      if (exempt.test(routing)) {
        routing.next();
      } else {
        handler.handle(routing);
      }
    };
  }

  private Router router(OpenAPIContract contract) {
    GatewayConfig config = context.config(GatewayConfig.SECTION);
    OrdersApi api = new OrdersApi(backends, Duration.ofMillis(config.requestTimeoutMs()));
    FormBodies bodies = new FormBodies();
    EdgeValidation validation = new EdgeValidation(vertx, contract, bodies);
    OrderImport imports =
        new OrderImport(
            vertx,
            config.imports(),
            backends,
            Duration.ofMillis(config.requestTimeoutMs()),
            contract,
            validation);
    // Server-Sent Events of an order's states, in a class of their own.
    OrderEventsSse events =
        new OrderEventsSse(backends, watches, api::deadline, config.idleTimeoutMs());
    RouterBuilder builder = RouterBuilder.create(vertx, contract, bodies);
    Map<String, Handler<RoutingContext>> operations =
        Map.of(
            "placeOrder",
            api::placeOrder,
            "importOrders",
            imports::handle,
            "getOrder",
            api::getOrder,
            "getUser",
            api::getUser,
            "getStock",
            api::getStock,
            OrderEventsSse.OPERATION,
            events::events);
    operations.forEach(
        (operation, handler) -> {
          // The contract's security requirements describe what EdgeAuth enforces (the token on
          // /api/*, the scope here); the router must not look for handlers of its own for them.
          builder.getRoute(operation).setDoSecurity(false);
          // Validated on the event loop with validators built once, not by the router's own.
          // The validator cannot read a multipart body streamed to a file; OrderImport checks its
          // own lines with the same EdgeValidation.
          builder.getRoute(operation).setDoValidation(false);
          if (!operation.equals("importOrders")) {
            builder.getRoute(operation).addHandler(validation.handler(operation));
          }
          if (auth != null) {
            builder.getRoute(operation).addHandler(auth.requireScopeOf(operation));
          }
          builder.getRoute(operation).addHandler(handler);
        });

    Router router = Router.router(vertx);
    headerDeadline = new HeaderDeadline(vertx, config.headerTimeoutMs());
    router.route().handler(headerDeadline::handle);
    // Admission first: a placement past the limit is refused before any of the work below.
    router.route("/api/*").handler(new EdgeAdmission(backends.admission));
    router
        .get("/health/live")
        .handler(HealthCheckHandler.createWithHealthChecks(context.liveness()));
    router
        .get("/health/ready")
        .handler(HealthCheckHandler.createWithHealthChecks(context.readiness().checks()));
    // A little more than the calls' own deadline, so they answer first with a precise problem.
    // Armed before the body is read, so a body that trickles in (slow-loris) times out too.
    router
        .route("/api/*")
        .handler(except(OWN_TIMEOUT, TimeoutHandler.create(config.requestTimeoutMs() + 500, 503)));
    router
        .route("/api/*")
        .handler(
            except(
                OrderImport::isImport,
                BodyHandler.create(false)
                    .setBodyLimit(config.maxBodyBytes())
                    .setHandleFileUploads(false)));
    imports.mount(router);
    RateLimitHandler limits =
        RateLimitHandler.create(vertx, config.rateLimit(), contract, context.meters());
    if (config.tls().terminatedUpstream()
        && config.rateLimit().preAuthLimited()
        && config.rateLimit().trustedProxies().isEmpty()) {
      LOG.warn(
          "TLS is terminated upstream but gateway.rateLimit.trustedProxies is empty: every client"
              + " behind that proxy shares one pre-authentication limit of {}/s",
          config.rateLimit().preAuth().requestsPerSecond());
    }
    // Per client address, before authentication: floods without a valid token are limited too.
    router.route("/api/*").handler(limits.beforeAuthentication());
    if (auth != null) {
      router.route("/api/*").handler(auth::authenticate);
    }
    // Keyed on the authenticated subject: keep it after authentication, last before the API.
    router.route("/api/*").handler(limits);
    router.route("/*").subRouter(builder.createRouter());
    router.route().failureHandler(new Problems(contract)::onFailure);
    router.errorHandler(404, Problems::onError);
    router.errorHandler(405, Problems::onError);
    return router;
  }

  /**
   * Vert.x's own answer to a request it cannot decode (431 for headers over {@code maxHeaderBytes},
   * 414 for a request line over {@code maxUriLength}, else 400), which closes the connection, now
   * saying so with {@code Connection: close}. Without it a client that keeps connections alive
   * (Node's HTTP agent, and so Prism's proxy) sends its next request on the closed connection and
   * sees it hang up.
   */
  private static void refuseUndecodable(HttpServerRequest request) {
    request.response().putHeader(HttpHeaders.CONNECTION, HttpHeaders.CLOSE);
    HttpServerRequest.DEFAULT_INVALID_REQUEST_HANDLER.handle(request);
  }

  private void announce(HttpServer listening) {
    server = listening;
    String url =
        (context.config(GatewayConfig.SECTION).tls().enabled() ? "https://" : "http://")
            + context.config(GatewayConfig.SECTION).host()
            + ":"
            + listening.actualPort();
    context.announce("gateway", url);
    LOG.info("gateway listening on {}", url);
  }
}
