package io.courier.gateway;

import io.courier.runtime.config.ConfigChecks;
import io.courier.runtime.config.ConfigContext;
import io.courier.runtime.config.ConfigSection;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;

/**
 * The HTTP edge: the {@code gateway} section.
 *
 * @param host bind address
 * @param port bind port; 0 picks a free one
 * @param instances verticle instances sharing the port
 * @param grpcPort port of the gateway's gRPC API (OrderService); 0 picks a free one
 * @param maxBodyBytes largest request body accepted; larger ones get 413
 * @param requestTimeoutMs how long a request may take before the gateway answers 503
 * @param maxHeaderBytes largest total size of a request's headers; larger ones get 431
 * @param maxUriLength longest request line; longer ones get 414
 * @param headerTimeoutMs how long a connection may take to send a request's line and headers
 *     (counted from its opening, or from the previous response); slower ones are closed, so a
 *     client dripping bytes (slow-loris) cannot hold a connection
 * @param idleTimeoutMs how long a connection may stay silent before it is closed (REST and gRPC)
 * @param grpcMaxMessageBytes largest request message the gRPC API takes; larger ones get
 *     RESOURCE_EXHAUSTED
 * @param grpcMaxConcurrentStreams calls one HTTP/2 connection to the gRPC API may have open at once
 *     (SETTINGS_MAX_CONCURRENT_STREAMS)
 * @param tls HTTPS for the REST API, and TLS for the gRPC API (same certificate)
 * @param auth who may call the REST API
 * @param rateLimit request rate limits per client and route
 * @param imports the bulk import of orders from a file ({@code POST /api/v1/orders:import})
 * @param bulk bulk placing over gRPC ({@code OrderService/PlaceOrders})
 */
