package io.labsos.statusstream.tls.control;

import java.io.ByteArrayInputStream;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.PrivateKey;
import java.security.SecureRandom;
import java.security.Signature;
import java.security.cert.CertificateException;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.security.spec.MGF1ParameterSpec;
import java.security.spec.PSSParameterSpec;
import java.util.ArrayList;
import java.util.List;

/**
 * What the HTTPS port presents: a certificate chain, the server's own certificate first, and that
 * certificate's private key, read from the two PEM files platforms hand a pod ({@code tls.crt},
 * {@code tls.key}).
 */
record TlsIdentity(List<X509Certificate> chain, PrivateKey key) {

  static final String NO_CERTIFICATE = "TLS_CERT_FILE holds no PEM certificate";
  static final String NO_KEY =
      "TLS_KEY_FILE holds no PEM private key (PKCS#8, PKCS#1 RSA or SEC1 EC)";
  static final String ENCRYPTED_KEY =
      "TLS_KEY_FILE holds an encrypted private key: give it unencrypted (readable by the server"
          + " only)";
  static final String NOT_ITS_KEY =
      "TLS_KEY_FILE is not the private key of the first certificate in TLS_CERT_FILE";

  TlsIdentity {
    chain = List.copyOf(chain);
  }

  /** The server's own certificate. */
  X509Certificate certificate() {
    return chain.get(0);
  }

  /**
   * The chain and key the files hold.
   *
   * @throws UnusableTlsFiles when they hold none, or a key that is not the certificate's
   */
  static TlsIdentity of(PemFiles files) throws UnusableTlsFiles {
    var problems = new ArrayList<String>();
    var chain = certificates(files.certificate(), problems);
    PrivateKey key = null;
    try {
      var found = PrivateKeys.of(PemBlocks.of(new String(files.key(), StandardCharsets.US_ASCII)));
      if (found instanceof PrivateKeys.Key k) {
        key = k.key();
      } else {
        problems.add(found instanceof PrivateKeys.Encrypted ? ENCRYPTED_KEY : NO_KEY);
      }
    } catch (IllegalArgumentException e) {
      problems.add(NO_KEY);
    }
    if (problems.isEmpty() && !belongTogether(chain.get(0), key)) {
      problems.add(NOT_ITS_KEY);
    }
    if (!problems.isEmpty()) {
      throw new UnusableTlsFiles(problems);
    }
    return new TlsIdentity(chain, key);
  }

  private static List<X509Certificate> certificates(byte[] pem, List<String> problems) {
    var chain = new ArrayList<X509Certificate>();
    try {
      var factory = CertificateFactory.getInstance("X.509");
      for (var block : PemBlocks.of(new String(pem, StandardCharsets.US_ASCII))) {
        if (block.label().equals("CERTIFICATE")) {
          chain.add(
              (X509Certificate) factory.generateCertificate(new ByteArrayInputStream(block.der())));
        }
      }
    } catch (CertificateException | IllegalArgumentException e) {
      chain.clear();
    }
    if (chain.isEmpty()) {
      problems.add(NO_CERTIFICATE);
    }
    return chain;
  }

  /** Whether the key signs what the certificate's public key verifies. */
  private static boolean belongTogether(X509Certificate certificate, PrivateKey key) {
    var challenge = new byte[32];
    new SecureRandom().nextBytes(challenge);
    try {
      var signer = signature(key.getAlgorithm());
      signer.initSign(key);
      signer.update(challenge);
      var signed = signer.sign();
      var verifier = signature(key.getAlgorithm());
      verifier.initVerify(certificate.getPublicKey());
      verifier.update(challenge);
      return verifier.verify(signed);
    } catch (GeneralSecurityException | RuntimeException e) {
      return false;
    }
  }

  private static Signature signature(String keyAlgorithm) throws GeneralSecurityException {
    return switch (keyAlgorithm) {
      case "RSA" -> Signature.getInstance("SHA256withRSA");
      case "EC" -> Signature.getInstance("SHA256withECDSA");
      case "RSASSA-PSS" -> {
        var pss = Signature.getInstance("RSASSA-PSS");
        pss.setParameter(new PSSParameterSpec("SHA-256", "MGF1", MGF1ParameterSpec.SHA256, 32, 1));
        yield pss;
      }
      default -> Signature.getInstance(keyAlgorithm); // EdDSA, Ed25519, Ed448
    };
  }
}
