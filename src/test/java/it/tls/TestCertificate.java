package it.tls;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyStore;
import java.security.PrivateKey;
import java.security.cert.X509Certificate;
import java.util.Base64;
import java.util.concurrent.TimeUnit;
import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManagerFactory;

/**
 * A self-signed certificate for localhost, 127.0.0.1 and 127.0.0.2 and its private key, made by the
 * JDK's keytool, written as the two PEM files a platform hands a pod.
 */
record TestCertificate(X509Certificate certificate, PrivateKey key) {

  private static final char[] PASSWORD = "test-only".toCharArray();

  /**
   * @param algorithm {@code RSA} or {@code EC}
   */
  static TestCertificate make(Path folder, String name, String algorithm) throws Exception {
    var store = folder.resolve(name + ".p12");
    var keytool = Path.of(System.getProperty("java.home"), "bin", "keytool").toString();
    var command =
        new ProcessBuilder(
                keytool,
                "-genkeypair",
                "-alias",
                "tls",
                "-keyalg",
                algorithm,
                "-dname",
                "CN=" + name,
                "-ext",
                "SAN=dns:localhost,ip:127.0.0.1,ip:127.0.0.2",
                "-validity",
                "2",
                "-storetype",
                "PKCS12",
                "-keystore",
                store.toString(),
                "-storepass",
                new String(PASSWORD))
            .redirectErrorStream(true)
            .redirectOutput(folder.resolve(name + ".keytool.out").toFile())
            .start();
    if (!command.waitFor(60, TimeUnit.SECONDS) || command.exitValue() != 0) {
      throw new IllegalStateException("keytool failed: see " + folder);
    }
    var keys = KeyStore.getInstance("PKCS12");
    try (var in = Files.newInputStream(store)) {
      keys.load(in, PASSWORD);
    }
    return new TestCertificate(
        (X509Certificate) keys.getCertificate("tls"), (PrivateKey) keys.getKey("tls", PASSWORD));
  }

  /** tls.crt and tls.key, each replaced in one rename, as Kubernetes swaps a Secret's files. */
  void write(Path certificateFile, Path keyFile) throws Exception {
    replace(certificateFile, pem("CERTIFICATE", certificate.getEncoded()));
    replace(keyFile, pem("PRIVATE KEY", key.getEncoded()));
  }

  private static String pem(String label, byte[] der) {
    var base64 = Base64.getMimeEncoder(64, "\n".getBytes(StandardCharsets.US_ASCII));
    return "-----BEGIN "
        + label
        + "-----\n"
        + base64.encodeToString(der)
        + "\n-----END "
        + label
        + "-----\n";
  }

  private static void replace(Path file, String text) throws IOException {
    var written = file.resolveSibling(file.getFileName() + ".new");
    Files.writeString(written, text, StandardCharsets.US_ASCII);
    Files.move(written, file, java.nio.file.StandardCopyOption.ATOMIC_MOVE);
  }

  /** A TLS context that trusts this certificate and nothing else. */
  SSLContext trustingIt() throws Exception {
    var trusted = KeyStore.getInstance("PKCS12");
    trusted.load(null, null);
    trusted.setCertificateEntry("server", certificate);
    var trust = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
    trust.init(trusted);
    var context = SSLContext.getInstance("TLS");
    context.init(null, trust.getTrustManagers(), null);
    return context;
  }
}