public record GatewayConfig(
    String host,
    int port,
    int instances,
    int grpcPort,
    int maxBodyBytes,
    long requestTimeoutMs,
    int maxHeaderBytes,
    int maxUriLength,
    long headerTimeoutMs,
    long idleTimeoutMs,
    int grpcMaxMessageBytes,
    int grpcMaxConcurrentStreams,
    TlsConfig tls,
    AuthConfig auth,
    RateLimitConfig rateLimit,
    ImportConfig imports,
    BulkConfig bulk) {

  /** The REST API's operations (operationIds of its OpenAPI document). */
  public static final Set<String> OPERATIONS =
      Set.of("placeOrder", "importOrders", "getOrder", "getUser", "getStock", "watchOrderEvents");

  public static final GatewayConfig DEFAULTS =
      new GatewayConfig(
          "127.0.0.1",
          8080,
          1,
          9090,
          65_536,
          5_000,
          8_192,
          4_096,
          10_000,
          60_000,
          65_536,
          100,
          TlsConfig.DEFAULTS,
          AuthConfig.DEFAULTS,
          RateLimitConfig.DEFAULTS,
          ImportConfig.DEFAULTS,
          BulkConfig.DEFAULTS);

  /** The section, with the checks that need the profile or the file system. */
  public static final ConfigSection<GatewayConfig> SECTION =
      ConfigSection.of("gateway", GatewayConfig.class, DEFAULTS).checkedBy(GatewayConfig::check);

  public GatewayConfig {
    new ConfigChecks()
        .port("port", port)
        .text("host", host)
        .atLeast("instances", instances, 1)
        .port("grpcPort", grpcPort)
        .atLeast("maxBodyBytes", maxBodyBytes, 256)
        .atLeast("requestTimeoutMs", requestTimeoutMs, 1)
        .atLeast("maxHeaderBytes", maxHeaderBytes, 1024)
        .atLeast("maxUriLength", maxUriLength, 256)
        .atLeast("headerTimeoutMs", headerTimeoutMs, 100)
        .atLeast("idleTimeoutMs", idleTimeoutMs, 1000)
        .atLeast("grpcMaxMessageBytes", grpcMaxMessageBytes, 256)
        .atLeast("grpcMaxConcurrentStreams", grpcMaxConcurrentStreams, 1)
        .orThrow();
  }

  /**
   * The files TLS needs, and what production refuses: an open API, a development key, cleartext.
   */
  private static void check(GatewayConfig config, ConfigChecks checks, ConfigContext context) {
    if (config.tls().enabled()) {
      checks.existingFile("tls.certFile", config.tls().certFile(), "a PEM certificate");
      checks.existingFile("tls.keyFile", config.tls().keyFile(), "a PEM private key");
    }
    AuthConfig auth = config.auth();
    if (!context.prod() || !context.runs(GatewayRole.NAME)) {
      return;
    }
    if (!auth.enabled()) {
      checks.invalid(
          "auth.mode",
          "is 'none', which production (security.production) refuses: its API would be open to"
              + " anyone");
    } else if (!auth.devKeyDir().isBlank()) {
      checks.invalid(
          "auth.devKeyDir",
          "is set, which production (security.production) refuses: use gateway.auth.jwksUrl");
    } else if (auth.jwksUrl().startsWith("http://")) {
      checks.invalid(
          "auth.jwksUrl",
          "is http, which production (security.production) refuses: whoever sits between the"
              + " gateway and the identity provider could hand it their own keys");
    }
    if (!config.tls().enabled() && !config.tls().terminatedUpstream()) {
      checks.invalid(
          "tls.enabled",
          "is false, which production (security.production) refuses unless the API is behind a"
              + " TLS-terminating ingress: set gateway.tls.terminatedUpstream to say so");
    }
  }

  /**
   * A TLS server identity from PEM files, reloaded when they change (rotation without restart). TLS
   * 1.2 and 1.3 only, AEAD cipher suites only, HTTP/1.1 and HTTP/2 by ALPN.
   *
   * @param enabled false serves plain HTTP
   * @param certFile the certificate chain, PEM (leaf first)
   * @param keyFile its private key, PEM (PKCS#8)
   * @param reloadPeriodMs how often the files are checked for changes
   * @param terminatedUpstream TLS is terminated in front of the gateway (an ingress or a load
   *     balancer) and the gateway serves plain HTTP behind it: what lets production run without
   *     {@code enabled}
   */
  public record TlsConfig(
      boolean enabled,
      String certFile,
      String keyFile,
      long reloadPeriodMs,
      boolean terminatedUpstream) {

    public static final TlsConfig DEFAULTS = new TlsConfig(false, "", "", 5000, false);

    public TlsConfig {
      if (enabled) {
        new ConfigChecks().atLeast("reloadPeriodMs", reloadPeriodMs, 100).orThrow();
      }
    }
  }

  /**
   * Bearer-token authentication at the edge: JWTs signed RS256 or ES256 by keys from a JWKS.
   *
   * @param mode {@code jwt} requires a valid token on every API call; {@code none} lets anyone in
   *     (development only; refused in the prod profile)
   * @param jwksUrl where the signing keys are published (an identity provider's JWKS); read at
   *     start, every {@code jwksRefreshMs}, and when a token names a key id not yet known
   * @param devKeyDir instead of a JWKS URL: trust the development signing key kept in this
   *     directory (created if missing; {@code courier token} signs with it). Refused in prod
   * @param issuer the required {@code iss}
   * @param audience the required {@code aud} (one of the token's audiences)
   * @param clockSkewSeconds tolerance on {@code exp}, {@code nbf} and {@code iat}
   * @param jwksRefreshMs how often the JWKS is read again
   * @param jwksMinRefreshIntervalMs an unknown key id reads the JWKS again at most this often
   * @param verifiedTokenCacheSize tokens held as verified (by the whole token, until the key set
   *     changes; expiry is checked on every use), so a client reusing its token pays for one
   *     signature check; 0 verifies every request
   * @param jwksMaxBytes the largest JWKS document read; a larger one is refused (the keys held
   *     stay)
   * @param scopes the scope each API operation (OpenAPI operationId) requires; empty: any valid
   *     token; {@code admin} passes every check
   */
  public record AuthConfig(
      String mode,
      String jwksUrl,
      String devKeyDir,
      String issuer,
      String audience,
      long clockSkewSeconds,
      long jwksRefreshMs,
      long jwksMinRefreshIntervalMs,
      int verifiedTokenCacheSize,
      int jwksMaxBytes,
      Map<String, String> scopes) {

    private static final Set<String> MODES = Set.of("none", "jwt");

    public static final AuthConfig DEFAULTS =
        new AuthConfig(
            "none",
            "",
            "",
            "courier-dev",
            "courier-api",
            30,
            300_000,
            10_000,
            10_000,
            1_048_576,
            Map.of(
                "placeOrder", "orders:write",
                "importOrders", "orders:write",
                "getOrder", "orders:read",
                "getUser", "orders:read",
                "getStock", "",
                "watchOrderEvents", "orders:read"));

    public AuthConfig {
      scopes = Collections.unmodifiableMap(new TreeMap<>(scopes));
      ConfigChecks checks = new ConfigChecks();
      if (!MODES.contains(mode)) {
        checks.invalid("mode", "is '" + mode + "'; must be one of " + new TreeSet<>(MODES));
      } else if ("jwt".equals(mode)) {
        if (jwksUrl.isBlank() == devKeyDir.isBlank()) {
          checks.keys(
              List.of("jwksUrl", "devKeyDir"),
              "set exactly one, the identity provider's JWKS URL or a development key directory");
        }
        checks
            .url("jwksUrl", jwksUrl)
            .text("issuer", issuer)
            .text("audience", audience)
            .atLeast("clockSkewSeconds", clockSkewSeconds, 0)
            .atLeast("jwksRefreshMs", jwksRefreshMs, 1000)
            .atLeast("jwksMinRefreshIntervalMs", jwksMinRefreshIntervalMs, 0)
            .atLeast("verifiedTokenCacheSize", verifiedTokenCacheSize, 0)
            .atLeast("jwksMaxBytes", jwksMaxBytes, 1024);
        new TreeSet<>(scopes.keySet())
            .forEach(
                operation -> {
                  if (!OPERATIONS.contains(operation)) {
                    checks.invalid(
                        "scopes." + operation,
                        "scopes",
                        "names no API operation; known: " + new TreeSet<>(OPERATIONS));
                  }
                });
      }
      checks.orThrow();
    }

    public boolean enabled() {
      return "jwt".equals(mode);
    }
  }

  /**
   * Rate limits at the gateway: a token bucket per client and API operation (Bucket4j), shared by
   * every gateway of the cluster through Hazelcast when clustered, else in this process. The client
   * is the authenticated subject, else a configured {@code X-API-Key} (hashed), else the client
   * address (see {@code trustedProxies}). A request over the limit gets 429 with {@code
   * Retry-After}; the health endpoints are never limited.
   *
   * @param enabled false limits nothing
   * @param requestsPerSecond tokens added to a bucket per second (the sustained rate)
   * @param burst bucket capacity: requests a client may send at once after a quiet period
   * @param maxLocalBuckets buckets kept in memory when not clustered (least recently used go
   *     first); clustered buckets expire from the Hazelcast map once full again
   * @param timeoutMs how long a decision may take (a cluster round trip) before the request is let
   *     through unlimited
   * @param routes per OpenAPI operation id, limits other than the default
   * @param preAuth a limit per client address on every API request, taken before authentication so
   *     floods of unauthenticated requests (and the signature checks they cost) are limited too; 0
   *     and 0 turn it off
   * @param trustedProxies IP addresses and CIDR ranges of proxies in front of the gateway (an
   *     ingress controller): from such a peer, the client address is the rightmost address of
   *     {@code X-Forwarded-For} that is not a trusted proxy; from any other peer the header is
   *     ignored
   * @param apiKeys SHA-256 digests (hex) of the {@code X-API-Key} values that are clients of their
   *     own; any other value is not trusted to name a client (rotating it per request would give
   *     each request a fresh bucket), and the request counts by its address
   */
  public record RateLimitConfig(
      boolean enabled,
      long requestsPerSecond,
      long burst,
      int maxLocalBuckets,
      long timeoutMs,
      Map<String, RouteRateLimitConfig> routes,
      RouteRateLimitConfig preAuth,
      List<String> trustedProxies,
      List<String> apiKeys) {

    public static final RateLimitConfig DEFAULTS =
        new RateLimitConfig(
            false,
            50,
            100,
            100_000,
            500,
            Map.of(
                "placeOrder", RouteRateLimitConfig.DEFAULTS,
                "getOrder", RouteRateLimitConfig.DEFAULTS,
                "getUser", RouteRateLimitConfig.DEFAULTS,
                "getStock", RouteRateLimitConfig.DEFAULTS),
            new RouteRateLimitConfig(100, 200),
            List.of(),
            List.of());

    private static final java.util.regex.Pattern DIGEST =
        java.util.regex.Pattern.compile("[0-9a-f]{64}");

    public RateLimitConfig {
      routes = Collections.unmodifiableMap(new TreeMap<>(routes));
      trustedProxies = List.copyOf(trustedProxies);
      apiKeys = List.copyOf(apiKeys);
      ConfigChecks checks =
          new ConfigChecks()
              .atLeast("requestsPerSecond", requestsPerSecond, 1)
              .atLeast("burst", burst, 1)
              .atLeast("maxLocalBuckets", maxLocalBuckets, 1)
              .atLeast("timeoutMs", timeoutMs, 1);
      if ((preAuth.requestsPerSecond() == 0) != (preAuth.burst() == 0)) {
        checks.invalid(
            "preAuth", "set both requestsPerSecond and burst, or neither (0 and 0: no limit)");
      }
      for (String proxy : trustedProxies) {
        String problem = ClientAddress.problem(proxy);
        if (problem != null) {
          checks.invalid("trustedProxies", problem);
        }
      }
      for (String key : apiKeys) {
        if (!DIGEST.matcher(key).matches()) {
          checks.invalid(
              "apiKeys",
              "each entry is the SHA-256 of a key as 64 lowercase hex digits (printf %s KEY |"
                  + " sha256sum), never the key itself");
        }
      }
      checks.orThrow();
    }

    /** Whether the pre-authentication limit is on. */
    public boolean preAuthLimited() {
      return enabled && preAuth.requestsPerSecond() > 0;
    }

    /** The limit of one operation: its own values where set, the defaults elsewhere. */
    public RouteRateLimitConfig route(String operationId) {
      RouteRateLimitConfig own = routes.get(operationId);
      long rate =
          own == null || own.requestsPerSecond() == 0 ? requestsPerSecond : own.requestsPerSecond();
      long size = own == null || own.burst() == 0 ? burst : own.burst();
      return new RouteRateLimitConfig(rate, size);
    }
  }

  /**
   * The limit of one API operation.
   *
   * @param requestsPerSecond sustained rate; 0 takes {@code gateway.rateLimit.requestsPerSecond}
   * @param burst bucket capacity; 0 takes {@code gateway.rateLimit.burst}
   */
  public record RouteRateLimitConfig(long requestsPerSecond, long burst) {

    public static final RouteRateLimitConfig DEFAULTS = new RouteRateLimitConfig(0, 0);

    public RouteRateLimitConfig {
      new ConfigChecks()
          .atLeast("requestsPerSecond", requestsPerSecond, 0)
          .atLeast("burst", burst, 0)
          .orThrow();
    }
  }
}
