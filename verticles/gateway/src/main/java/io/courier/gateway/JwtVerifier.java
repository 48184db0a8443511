package io.courier.gateway;

import io.courier.gateway.GatewayConfig.AuthConfig;
import io.courier.service.CallerIdentity;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.json.DecodeException;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.auth.JWTOptions;
import io.vertx.ext.auth.NoSuchKeyIdException;
import io.vertx.ext.auth.User;
import io.vertx.ext.auth.authentication.TokenCredentials;
import io.vertx.ext.auth.jwt.JWTAuth;
import io.vertx.ext.auth.jwt.JWTAuthOptions;
import java.nio.charset.StandardCharsets;
import java.security.SignatureException;
import java.time.Clock;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Verifies bearer tokens with vertx-auth-jwt against the keys of a JWKS. Only RS256 and ES256 are
 * accepted, whatever the token's header says, so {@code alg: none} and HS256 signed with a public
 * key (key confusion) never reach a verifier; symmetric keys in the JWKS are ignored. The keys are
 * read at start, every {@code jwksRefreshMs}, and again when a token names a key id not yet known
 * (at most every {@code jwksMinRefreshIntervalMs}, so made-up key ids cannot flood the identity
 * provider); a failed read keeps the keys already held. Issuer, audience, expiry and not-before are
 * checked with the configured clock skew, on an injected clock.
 */
final class JwtVerifier {

  /** Why a token was refused; the message is safe to show the caller. */
  static final class Refused extends RuntimeException {
    private static final long serialVersionUID = 1L;

    Refused(String message) {
      super(message, null, false, false);
    }
  }

  private static final Logger LOG = LoggerFactory.getLogger(JwtVerifier.class);
  private static final Set<String> ALGORITHMS = Set.of("RS256", "ES256");

  private final Vertx vertx;
  private final AuthConfig config;
  private final Supplier<Future<JsonObject>> jwks;
  private final Clock clock;
  private volatile JWTAuth provider;
  private volatile Set<String> kids = Set.of();

  /** Goes up by one with every key set installed; cached verifications hold only under theirs. */
  private volatile long keySet;

  /** The keys installed last, as JSON: a refresh that finds the same keys keeps the cache. */
  private String installedKeys;

  private final VerifiedTokens verified;
  private long lastRead = Long.MIN_VALUE;
  private Future<Void> reading;
  private long timer = -1;
  private boolean failureReported;

  /**
   * @param jwks reads the current JWK Set document ({@code {"keys": [...]}})
   */
  JwtVerifier(Vertx vertx, AuthConfig config, Supplier<Future<JsonObject>> jwks, Clock clock) {
    this.vertx = vertx;
    this.config = config;
    this.jwks = jwks;
    this.clock = clock;
    this.verified = new VerifiedTokens(config.verifiedTokenCacheSize());
  }

  /** Reads the keys once and then keeps them fresh; fails if the first read finds no key. */
  Future<Void> start() {
    return refresh()
        .compose(
            v ->
                provider == null
                    ? Future.failedFuture(
                        new IllegalStateException(
                            "no usable signing key (RS256 or ES256) in "
                                + (config.jwksUrl().isBlank()
                                    ? config.devKeyDir()
                                    : config.jwksUrl())))
                    : Future.succeededFuture())
        .<Void>mapEmpty()
        .onSuccess(v -> timer = vertx.setPeriodic(config.jwksRefreshMs(), id -> refresh()));
  }

  void stop() {
    if (timer >= 0) {
      vertx.cancelTimer(timer);
    }
  }

