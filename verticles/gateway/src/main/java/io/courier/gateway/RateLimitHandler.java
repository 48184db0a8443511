package io.courier.gateway;

import io.courier.gateway.GatewayConfig.RateLimitConfig;
import io.courier.gateway.GatewayConfig.RouteRateLimitConfig;
import io.courier.runtime.metrics.Meters;
import io.courier.service.CallerIdentity;
import io.courier.service.ServiceError;
import io.github.bucket4j.Bandwidth;
import io.github.bucket4j.BucketConfiguration;
import io.github.bucket4j.ConsumptionProbe;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.vertx.core.Future;
import io.vertx.core.Handler;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.http.HttpServerResponse;
import io.vertx.core.internal.ContextInternal;
import io.vertx.ext.auth.User;
import io.vertx.ext.web.RoutingContext;
import io.vertx.openapi.contract.OpenAPIContract;
import io.vertx.openapi.contract.Operation;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Function;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Limits the request rate per client and API operation ({@code gateway.rateLimit}). Mounted on
 * {@code /api/*} after authentication, so the client is the authenticated subject when there is
 * one, else the {@code X-API-Key} header when it is a configured key (hashed; never kept or logged
 * as sent), else the client address ({@link ClientAddress}). Each operation id of the contract has
 * its own limit ({@code routes}, else the default). Before authentication, {@link
 * #beforeAuthentication()} limits every API request per client address ({@code preAuth}).
 *
 * <p>Every limited response carries {@code RateLimit-Limit} (the bucket's size), {@code
 * RateLimit-Remaining} and {@code RateLimit-Reset} (seconds until the bucket is full again); a
 * request over the limit gets 429 with {@code Retry-After} (seconds until a token is back, rounded
 * up) and a problem body, and counts in {@code courier_gateway_rate_limited_total{route}}. A
 * decision that fails or takes longer than {@code timeoutMs} lets the request through and counts in
 * {@code courier_gateway_rate_limit_failures_total{route}}: an unreachable cluster map must not
 * take the API down.
 */
final class RateLimitHandler implements Handler<RoutingContext> {

  static final String API_KEY_HEADER = "X-API-Key";

  /** The route tag and key prefix of the limit per address taken before authentication. */
  static final String PRE_AUTH = "preAuth";

  /**
   * Key part of an authenticated client's buckets; {@link LocalRateLimiter} keeps them apart from
   * anonymous ones, so a flood of anonymous keys cannot evict them.
   */
  static final String AUTHENTICATED = "sub:";

  /**
   * The gRPC edge's methods and the REST operation whose limit (and buckets) each shares: a client
   * placing orders over both edges draws on one bucket.
   */
  static final Map<String, String> GRPC_OPERATIONS =
      Map.of(
          "courier.v1.OrderService/PlaceOrder", "placeOrder",
          "courier.v1.OrderService/GetOrder", "getOrder",
          "courier.v1.OrderService/WatchOrder", "getOrder");

  private static final Logger LOG = LoggerFactory.getLogger(RateLimitHandler.class);
  private static final long WARN_EVERY_MS = 60_000;
  private static final long NANOS_PER_SECOND = 1_000_000_000L;

  private final boolean enabled;

  /** A request's operation id (null when it has none): by the contract, or by gRPC method. */
  private final Function<HttpServerRequest, String> operationOf;

  private final Future<RateLimiter> limiter;
  private final long timeoutMs;
  private final Map<String, RouteLimit> routes = new HashMap<>();
  private final AtomicLong lastWarning = new AtomicLong(Long.MIN_VALUE / 2);
  private final ClientAddress addresses;
  private final Set<String> apiKeys;
  private final RouteLimit preAuth;

  /** A limit of one operation with its bucket and meters. */
  private record RouteLimit(
      String operationId,
      long limit,
      BucketConfiguration bucket,
      Counter rejected,
      Counter failed) {}

  /**
   * @param config {@code gateway.rateLimit}
   * @param contract the API, to find a request's operation id
   * @param limiter where the buckets live
   * @param registry where rejections are counted
   * @throws IllegalArgumentException when {@code routes} names an operation the contract lacks
   */
  RateLimitHandler(
      RateLimitConfig config,
      OpenAPIContract contract,
      Future<RateLimiter> limiter,
      MeterRegistry registry) {
    this(config, operationOf(contract), operations(config, contract), limiter, registry);
  }

  private RateLimitHandler(
      RateLimitConfig config,
      Function<HttpServerRequest, String> operationOf,
      List<String> operations,
      Future<RateLimiter> limiter,
      MeterRegistry registry) {
    this.enabled = config.enabled();
    this.operationOf = operationOf;
    this.limiter = limiter;
    this.timeoutMs = config.timeoutMs();
    for (String operation : operations) {
      routes.put(operation, limit(operation, config.route(operation), registry));
    }
    this.addresses = new ClientAddress(config.trustedProxies());
    this.apiKeys = Set.copyOf(config.apiKeys());
    this.preAuth = config.preAuthLimited() ? limit(PRE_AUTH, config.preAuth(), registry) : null;
  }

  /** Finds a REST request's operation in the contract. */
  private static Function<HttpServerRequest, String> operationOf(OpenAPIContract contract) {
    return request -> {
      Operation operation = contract.findOperation(request.path(), request.method());
      return operation == null ? null : operation.getOperationId();
    };
  }

  /** The REST operation a gRPC call shares its limit with ({@link #GRPC_OPERATIONS}). */
  private static String grpcOperation(HttpServerRequest request) {
    String method = request.path().isEmpty() ? "" : request.path().substring(1);
    return GRPC_OPERATIONS.get(method);
  }

  /** The contract's operation ids; fails when {@code routes} names one the contract lacks. */
  private static List<String> operations(RateLimitConfig config, OpenAPIContract contract) {
    List<String> operations =
        contract.operations().stream().map(Operation::getOperationId).toList();
    for (String configured : config.routes().keySet()) {
      if (!operations.contains(configured)) {
        throw new IllegalArgumentException(
            "key 'gateway.rateLimit.routes."
                + configured
                + "' names no operation of "
                + GatewayHttpVerticle.CONTRACT
                + "; operations: "
                + operations);
      }
    }
    return operations;
  }

  /**
   * The gRPC edge's limits: the process's buckets (the REST edge's too) under the limits of the
   * REST operations its methods share ({@link #GRPC_OPERATIONS}). The REST edge checks {@code
   * routes} against the contract.
   */
  static RateLimitHandler forGrpc(Vertx vertx, RateLimitConfig config, Meters meters) {
    return forGrpc(
        config,
        config.enabled()
            ? RateLimiter.forProcess(vertx, config)
            : Future.failedFuture("rate limiting is disabled"),
        meters.registry());
  }

  static RateLimitHandler forGrpc(
      RateLimitConfig config, Future<RateLimiter> limiter, MeterRegistry registry) {
    return new RateLimitHandler(
        config,
        RateLimitHandler::grpcOperation,
        List.copyOf(new TreeSet<>(GRPC_OPERATIONS.values())),
        limiter,
        registry);
  }

  private static RouteLimit limit(
      String route, RouteRateLimitConfig limit, MeterRegistry registry) {
    BucketConfiguration bucket =
        BucketConfiguration.builder()
            .addLimit(
                Bandwidth.builder()
                    .capacity(limit.burst())
                    .refillGreedy(limit.requestsPerSecond(), Duration.ofSeconds(1))
                    .build())
            .build();
    return new RouteLimit(
        route,
        limit.burst(),
        bucket,
        Counter.builder("courier.gateway.rate.limited")
            .description("Requests answered 429 because their client was over its limit")
            .tag("route", route)
            .register(registry),
        Counter.builder("courier.gateway.rate.limit.failures")
            .description("Requests let through unlimited because no decision came in time")
            .tag("route", route)
            .register(registry));
  }

  /**
   * The limit per client address on every API request, mounted before authentication: a flood of
   * requests without a valid token (each costing a signature check) is limited like any other. Does
   * nothing when {@code gateway.rateLimit.preAuth} is off.
   */
  Handler<RoutingContext> beforeAuthentication() {
    return routing -> {
      if (preAuth == null) {
        routing.next();
        return;
      }
      consume(routing, preAuth, PRE_AUTH + "|ip:" + addresses.of(routing.request()), false);
    };
  }

  /** The gateway's handler: the process's limiter and meters. */
  static RateLimitHandler create(
      Vertx vertx, RateLimitConfig config, OpenAPIContract contract, Meters meters) {
    Future<RateLimiter> limiter =
        config.enabled()
            ? RateLimiter.forProcess(vertx, config)
            : Future.failedFuture("rate limiting is disabled");
    return new RateLimitHandler(config, contract, limiter, meters.registry());
  }

  @Override
  public void handle(RoutingContext routing) {
    String operation = enabled ? operationOf.apply(routing.request()) : null;
    RouteLimit route = operation == null ? null : routes.get(operation);
    if (route == null) {
      // Unknown paths and methods are answered 404/405 by the router without any work.
      routing.next();
      return;
    }
    consume(routing, route, route.operationId() + "|" + client(routing), true);
  }

  private void consume(RoutingContext routing, RouteLimit route, String key, boolean headers) {
    probe(route, key, (ContextInternal) routing.vertx().getOrCreateContext())
        .onSuccess(probe -> decide(routing, route, probe, headers))
        .onFailure(
            failure -> {
              undecided(route, failure);
              if (!routing.response().ended()) {
                routing.next();
              }
            });
  }

  /**
   * Takes a token of {@code key}'s bucket; completes on {@code context} (so the answer and the
   * timeout both come back on the request's context) within {@code timeoutMs}.
   */
  private Future<ConsumptionProbe> probe(RouteLimit route, String key, ContextInternal context) {
    Promise<ConsumptionProbe> decision = context.promise();
    (limiter.succeeded()
            ? limiter.result().tryConsume(key, route.bucket())
            : limiter.compose(buckets -> buckets.tryConsume(key, route.bucket())))
        .onComplete(decision);
    return decision.future().timeout(timeoutMs, TimeUnit.MILLISECONDS);
  }

  /**
   * Admits a call of the gRPC edge against the REST edge's buckets: the limit per client address
   * before {@code authenticate} runs (so floods of bad tokens are limited before their signature
   * checks), then the limit of the REST operation the method shares, per client as {@link
   * #client(RoutingContext)} names it. Completes with the caller {@code authenticate} found; a call
   * over a limit fails with RESOURCE_EXHAUSTED, whose message says when to retry. As over REST, a
   * decision that fails or is late lets the call through.
   */
  Future<CallerIdentity> admitGrpc(
      HttpServerRequest request, Function<HttpServerRequest, Future<CallerIdentity>> authenticate) {
    ContextInternal context = (ContextInternal) Vertx.currentContext();
    String address = addresses.of(request);
    Future<Void> admitted =
        preAuth == null
            ? Future.succeededFuture()
            : limited(preAuth, PRE_AUTH + "|ip:" + address, context).recover(this::grpc);
    return admitted
        .compose(v -> authenticate.apply(request))
        .compose(
            caller -> {
              String operation = enabled ? operationOf.apply(request) : null;
              RouteLimit route = enabled && operation != null ? routes.get(operation) : null;
              if (route == null) {
                return Future.succeededFuture(caller);
              }
              String client =
                  caller != null
                      ? AUTHENTICATED + caller.subject()
                      : anonymous(request.getHeader(API_KEY_HEADER), address);
              return limited(route, route.operationId() + "|" + client, context)
                  .recover(this::grpc)
                  .map(caller);
            });
  }

  /**
   * One message of a stream as one call of {@code operation} (a PlaceOrders item is a PlaceOrder),
   * the client named as by {@link #admitGrpc}; fails with the 429 {@link ServiceError} when over.
   */
  Future<Void> admitMessage(
      String operation, CallerIdentity caller, String apiKey, String peer, List<String> forwarded) {
    RouteLimit route = enabled ? routes.get(operation) : null;
    if (route == null) {
      return Future.succeededFuture();
    }
    String client =
        caller != null
            ? AUTHENTICATED + caller.subject()
            : anonymous(apiKey, addresses.of(peer, forwarded));
    return limited(
        route, route.operationId() + "|" + client, (ContextInternal) Vertx.currentContext());
  }

  /** A refusal of {@link #limited} as the gRPC status RESOURCE_EXHAUSTED. */
  private Future<Void> grpc(Throwable refused) {
    return Future.failedFuture(
        refused instanceof ServiceError.Failure failure ? failure.error().toGrpc() : refused);
  }

  /** Succeeds when {@code key} had a token (or no decision came), else fails with a 429. */
  private Future<Void> limited(RouteLimit route, String key, ContextInternal context) {
    return probe(route, key, context)
        .transform(
            decided -> {
              if (decided.failed()) {
                undecided(route, decided.cause());
                return Future.succeededFuture();
              }
              ConsumptionProbe probe = decided.result();
              if (probe.isConsumed()) {
                return Future.succeededFuture();
              }
              route.rejected().increment();
              return Future.failedFuture(refusal(route, probe).failure());
            });
  }

  /**
   * Who is asking: {@code sub:<subject>} when authenticated, {@code key:<sha-256 of the API key>}
   * when the key is one of {@code apiKeys}, else {@code ip:<client address>}.
   */
  String client(RoutingContext routing) {
    // The verified token's sub: User#subject() would prefer a username claim if a token had one.
    CallerIdentity caller = EdgeAuth.identity(routing);
    if (caller != null) {
      return AUTHENTICATED + caller.subject();
    }
    User user = routing.user();
    if (user != null && user.subject() != null && !user.subject().isBlank()) {
      return AUTHENTICATED + user.subject();
    }
    return anonymous(routing.request().getHeader(API_KEY_HEADER), addresses.of(routing.request()));
  }

  /** {@code key:<hash>} for a configured API key, else {@code ip:<address>}. */
  private String anonymous(String apiKey, String address) {
    if (apiKey != null && !apiKeys.isEmpty()) {
      String digest = sha256(apiKey);
      if (apiKeys.contains(digest)) {
        return "key:" + digest.substring(0, 32);
      }
    }
    return "ip:" + address;
  }

  /**
   * @param headers whether to add the {@code RateLimit-*} headers (the operation's limit; the
   *     pre-authentication limit adds them only to its refusals)
   */
  private void decide(
      RoutingContext routing, RouteLimit route, ConsumptionProbe probe, boolean headers) {
    HttpServerResponse response = routing.response();
    if (response.ended()) {
      return;
    }
    if (headers || !probe.isConsumed()) {
      response
          .putHeader("RateLimit-Limit", Long.toString(route.limit()))
          .putHeader("RateLimit-Remaining", Long.toString(probe.getRemainingTokens()))
          .putHeader("RateLimit-Reset", Long.toString(seconds(probe.getNanosToWaitForReset())));
    }
    if (probe.isConsumed()) {
      routing.next();
      return;
    }
    route.rejected().increment();
    response.putHeader("Retry-After", Long.toString(retryAfter(probe)));
    Problems.send(routing, refusal(route, probe), List.of());
  }

  private static long retryAfter(ConsumptionProbe probe) {
    return Math.max(1, seconds(probe.getNanosToWaitForRefill()));
  }

  private ServiceError refusal(RouteLimit route, ConsumptionProbe probe) {
    String what =
        route == preAuth
            ? "too many requests from this address"
            : "too many requests for " + route.operationId() + " from this client";
    return new ServiceError(
        429, "rate-limited", what + "; retry in " + retryAfter(probe) + " s", "");
  }

  /** Counts a decision that failed or came late, warning once a minute; the request goes on. */
  private void undecided(RouteLimit route, Throwable failure) {
    route.failed().increment();
    long now = System.currentTimeMillis();
    long last = lastWarning.get();
    if (now - last >= WARN_EVERY_MS && lastWarning.compareAndSet(last, now)) {
      LOG.warn(
          "rate limit of {} not decided, request let through (reported once a minute): {}",
          route.operationId(),
          failure.toString());
    }
  }

  private static long seconds(long nanos) {
    return nanos <= 0 ? 0 : (nanos + NANOS_PER_SECOND - 1) / NANOS_PER_SECOND;
  }

  private static String sha256(String value) {
    try {
      byte[] digest =
          MessageDigest.getInstance("SHA-256").digest(value.getBytes(StandardCharsets.UTF_8));
      return HexFormat.of().formatHex(digest);
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("SHA-256 is part of every JDK", e);
    }
  }
}
