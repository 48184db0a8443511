package io.courier.gateway;

import static org.assertj.core.api.Assertions.assertThat;

import io.courier.gateway.GatewayConfig.AuthConfig;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.HttpServer;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.Router;
import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.Signature;
import java.security.interfaces.RSAPublicKey;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.Base64;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Bearer tokens at the edge against a JWKS served over HTTP on loopback: what passes, and each way
 * a token is refused (401 with a problem body and {@code WWW-Authenticate}) or lacks a scope (403).
 */
@DisplayName("Bearer-token authentication at the edge")
class EdgeAuthTest {

  private static final String ISSUER = "https://issuer.test/";
  private static final String AUDIENCE = "courier-api";
  private static final Base64.Encoder B64 = Base64.getUrlEncoder().withoutPadding();

  @TempDir static Path keys;

  private static KeyPair rsa;
  private static JsonObject rsaJwk;
  private static DevSigningKey ec;

  private final AtomicInteger jwksReads = new AtomicInteger();
  private final AtomicLong clockOffsetMs = new AtomicLong();
  private volatile JsonObject published;

  /** How the JWKS server answers: the document, a redirect elsewhere, or an endless body. */
  private volatile String jwksMode = "document";

  private Vertx vertx;
  private HttpServer jwksServer;
  private HttpServer api;
  private final java.net.http.HttpClient http =
      java.net.http.HttpClient.newBuilder()
          .version(java.net.http.HttpClient.Version.HTTP_1_1)
          .connectTimeout(java.time.Duration.ofSeconds(10))
          .build();
  private EdgeAuth auth;

  @BeforeAll
  static void keys() throws Exception {
    KeyPairGenerator generator = KeyPairGenerator.getInstance("RSA");
    generator.initialize(2048);
    rsa = generator.generateKeyPair();
    RSAPublicKey pub = (RSAPublicKey) rsa.getPublic();
    rsaJwk =
        new JsonObject()
            .put("kty", "RSA")
            .put("kid", "rsa-1")
            .put("use", "sig")
            .put("alg", "RS256")
            .put("n", B64.encodeToString(unsigned(pub.getModulus())))
            .put("e", B64.encodeToString(unsigned(pub.getPublicExponent())));
    ec = DevSigningKey.loadOrCreate(keys);
  }

  @BeforeEach
  void start() throws Exception {
    vertx = Vertx.vertx();
    published = new JsonObject().put("keys", new JsonArray().add(rsaJwk).add(ec.publicJwk()));
    jwksServer =
        vertx
            .createHttpServer()
            .requestHandler(
                request -> {
                  jwksReads.incrementAndGet();
                  switch (jwksMode) {
                    case "redirect" ->
                        request
                            .response()
                            .setStatusCode(302)
                            .putHeader("Location", "http://127.0.0.1:9/evil-jwks.json")
                            .end();
                    case "huge" -> {
                      // A chunked body that would never end: the reader must cut it off.
                      request
                          .response()
                          .setChunked(true)
                          .putHeader("Content-Type", "application/json");
                      String keysJson = published.encode();
                      request.response().write("{\"pad\": \"" + "x".repeat(70 * 1024) + "\", ");
                      request.response().end(keysJson.substring(1));
                    }
                    default ->
                        request
                            .response()
                            .putHeader("Content-Type", "application/json")
                            .end(published.encode());
                  }
                })
            .listen(0, "127.0.0.1")
            .await(10, TimeUnit.SECONDS);
  }

  @AfterEach
  void stop() throws Exception {
    if (auth != null) {
      auth.stop();
    }
    vertx.close().await(10, TimeUnit.SECONDS);
  }

  /** JWT against this test's JWKS server, 30 s skew; placeOrder needs orders:write. */
  private AuthConfig config(long minRefreshMs) {
    return new AuthConfig(
        "jwt",
        "http://127.0.0.1:" + jwksServer.actualPort() + "/jwks.json",
        "",
        ISSUER,
        AUDIENCE,
        30,
        300_000,
        minRefreshMs,
        10_000,
        64 * 1024,
        Map.of("placeOrder", "orders:write", "getStock", ""));
  }