  /** The identity a valid token carries, or a {@link Refused} failure saying why not. */
  Future<User> verify(String token) {
    User known = verified.get(token, keySet);
    if (known != null) {
      Future<User> checked = checkClaims(known);
      if (checked.failed()) {
        verified.remove(token);
      }
      return checked;
    }
    JsonObject header;
    try {
      String[] parts = token.split("\\.", -1);
      if (parts.length != 3) {
        throw new Refused("malformed token: not a signed JWT (three base64url parts)");
      }
      header =
          new JsonObject(
              new String(Base64.getUrlDecoder().decode(parts[0]), StandardCharsets.UTF_8));
    } catch (IllegalArgumentException | DecodeException | ClassCastException e) {
      return Future.failedFuture(new Refused("malformed token: its header is not base64url JSON"));
    } catch (Refused e) {
      return Future.failedFuture(e);
    }
    Object alg = header.getValue("alg");
    if (!(alg instanceof String name) || !ALGORITHMS.contains(name)) {
      return Future.failedFuture(
          new Refused("algorithm " + shown(alg) + " is not accepted; use RS256 or ES256"));
    }
    Object kid = header.getValue("kid");
    Future<Void> keys =
        kid instanceof String id && !kids.contains(id) ? refreshForUnknownKey() : succeeded();
    return keys.compose(v -> authenticate(token, kid));
  }

  private Future<User> authenticate(String token, Object kid) {
    JWTAuth current = provider;
    if (current == null) {
      return Future.failedFuture(new Refused("no signing keys are available yet"));
    }
    if (kid instanceof String id && !kids.contains(id)) {
      return Future.failedFuture(new Refused("unknown signing key " + shown(id)));
    }
    long keys = keySet;
    return current
        .authenticate(new TokenCredentials(token))
        .recover(e -> Future.failedFuture(new Refused(reason(e))))
        .onSuccess(user -> verified.put(token, keys, user))
        .compose(this::checkClaims);
  }

  /** Tokens held as verified (tests). */
  int verifiedTokens() {
    return verified.size();
  }

  /**
   * A value from the token shown in a refusal: quoted, printable ASCII only (others as '?'), no
   * quotes or backslashes, at most 40 characters, so a made-up {@code kid} or {@code alg} cannot
   * break the {@code WWW-Authenticate} header or the log line it lands in.
   */
  static String shown(Object value) {
    String text = String.valueOf(value);
    StringBuilder shown = new StringBuilder("'");
    for (int i = 0; i < text.length() && i < 40; i++) {
      char c = text.charAt(i);
      shown.append(c >= 0x20 && c < 0x7f && c != '"' && c != '\\' && c != '\'' ? c : '?');
    }
    return shown.append(text.length() > 40 ? "...'" : "'").toString();
  }

  private Future<User> checkClaims(User user) {
    JsonObject claims = user.attributes().getJsonObject("accessToken", new JsonObject());
    long now = clock.millis() / 1000;
    long skew = config.clockSkewSeconds();
    if (!(claims.getValue("exp") instanceof Number exp)) {
      return Future.failedFuture(new Refused("token has no expiry (exp)"));
    }
    if (now - skew >= exp.longValue()) {
      return Future.failedFuture(new Refused("token expired"));
    }
    if (claims.getValue("nbf") instanceof Number nbf && nbf.longValue() > now + skew) {
      return Future.failedFuture(new Refused("token not valid yet (nbf)"));
    }
    if (claims.getValue("iat") instanceof Number iat && iat.longValue() > now + skew) {
      return Future.failedFuture(new Refused("token issued in the future (iat)"));
    }
    if (!(claims.getValue("sub") instanceof String sub) || sub.isBlank()) {
      return Future.failedFuture(new Refused("token has no subject (sub)"));
    }
    return Future.succeededFuture(user);
  }

  /**
   * The caller a verified user stands for: its subject and scopes ({@code scope} or {@code scp}).
   */
  static CallerIdentity identity(User user) {
    JsonObject claims = user.attributes().getJsonObject("accessToken", user.principal());
    Set<String> scopes =
        new HashSet<>(CallerIdentity.scopes(stringOrNull(claims.getValue("scope"))));
    Object scp = claims.getValue("scp");
    if (scp instanceof JsonArray array) {
      array.forEach(s -> scopes.add(String.valueOf(s)));
    } else if (scp instanceof String text) {
      scopes.addAll(CallerIdentity.scopes(text));
    }
    return new CallerIdentity(claims.getString("sub"), scopes);
  }

