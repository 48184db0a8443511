package io.courier.gateway;

import io.courier.gateway.GatewayConfig.AuthConfig;
import io.courier.runtime.security.IdentitySeal;
import io.courier.service.CallerIdentity;
import io.courier.service.ServiceError;
import io.vertx.core.Future;
import io.vertx.core.Handler;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpClient;
import io.vertx.core.http.HttpClientOptions;
import io.vertx.core.http.HttpClientRequest;
import io.vertx.core.http.HttpHeaders;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.RequestOptions;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.auth.User;
import io.vertx.ext.web.RoutingContext;
import io.vertx.ext.web.impl.UserContextInternal;
import java.nio.file.Path;
import java.time.Clock;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Bearer-token authentication of the REST API ({@code gateway.auth}): every {@code /api} request
 * needs a valid token (401 with a problem body and {@code WWW-Authenticate} otherwise), each
 * operation the scope configured for it (403). The verified caller becomes the routing context's
 * user and a {@link CallerIdentity} the handlers pass on to downstream hops.
 */
final class EdgeAuth {

  private static final Logger LOG = LoggerFactory.getLogger(EdgeAuth.class);
  private static final String IDENTITY = "courier.identity";

  private final AuthConfig config;
  private final JwtVerifier verifier;
  private final HttpClient client;
  private final IdentitySeal seal;

  private EdgeAuth(AuthConfig config, JwtVerifier verifier, HttpClient client, IdentitySeal seal) {
    this.config = config;
    this.verifier = verifier;
    this.client = client;
    this.seal = seal;
  }

  /**
   * The authentication of {@code config}, its keys read; null when {@code mode} is none. The
   * identities it admits are sealed with {@code seal} for the hops after the gateway.
   */
  static Future<EdgeAuth> start(Vertx vertx, AuthConfig config, IdentitySeal seal) {
    return start(vertx, config, Clock.systemUTC(), seal);
  }

  /** As above, on {@code clock} (tests move time), sealing nothing. */
  static Future<EdgeAuth> start(Vertx vertx, AuthConfig config, Clock clock) {
    return start(vertx, config, clock, IdentitySeal.none());
  }

  private static Future<EdgeAuth> start(
      Vertx vertx, AuthConfig config, Clock clock, IdentitySeal seal) {
    if (!config.enabled()) {
      LOG.warn("gateway.auth.mode is none: the REST API accepts calls from anyone");
      return Future.succeededFuture(null);
    }
    HttpClient client =
        config.jwksUrl().isBlank()
            ? null
            : vertx.createHttpClient(
                new HttpClientOptions()
                    .setConnectTimeout(5_000)
                    .setIdleTimeout(30)
                    .setMaxRedirects(0));
    JwtVerifier verifier =
        new JwtVerifier(
            vertx,
            config,
            client == null ? () -> devKeys(vertx, config) : () -> fetch(client, config),
            clock);
    EdgeAuth auth = new EdgeAuth(config, verifier, client, seal);
    return verifier.start().map(auth).onFailure(e -> auth.stop());
  }

  void stop() {
    verifier.stop();
    if (client != null) {
      client.close();
    }
  }

  /** Tokens held as verified (tests). */
  int verifiedTokens() {
    return verifier.verifiedTokens();
  }

  /** Makes {@code caller} the verified caller of this request. */
  static void attach(RoutingContext routing, CallerIdentity caller) {
    routing.put(IDENTITY, caller);
  }

  /** The caller of a request that passed {@link #authenticate}, if authentication is on. */
  static CallerIdentity identity(RoutingContext routing) {
    return routing.get(IDENTITY);
  }

  private static final String TOKEN_REQUIRED =
      "a bearer token is required (Authorization: Bearer <token>)";

  /**
   * The caller an {@code Authorization} header stands for (a gRPC call's metadata), or a {@link
   * JwtVerifier.Refused} failure.
   */
  Future<CallerIdentity> admit(String authorization) {
    if (!isBearer(authorization)) {
      return Future.failedFuture(new JwtVerifier.Refused(TOKEN_REQUIRED));
    }
    return verifier
        .verify(authorization.substring(7).trim())
        .map(user -> JwtVerifier.identity(user).sealedWith(seal));
  }

  /** Whether {@code caller} holds the scope {@code operation} requires. */
  boolean permits(CallerIdentity caller, String operation) {
    String scope = scopeOf(operation);
    return scope.isEmpty() || (caller != null && caller.has(scope));
  }

  String scopeOf(String operation) {
    return config.scopes().getOrDefault(operation, "");
  }

  private static boolean isBearer(String header) {
    return header != null && header.length() >= 8 && header.regionMatches(true, 0, "Bearer ", 0, 7);
  }