  /** Starts the authentication and an API behind it: /api/write needs orders:write. */
  private void startApi(long minRefreshMs) throws Exception {
    AuthConfig config = config(minRefreshMs);
    Clock clock =
        new Clock() {
          @Override
          public java.time.ZoneId getZone() {
            return ZoneOffset.UTC;
          }

          @Override
          public Clock withZone(java.time.ZoneId zone) {
            return this;
          }

          @Override
          public Instant instant() {
            return Instant.now().plusMillis(clockOffsetMs.get());
          }
        };
    auth = EdgeAuth.start(vertx, config, clock).await(10, TimeUnit.SECONDS);
    Router router = Router.router(vertx);
    // As in the gateway: the body is read (and the request resumed) before authentication, else a
    // refused request stays paused and blocks the next one on its keep-alive connection.
    router.route("/api/*").handler(io.vertx.ext.web.handler.BodyHandler.create(false));
    router.route("/api/*").handler(auth::authenticate);
    router
        .post("/api/write")
        .handler(auth.requireScopeOf("placeOrder"))
        .handler(
            routing ->
                routing
                    .response()
                    .end(
                        EdgeAuth.identity(routing).subject()
                            + " "
                            + new java.util.TreeSet<>(EdgeAuth.identity(routing).scopes())));
    router
        .get("/api/open")
        .handler(auth.requireScopeOf("getStock"))
        .handler(routing -> routing.response().end(EdgeAuth.identity(routing).subject()));
    api = vertx.createHttpServer().requestHandler(router).listen(0, "127.0.0.1").await();
  }

  private record Answer(int status, String body, String authenticate) {
    JsonObject problem() {
      return new JsonObject(body);
    }
  }

  private Answer call(HttpMethod method, String path, String token) throws Exception {
    java.net.http.HttpRequest.Builder request =
        java.net.http.HttpRequest.newBuilder(
                java.net.URI.create("http://127.0.0.1:" + api.actualPort() + path))
            .timeout(java.time.Duration.ofSeconds(30))
            .method(method.name(), java.net.http.HttpRequest.BodyPublishers.noBody());
    if (token != null) {
      request.header("Authorization", "Bearer " + token);
    }
    java.net.http.HttpResponse<String> response =
        http.send(request.build(), java.net.http.HttpResponse.BodyHandlers.ofString());
    return new Answer(
        response.statusCode(),
        response.body(),
        response.headers().firstValue("WWW-Authenticate").orElse(null));
  }

  private Answer write(String token) throws Exception {
    return call(HttpMethod.POST, "/api/write", token);
  }

  private static JsonObject claims(String subject, String scope) {
    long now = Instant.now().getEpochSecond();
    return new JsonObject()
        .put("iss", ISSUER)
        .put("aud", AUDIENCE)
        .put("sub", subject)
        .put("scope", scope)
        .put("iat", now)
        .put("exp", now + 300);
  }

  private static String rs256(JsonObject claims, String kid) throws Exception {
    String input =
        b64(new JsonObject().put("alg", "RS256").put("typ", "JWT").put("kid", kid))
            + "."
            + b64(claims);
    Signature signer = Signature.getInstance("SHA256withRSA");
    signer.initSign(rsa.getPrivate());
    signer.update(input.getBytes(StandardCharsets.US_ASCII));
    return input + "." + B64.encodeToString(signer.sign());
  }

  private static String b64(JsonObject json) {
    return B64.encodeToString(json.encode().getBytes(StandardCharsets.UTF_8));
  }

  private static byte[] unsigned(BigInteger value) {
    byte[] raw = value.toByteArray();
    return raw[0] == 0 ? java.util.Arrays.copyOfRange(raw, 1, raw.length) : raw;
  }