  private static String stringOrNull(Object value) {
    return value instanceof String text ? text : null;
  }

  private static String reason(Throwable e) {
    if (e instanceof NoSuchKeyIdException) {
      return "unknown signing key";
    }
    if (e instanceof SignatureException) {
      return "signature does not verify";
    }
    String message = e.getMessage() == null ? "" : e.getMessage();
    if (message.contains("audience")) {
      return "token is not meant for this API (aud)";
    }
    if (message.contains("issuer")) {
      return "token is from another issuer (iss)";
    }
    if (message.contains("expired")) {
      return "token expired";
    }
    return "token refused: " + e.getClass().getSimpleName();
  }

  private Future<Void> refreshForUnknownKey() {
    long now = clock.millis();
    if (reading != null) {
      return reading;
    }
    if (lastRead != Long.MIN_VALUE && now - lastRead < config.jwksMinRefreshIntervalMs()) {
      return succeeded();
    }
    return refresh();
  }

  private Future<Void> refresh() {
    if (reading != null) {
      return reading;
    }
    lastRead = clock.millis();
    Promise<Void> read = Promise.promise();
    reading = read.future();
    jwks.get()
        // Parsing keys and building the verifiers initialises JCA providers: not on an event loop.
        .compose(document -> vertx.executeBlocking(() -> install(document), false))
        .onComplete(
            done -> {
              if (done.failed() && !failureReported) {
                failureReported = true;
                LOG.error(
                    "cannot read the signing keys, the {} held stay: {}",
                    kids.size(),
                    done.cause().getMessage());
              }
              reading = null;
              read.complete();
            });
    return read.future();
  }

  private Void install(JsonObject document) {
    List<JsonObject> usable = new ArrayList<>();
    Set<String> ids = new HashSet<>();
    JsonArray keys = document.getJsonArray("keys", new JsonArray());
    for (int i = 0; i < keys.size(); i++) {
      if (!(keys.getValue(i) instanceof JsonObject key)) {
        continue;
      }
      String alg = algorithmOf(key);
      if (alg == null || (key.containsKey("use") && !"sig".equals(key.getString("use")))) {
        continue;
      }
      JsonObject jwk = key.copy().put("alg", alg);
      jwk.remove("d");
      usable.add(jwk);
      if (jwk.getValue("kid") instanceof String id) {
        ids.add(id);
      }
    }
    if (usable.isEmpty()) {
      // An empty key set would turn vertx-auth-jwt into its unsecured mode: never install one.
      throw new IllegalStateException("the JWKS holds no RS256 or ES256 signing key");
    }
    JWTOptions options =
        new JWTOptions()
            .setIssuer(config.issuer())
            .setAudience(List.of(config.audience()))
            .setLeeway((int) config.clockSkewSeconds())
            // exp, nbf and iat are checked in checkClaims, on the injected clock
            .setIgnoreExpiration(true);
    provider = JWTAuth.create(vertx, new JWTAuthOptions().setJWTOptions(options).setJwks(usable));
    if (!ids.equals(kids)) {
      LOG.info("signing keys for API tokens: {}", ids);
    }
    kids = Set.copyOf(ids);
    String installed = new JsonArray(usable).encode();
    if (!installed.equals(installedKeys)) {
      installedKeys = installed;
      keySet++;
    }
    failureReported = false;
    return null;
  }

  /** RS256 for RSA keys, ES256 for P-256 keys, as the key says or implies; else null. */
  private static String algorithmOf(JsonObject key) {
    String kty = key.getString("kty", "");
    String alg = key.getString("alg");
    if ("RSA".equals(kty) && (alg == null || "RS256".equals(alg))) {
      return "RS256";
    }
    if ("EC".equals(kty)
        && "P-256".equals(key.getString("crv"))
        && (alg == null || "ES256".equals(alg))) {
      return "ES256";
    }
    return null;
  }

  private static Future<Void> succeeded() {
    return Future.succeededFuture();
  }
}