  /** Admits requests with a valid bearer token. */
  void authenticate(RoutingContext routing) {
    String header = routing.request().getHeader("Authorization");
    if (!isBearer(header)) {
      unauthorized(routing, TOKEN_REQUIRED, false);
      return;
    }
    verifier
        .verify(header.substring(7).trim())
        .onComplete(
            done -> {
              if (done.failed()) {
                String reason =
                    done.cause() instanceof JwtVerifier.Refused
                        ? done.cause().getMessage()
                        : "token refused";
                unauthorized(routing, reason, true);
                return;
              }
              User user = done.result();
              // What Vert.x's own authentication handlers do: the user of this request.
              ((UserContextInternal) routing.userContext()).setUser(user);
              attach(routing, JwtVerifier.identity(user).sealedWith(seal));
              routing.next();
            });
  }

  /** Admits authenticated requests whose token grants the scope {@code operation} requires. */
  Handler<RoutingContext> requireScopeOf(String operation) {
    String scope = scopeOf(operation);
    return routing -> {
      if (permits(identity(routing), operation)) {
        routing.next();
        return;
      }
      routing
          .response()
          .putHeader(
              "WWW-Authenticate",
              "Bearer realm=\"courier\", error=\"insufficient_scope\", scope=\"" + scope + "\"");
      Problems.send(
          routing,
          ServiceError.forbidden(
              "insufficient-scope", "this operation needs the scope '" + scope + "'"),
          List.of());
    };
  }

  private static void unauthorized(RoutingContext routing, String reason, boolean invalid) {
    routing
        .response()
        .putHeader(
            "WWW-Authenticate",
            invalid
                ? "Bearer realm=\"courier\", error=\"invalid_token\", error_description=\""
                    + reason.replace('"', '\'')
                    + "\""
                : "Bearer realm=\"courier\"");
    Problems.send(routing, new ServiceError(401, "unauthorized", reason, ""), List.of());
  }

  /**
   * Reads the JWKS: a GET that follows no redirect (a 3xx is a failure, so a compromised or
   * misconfigured provider cannot send the gateway elsewhere), within 10 s, and reads at most
   * {@code jwksMaxBytes} (a larger declared or streamed body is cut off and refused).
   */
  static Future<JsonObject> fetch(HttpClient client, AuthConfig config) {
    RequestOptions request =
        new RequestOptions()
            .setMethod(HttpMethod.GET)
            .setAbsoluteURI(config.jwksUrl())
            .setFollowRedirects(false)
            .setIdleTimeout(10_000)
            .putHeader(HttpHeaders.USER_AGENT, "courier-gateway")
            .putHeader(HttpHeaders.ACCEPT, "application/json");
    int limit = config.jwksMaxBytes();
    return client
        .request(request)
        .compose(HttpClientRequest::send)
        .compose(
            response -> {
              if (response.statusCode() != 200) {
                response.request().reset();
                return Future.failedFuture(
                    new IllegalStateException(
                        config.jwksUrl() + " answered " + response.statusCode()));
              }
              if (declaredLength(response.getHeader(HttpHeaders.CONTENT_LENGTH)) > limit) {
                response.request().reset();
                return Future.failedFuture(tooLarge(config));
              }
              Promise<JsonObject> document = Promise.promise();
              Buffer body = Buffer.buffer();
              response.handler(
                  chunk -> {
                    if (body.length() + chunk.length() > limit) {
                      document.tryFail(tooLarge(config));
                      response.request().reset();
                    } else {
                      body.appendBuffer(chunk);
                    }
                  });
              response.exceptionHandler(document::tryFail);
              response.endHandler(
                  end -> {
                    try {
                      document.tryComplete(body.toJsonObject());
                    } catch (RuntimeException e) {
                      document.tryFail(
                          new IllegalStateException(
                              config.jwksUrl() + " is not a JSON object: " + e.getMessage()));
                    }
                  });
              return document.future();
            });
  }

  /** A Content-Length header as a number; absent or not a number: -1 (the body is counted). */
  private static long declaredLength(String header) {
    if (header == null || header.isBlank() || header.trim().length() > 18) {
      return header == null || header.isBlank() ? -1 : Long.MAX_VALUE;
    }
    try {
      return Long.parseLong(header.trim());
    } catch (NumberFormatException e) {
      return -1;
    }
  }

  private static IllegalStateException tooLarge(AuthConfig config) {
    return new IllegalStateException(
        config.jwksUrl()
            + " is larger than gateway.auth.jwksMaxBytes ("
            + config.jwksMaxBytes()
            + ")");
  }

  private static Future<JsonObject> devKeys(Vertx vertx, AuthConfig config) {
    return vertx.executeBlocking(
        () -> DevSigningKey.loadOrCreate(Path.of(config.devKeyDir())).jwks(), false);
  }
}