  private static void assertRefused(Answer answer, String detail) {
    assertThat(answer.status()).as(answer.body()).isEqualTo(401);
    assertThat(answer.problem().getString("type")).endsWith("/unauthorized");
    assertThat(answer.problem().getString("detail")).contains(detail);
    assertThat(answer.authenticate()).startsWith("Bearer realm=\"courier\"");
  }

  @Test
  @Timeout(90)
  @DisplayName("admits RS256 and ES256 tokens from the JWKS and passes on subject and scopes")
  void shouldAdmitValidTokens() throws Exception {
    startApi(10_000);
    assertThat(write(rs256(claims("u-0001", "orders:write orders:read"), "rsa-1")))
        .isEqualTo(new Answer(200, "u-0001 [orders:read, orders:write]", null));
    assertThat(write(ec.sign(claims("u-0002", "orders:write"))).body())
        .isEqualTo("u-0002 [orders:write]");
    JsonObject scp = claims("u-0003", null);
    scp.remove("scope");
    scp.put("scp", new JsonArray().add("orders:write"));
    assertThat(write(rs256(scp, "rsa-1")).body())
        .as("the scp claim (array) counts like scope")
        .isEqualTo("u-0003 [orders:write]");
    assertThat(write(ec.sign(claims("root", "admin"))).status())
        .as("admin passes every scope check")
        .isEqualTo(200);
    assertThat(call(HttpMethod.GET, "/api/open", ec.sign(claims("u-0004", ""))).status())
        .as("an operation without a scope needs only a valid token")
        .isEqualTo(200);
  }

  @Test
  @Timeout(90)
  @DisplayName("refuses a missing, malformed, expired, not-yet-valid or subject-less token")
  void shouldRefuseTokensOutsideTheirValidity() throws Exception {
    startApi(10_000);
    Answer none = write(null);
    assertRefused(none, "bearer token is required");
    assertThat(none.authenticate()).isEqualTo("Bearer realm=\"courier\"");
    assertRefused(write("abc"), "malformed token");
    assertRefused(write("a.b.c"), "malformed token");

    long now = Instant.now().getEpochSecond();
    Answer expired = write(ec.sign(claims("u-0001", "orders:write").put("exp", now - 60)));
    assertRefused(expired, "token expired");
    assertThat(expired.authenticate()).contains("error=\"invalid_token\"");
    assertThat(write(ec.sign(claims("u-0001", "orders:write").put("exp", now - 10))).status())
        .as("10 s past expiry is within the 30 s clock skew")
        .isEqualTo(200);
    assertRefused(
        write(ec.sign(claims("u-0001", "orders:write").put("nbf", now + 300))), "not valid yet");
    JsonObject noExpiry = claims("u-0001", "orders:write");
    noExpiry.remove("exp");
    assertRefused(write(ec.sign(noExpiry)), "no expiry");
    JsonObject noSubject = claims("u-0001", "orders:write");
    noSubject.remove("sub");
    assertRefused(write(ec.sign(noSubject)), "no subject");

    clockOffsetMs.set(TimeUnit.MINUTES.toMillis(10));
    assertRefused(write(ec.sign(claims("u-0001", "orders:write"))), "token expired");
  }

