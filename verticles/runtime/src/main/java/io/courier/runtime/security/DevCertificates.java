package io.courier.runtime.security;

import java.io.IOException;
import java.io.StringWriter;
import java.math.BigInteger;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.GeneralSecurityException;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.PrivateKey;
import java.security.SecureRandom;
import java.security.cert.X509Certificate;
import java.security.spec.ECGenParameterSpec;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Date;
import java.util.List;
import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.asn1.x509.BasicConstraints;
import org.bouncycastle.asn1.x509.ExtendedKeyUsage;
import org.bouncycastle.asn1.x509.Extension;
import org.bouncycastle.asn1.x509.GeneralName;
import org.bouncycastle.asn1.x509.GeneralNames;
import org.bouncycastle.asn1.x509.KeyPurposeId;
import org.bouncycastle.asn1.x509.KeyUsage;
import org.bouncycastle.cert.X509v3CertificateBuilder;
import org.bouncycastle.cert.jcajce.JcaX509CertificateConverter;
import org.bouncycastle.cert.jcajce.JcaX509ExtensionUtils;
import org.bouncycastle.cert.jcajce.JcaX509v3CertificateBuilder;
import org.bouncycastle.openssl.jcajce.JcaPEMWriter;
import org.bouncycastle.openssl.jcajce.JcaPKCS8Generator;
import org.bouncycastle.operator.OperatorCreationException;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;

/**
 * A development certificate authority and certificates signed by it, as PEM files: EC P-256 keys
 * (PKCS#8), SHA-256 signatures. Each leaf names its service identity in its SANs: DNS {@code
 * <name>}, {@code localhost}, IP 127.0.0.1 and URI {@code spiffe://courier/<name>}, usable for both
 * server and client authentication. For development and tests only: production certificates come
 * from the cluster's own PKI.
 */
public final class DevCertificates {

  /** A certificate and its private key, issued by this authority. */
  public record Issued(Path certificate, Path key, X509Certificate x509) {}

  private final KeyPair caKeys;
  private final X509Certificate ca;
  private final SecureRandom random = new SecureRandom();

  private DevCertificates(KeyPair caKeys, X509Certificate ca) {
    this.caKeys = caKeys;
    this.ca = ca;
  }

  /** A new authority valid for {@code validity} from now, named {@code name}. */
  public static DevCertificates authority(String name, Duration validity)
      throws GeneralSecurityException, IOException {
    KeyPair keys = keys();
    X500Name subject = new X500Name("CN=" + name + ",O=Courier development");
    Instant now = Instant.now();
    JcaX509ExtensionUtils extensions = new JcaX509ExtensionUtils();
    X509v3CertificateBuilder builder =
        new JcaX509v3CertificateBuilder(
            subject,
            BigInteger.valueOf(now.toEpochMilli()),
            Date.from(now.minus(Duration.ofMinutes(5))),
            Date.from(now.plus(validity)),
            subject,
            keys.getPublic());
    builder.addExtension(Extension.basicConstraints, true, new BasicConstraints(0));
    builder.addExtension(
        Extension.keyUsage, true, new KeyUsage(KeyUsage.keyCertSign | KeyUsage.cRLSign));
    builder.addExtension(
        Extension.subjectKeyIdentifier,
        false,
        extensions.createSubjectKeyIdentifier(keys.getPublic()));
    return new DevCertificates(keys, sign(builder, keys));
  }

  /** The authority's certificate. */
  public X509Certificate certificate() {
    return ca;
  }

  /** Writes the authority's certificate (never its key) to {@code file}. */
  public Path writeCertificate(Path file) throws IOException {
    Files.createDirectories(file.toAbsolutePath().getParent());
    Files.writeString(file, pem(ca));
    return file;
  }

  /**
   * Issues a certificate for {@code name}, valid from {@code notBefore} to {@code notAfter}, and
   * writes {@code <name>.pem} and {@code <name>-key.pem} (owner-readable only) into {@code dir}.
   */
  public Issued issue(String name, Instant notBefore, Instant notAfter, Path dir)
      throws GeneralSecurityException, IOException {
    return issue(name, List.of(name), notBefore, notAfter, dir);
  }

