package io.courier.gateway;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.io.IOException;
import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.AlgorithmParameters;
import java.security.GeneralSecurityException;
import java.security.KeyFactory;
import java.security.KeyPairGenerator;
import java.security.MessageDigest;
import java.security.PrivateKey;
import java.security.Signature;
import java.security.interfaces.ECPrivateKey;
import java.security.interfaces.ECPublicKey;
import java.security.spec.ECGenParameterSpec;
import java.security.spec.ECParameterSpec;
import java.security.spec.ECPrivateKeySpec;
import java.time.Duration;
import java.time.Instant;
import java.util.Base64;
import java.util.Set;
import java.util.TreeSet;

/**
 * The development signing key: an EC P-256 key pair kept as a private JWK in a work directory
 * ({@value #FILE}, created on first use, readable by its owner only, never committed). The dev
 * profile's gateway trusts its public half; {@code courier token} signs ES256 tokens with it. A
 * production gateway reads its keys from the identity provider's JWKS instead and refuses a dev key
 * directory.
 */
public final class DevSigningKey {

  /** The private JWK's file name in the key directory. */
  public static final String FILE = "jwt-signing-key.json";

  private static final Base64.Encoder B64 = Base64.getUrlEncoder().withoutPadding();
  private static final Base64.Decoder B64D = Base64.getUrlDecoder();

  private final JsonObject privateJwk;

  private DevSigningKey(JsonObject privateJwk) {
    this.privateJwk = privateJwk;
  }

  /** Reads the key in {@code dir}, creating it first if there is none (blocking file I/O). */
  public static DevSigningKey loadOrCreate(Path dir) throws IOException {
    Path file = dir.resolve(FILE);
    if (!Files.exists(file)) {
      Files.createDirectories(dir);
      Path draft = Files.createTempFile(dir, FILE, ".tmp");
      try {
        restrict(draft);
        Files.writeString(draft, generate().encodePrettily());
        // Two processes starting at once: the first key written wins, the other reads it.
        Files.move(draft, file, StandardCopyOption.ATOMIC_MOVE);
      } catch (FileAlreadyExistsException raced) {
        Files.deleteIfExists(draft);
      } finally {
        Files.deleteIfExists(draft);
      }
    }
    JsonObject jwk = new JsonObject(Files.readString(file));
    if (!"EC".equals(jwk.getString("kty")) || !jwk.containsKey("d")) {
      throw new IOException(file + " holds no EC private JWK");
    }
    return new DevSigningKey(jwk);
  }

  public String kid() {
    return privateJwk.getString("kid");
  }

  /** The public half, as a JWK a verifier may hold. */
  public JsonObject publicJwk() {
    JsonObject jwk = privateJwk.copy();
    jwk.remove("d");
    return jwk;
  }

  /** The public half as a JWK Set document. */
  public JsonObject jwks() {
    return new JsonObject().put("keys", new JsonArray().add(publicJwk()));
  }

  /**
   * A signed ES256 token for {@code subject} with {@code scopes} (the {@code scope} claim,
   * space-separated), valid from now for {@code ttl}.
   */
  public String mint(
      String issuer, String audience, String subject, Set<String> scopes, Duration ttl) {
    long now = Instant.now().getEpochSecond();
    JsonObject claims =
        new JsonObject()
            .put("iss", issuer)
            .put("aud", audience)
            .put("sub", subject)
            .put("scope", String.join(" ", new TreeSet<>(scopes)))
            .put("iat", now)
            .put("nbf", now)
            .put("exp", now + ttl.toSeconds());
    return sign(claims);
  }

  /** Signs any claims (tests use it for tokens a gateway must refuse). */
  public String sign(JsonObject claims) {
    JsonObject header = new JsonObject().put("alg", "ES256").put("typ", "JWT").put("kid", kid());
    String input = encode(header) + "." + encode(claims);
    try {
      Signature signer = Signature.getInstance("SHA256withECDSAinP1363Format");
      signer.initSign(privateKey());
      signer.update(input.getBytes(StandardCharsets.US_ASCII));
      return input + "." + B64.encodeToString(signer.sign());
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("cannot sign with the development key", e);
    }
  }

  private static String encode(JsonObject json) {
    return B64.encodeToString(json.encode().getBytes(StandardCharsets.UTF_8));
  }

  private PrivateKey privateKey() throws GeneralSecurityException {
    ECParameterSpec p256 = p256();
    BigInteger d = new BigInteger(1, B64D.decode(privateJwk.getString("d")));
    return KeyFactory.getInstance("EC").generatePrivate(new ECPrivateKeySpec(d, p256));
  }

  private static ECParameterSpec p256() throws GeneralSecurityException {
    AlgorithmParameters parameters = AlgorithmParameters.getInstance("EC");
    parameters.init(new ECGenParameterSpec("secp256r1"));
    return parameters.getParameterSpec(ECParameterSpec.class);
  }

  private static JsonObject generate() {
    try {
      KeyPairGenerator generator = KeyPairGenerator.getInstance("EC");
      generator.initialize(new ECGenParameterSpec("secp256r1"));
      var pair = generator.generateKeyPair();
      ECPublicKey pub = (ECPublicKey) pair.getPublic();
      ECPrivateKey priv = (ECPrivateKey) pair.getPrivate();
      String x = B64.encodeToString(unsigned(pub.getW().getAffineX(), 32));
      String y = B64.encodeToString(unsigned(pub.getW().getAffineY(), 32));
      // RFC 7638 thumbprint: the required members in lexicographic order, no spaces.
      String thumbprint =
          B64.encodeToString(
              MessageDigest.getInstance("SHA-256")
                  .digest(
                      ("{\"crv\":\"P-256\",\"kty\":\"EC\",\"x\":\"" + x + "\",\"y\":\"" + y + "\"}")
                          .getBytes(StandardCharsets.UTF_8)));
      return new JsonObject()
          .put("kty", "EC")
          .put("crv", "P-256")
          .put("alg", "ES256")
          .put("use", "sig")
          .put("kid", "dev-" + thumbprint.substring(0, 16))
          .put("x", x)
          .put("y", y)
          .put("d", B64.encodeToString(unsigned(priv.getS(), 32)));
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("cannot generate an EC P-256 key", e);
    }
  }

  /** A big-endian unsigned value padded or trimmed to {@code length} bytes. */
  static byte[] unsigned(BigInteger value, int length) {
    byte[] raw = value.toByteArray();
    byte[] out = new byte[length];
    int copy = Math.min(raw.length, length);
    System.arraycopy(raw, raw.length - copy, out, length - copy, copy);
    return out;
  }

  private static void restrict(Path file) throws IOException {
    try {
      Files.setPosixFilePermissions(file, PosixFilePermissions.fromString("rw-------"));
    } catch (UnsupportedOperationException notPosix) {
      // Windows: the user's profile directory is private already
    }
  }
}