  @Test
  @Timeout(90)
  @DisplayName(
      "refuses another issuer or audience, a tampered signature, alg none and HS/RS key confusion")
  void shouldRefuseForgedTokens() throws Exception {
    startApi(10_000);
    assertRefused(
        write(ec.sign(claims("u-0001", "orders:write").put("iss", "https://evil.test/"))),
        "another issuer");
    assertRefused(
        write(ec.sign(claims("u-0001", "orders:write").put("aud", "other-api"))),
        "not meant for this API");

    String valid = rs256(claims("u-0001", "orders:write"), "rsa-1");
    String[] parts = valid.split("\\.");
    String tampered = parts[0] + "." + b64(claims("u-0001", "orders:write admin")) + "." + parts[2];
    assertRefused(write(tampered), "signature does not verify");

    String none =
        b64(new JsonObject().put("alg", "none").put("typ", "JWT"))
            + "."
            + b64(claims("u-0001", "admin"));
    assertRefused(write(none + "."), "algorithm 'none' is not accepted");
    assertRefused(write(none + ".c2ln"), "algorithm 'none' is not accepted");

    // Key confusion: HS256 with the RSA public key's bytes as the HMAC secret.
    String input =
        b64(new JsonObject().put("alg", "HS256").put("typ", "JWT").put("kid", "rsa-1"))
            + "."
            + b64(claims("u-0001", "admin"));
    Mac mac = Mac.getInstance("HmacSHA256");
    mac.init(new SecretKeySpec(rsa.getPublic().getEncoded(), "HmacSHA256"));
    String confused =
        input + "." + B64.encodeToString(mac.doFinal(input.getBytes(StandardCharsets.US_ASCII)));
    assertRefused(write(confused), "algorithm 'HS256' is not accepted");
  }

  @Test
  @Timeout(90)
  @DisplayName("answers 403 with the missing scope named when the token lacks it")
  void shouldRefuseMissingScope() throws Exception {
    startApi(10_000);
    Answer answer = write(ec.sign(claims("u-0001", "orders:read")));
    assertThat(answer.status()).isEqualTo(403);
    assertThat(answer.problem().getString("type")).endsWith("/insufficient-scope");
    assertThat(answer.problem().getString("detail")).contains("orders:write");
    assertThat(answer.authenticate())
        .contains("error=\"insufficient_scope\"")
        .contains("scope=\"orders:write\"");
  }

  @Test
  @Timeout(90)
  @DisplayName("reads the JWKS again for an unknown key id, at most once per interval")
  void shouldRefreshKeysOnUnknownKid() throws Exception {
    startApi(5_000);
    int afterStart = jwksReads.get();
    String unknown = rs256(claims("u-0001", "orders:write"), "rsa-2");
    for (int i = 0; i < 5; i++) {
      assertRefused(write(unknown), "unknown signing key 'rsa-2'");
    }
    assertThat(jwksReads.get())
        .as("made-up key ids do not flood the identity provider")
        .isLessThanOrEqualTo(afterStart + 1);

    // The provider rotates: the same RSA key is published under a new id.
    published =
        new JsonObject()
            .put(
                "keys", new JsonArray().add(rsaJwk.copy().put("kid", "rsa-2")).add(ec.publicJwk()));
    clockOffsetMs.set(6_000);
    assertThat(write(unknown).status()).as("the new key is fetched and used").isEqualTo(200);
    assertThat(write(rs256(claims("u-0001", "orders:write"), "rsa-1")).status())
        .as("a key no longer published is no longer trusted")
        .isEqualTo(401);
  }

  @Test
  @Timeout(90)
  @DisplayName(
      "does not start on a JWKS without an RS256 or ES256 key, never falling back to unsigned tokens")
  void shouldRefuseKeySetWithoutSigningKeys() throws Exception {
    published =
        new JsonObject()
            .put(
                "keys",
                new JsonArray()
                    .add(new JsonObject().put("kty", "oct").put("k", "c2VjcmV0").put("kid", "h")));
    Future<EdgeAuth> started = EdgeAuth.start(vertx, config(1_000), Clock.systemUTC());
    Throwable failure =
        started.map(a -> (Throwable) null).otherwise(e -> e).await(10, TimeUnit.SECONDS);
    assertThat(failure).isNotNull().hasMessageContaining("no usable signing key");
  }

  @Test
  @Timeout(90)
  @DisplayName("keeps the keys it holds when the JWKS becomes unreachable")
  void shouldKeepKeysWhenJwksFails() throws Exception {
    startApi(0);
    jwksServer.close().await(10, TimeUnit.SECONDS);
    clockOffsetMs.set(1_000);
    assertRefused(write(rs256(claims("u-0001", "orders:write"), "rsa-9")), "unknown signing key");
    assertThat(write(rs256(claims("u-0001", "orders:write"), "rsa-1")).status()).isEqualTo(200);
  }