  /**
   * A certificate named {@code name} naming every role of {@code roles} ({@code
   * spiffe://courier/<role>} each): the identity of a process that runs several roles, which serves
   * as each of them and calls as any of them.
   */
  public Issued issue(String name, List<String> roles, Duration validity, Path dir)
      throws GeneralSecurityException, IOException {
    Instant now = Instant.now();
    return issue(name, roles, now.minus(Duration.ofMinutes(5)), now.plus(validity), dir);
  }

  private Issued issue(
      String name, List<String> roles, Instant notBefore, Instant notAfter, Path dir)
      throws GeneralSecurityException, IOException {
    KeyPair keys = keys();
    JcaX509ExtensionUtils extensions = new JcaX509ExtensionUtils();
    X509v3CertificateBuilder builder =
        new JcaX509v3CertificateBuilder(
            ca,
            new BigInteger(64, random).abs().add(BigInteger.ONE),
            Date.from(notBefore),
            Date.from(notAfter),
            new X500Name("CN=" + name + ",O=Courier development"),
            keys.getPublic());
    List<GeneralName> names = new ArrayList<>();
    names.add(new GeneralName(GeneralName.dNSName, name));
    names.add(new GeneralName(GeneralName.dNSName, "localhost"));
    names.add(new GeneralName(GeneralName.iPAddress, "127.0.0.1"));
    for (String role : roles) {
      names.add(new GeneralName(GeneralName.uniformResourceIdentifier, "spiffe://courier/" + role));
    }
    builder.addExtension(
        Extension.subjectAlternativeName,
        false,
        new GeneralNames(names.toArray(GeneralName[]::new)));
    builder.addExtension(Extension.basicConstraints, true, new BasicConstraints(false));
    builder.addExtension(
        Extension.keyUsage, true, new KeyUsage(KeyUsage.digitalSignature | KeyUsage.keyAgreement));
    builder.addExtension(
        Extension.extendedKeyUsage,
        false,
        new ExtendedKeyUsage(
            new KeyPurposeId[] {KeyPurposeId.id_kp_serverAuth, KeyPurposeId.id_kp_clientAuth}));
    builder.addExtension(
        Extension.authorityKeyIdentifier, false, extensions.createAuthorityKeyIdentifier(ca));
    X509Certificate certificate = sign(builder, caKeys);
    Files.createDirectories(dir);
    Path certFile = dir.resolve(name + ".pem");
    Path keyFile = dir.resolve(name + "-key.pem");
    // Written to temporary files and moved, so a server reloading them never reads half a file.
    write(certFile, pem(certificate) + pem(ca));
    write(keyFile, pem(keys.getPrivate()));
    return new Issued(certFile, keyFile, certificate);
  }

  /** A certificate for {@code name} valid for {@code validity} from now. */
  public Issued issue(String name, Duration validity, Path dir)
      throws GeneralSecurityException, IOException {
    Instant now = Instant.now();
    return issue(name, now.minus(Duration.ofMinutes(5)), now.plus(validity), dir);
  }

  private static void write(Path file, String content) throws IOException {
    Path temporary = file.resolveSibling(file.getFileName() + ".tmp");
    Files.writeString(temporary, content);
    try {
      Files.setPosixFilePermissions(temporary, PosixFilePermissions.fromString("rw-------"));
    } catch (UnsupportedOperationException e) {
      // not a POSIX file system
    }
    Files.move(
        temporary, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
  }

  private static KeyPair keys() throws GeneralSecurityException {
    KeyPairGenerator generator = KeyPairGenerator.getInstance("EC");
    generator.initialize(new ECGenParameterSpec("secp256r1"));
    return generator.generateKeyPair();
  }

  private static X509Certificate sign(X509v3CertificateBuilder builder, KeyPair signer)
      throws GeneralSecurityException {
    try {
      return new JcaX509CertificateConverter()
          .getCertificate(
              builder.build(
                  new JcaContentSignerBuilder("SHA256withECDSA").build(signer.getPrivate())));
    } catch (OperatorCreationException e) {
      throw new GeneralSecurityException("cannot sign: " + e.getMessage(), e);
    }
  }

  private static String pem(Object object) throws IOException {
    StringWriter out = new StringWriter();
    try (JcaPEMWriter writer = new JcaPEMWriter(out)) {
      writer.writeObject(
          object instanceof PrivateKey key ? new JcaPKCS8Generator(key, null) : object);
    }
    return out.toString();
  }
}