  @Test
  @Timeout(90)
  @DisplayName("verifies a reused token once, and still refuses it once expired")
  void shouldVerifyReusedTokenOnce() throws Exception {
    startApi(10_000);
    long now = Instant.now().getEpochSecond();
    String token = ec.sign(claims("u-0001", "orders:write").put("exp", now + 120));
    for (int i = 0; i < 5; i++) {
      assertThat(write(token).status()).isEqualTo(200);
    }
    assertThat(auth.verifiedTokens()).as("one entry for the reused token").isEqualTo(1);
    clockOffsetMs.set(TimeUnit.SECONDS.toMillis(200));
    assertRefused(write(token), "token expired");
    assertThat(auth.verifiedTokens()).as("the expired entry is dropped").isZero();
  }

  @Test
  @Timeout(90)
  @DisplayName("no longer trusts a verified token once its key is withdrawn from the JWKS")
  void shouldForgetVerifiedTokensWhenKeysChange() throws Exception {
    startApi(0);
    String token = rs256(claims("u-0001", "orders:write"), "rsa-1");
    assertThat(write(token).status()).isEqualTo(200);
    published = new JsonObject().put("keys", new JsonArray().add(ec.publicJwk()));
    // An unknown key id makes the gateway read the JWKS again, which no longer holds rsa-1.
    assertRefused(write(rs256(claims("u-0002", "orders:write"), "rsa-7")), "unknown signing key");
    assertRefused(write(token), "unknown signing key 'rsa-1'");
  }

  @Test
  @Timeout(90)
  @DisplayName("shows a made-up kid or alg sanitised in WWW-Authenticate and the problem")
  void shouldSanitiseHeaderValuesFromTheToken() throws Exception {
    startApi(10_000);
    String kid = "k\"\\, error=\"x\r\nSet-Cookie: a=b" + "z".repeat(100);
    String input =
        b64(new JsonObject().put("alg", "RS256").put("typ", "JWT").put("kid", kid))
            + "."
            + b64(claims("u-0001", "orders:write"));
    Answer answer = write(input + ".c2ln");
    assertRefused(answer, "unknown signing key 'k??, error=?x??Set-Cookie: a=bzzzzzzzzzz...'");
    assertThat(answer.authenticate()).doesNotContain("\\").doesNotContain("\r");
    assertThat(answer.authenticate().chars().filter(c -> c == '"').count())
        .as("realm, error and error_description: six quotes, none from the token")
        .isEqualTo(6);
    String alg =
        b64(new JsonObject().put("alg", "RS256\u0000\"x").put("typ", "JWT"))
            + "."
            + b64(claims("u-0001", "admin"));
    assertRefused(write(alg + ".c2ln"), "algorithm 'RS256??x' is not accepted");
  }

  @Test
  @Timeout(90)
  @DisplayName("refuses a JWKS that redirects elsewhere or is larger than jwksMaxBytes")
  void shouldRefuseRedirectedOrOversizedJwks() throws Exception {
    for (String mode : new String[] {"redirect", "huge"}) {
      jwksMode = mode;
      Throwable failure =
          EdgeAuth.start(vertx, config(1_000), Clock.systemUTC())
              .map(a -> (Throwable) null)
              .otherwise(e -> e)
              .await(20, TimeUnit.SECONDS);
      assertThat(failure).as(mode).isNotNull().hasMessageContaining("no usable signing key");
    }
    jwksMode = "document";
    startApi(0);
    assertThat(write(ec.sign(claims("u-0001", "orders:write"))).status()).isEqualTo(200);
    jwksMode = "huge";
    clockOffsetMs.set(1_000);
    assertRefused(write(rs256(claims("u-0001", "orders:write"), "rsa-9")), "unknown signing key");
    assertThat(write(rs256(claims("u-0001", "orders:write"), "rsa-1")).status())
        .as("an oversized JWKS read keeps the keys held")
        .isEqualTo(200);
  }
}
