package io.labsos.statusstream.tls.control;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The PEM pairs platforms hand over, in the forms openssl and cert-manager write them. */
class TlsIdentityTest {

  private static byte[] resource(String name) {
    try (var in = TlsIdentityTest.class.getResourceAsStream("/tls/" + name)) {
      return in.readAllBytes();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  private static TlsIdentity identity(String certificate, String key) throws UnusableTlsFiles {
    return TlsIdentity.of(new PemFiles(resource(certificate), resource(key)));
  }

  private static String problems(String certificate, String key) {
    try {
      identity(certificate, key);
      return "none";
    } catch (UnusableTlsFiles e) {
      return String.join("; ", e.problems());
    }
  }

  @Test
  void readsAChainWithItsKeyInEachFormOfPem() throws UnusableTlsFiles {
    for (var key : new String[] {"rsa.key", "rsa-pkcs1.key"}) {
      var identity = identity("rsa-chain.crt", key);
      assertThat(identity.chain()).as(key).hasSize(2);
      assertThat(identity.certificate().getSubjectX500Principal().getName())
          .isEqualTo("CN=localhost");
      assertThat(identity.chain().get(1).getSubjectX500Principal().getName())
          .isEqualTo("CN=status-stream test CA");
      assertThat(identity.key().getAlgorithm()).isEqualTo("RSA");
    }
    for (var key : new String[] {"ec.key", "ec-sec1.key"}) {
      var identity = identity("ec.crt", key);
      assertThat(identity.chain()).as(key).hasSize(1);
      assertThat(identity.key().getAlgorithm()).isEqualTo("EC");
    }
  }

  @Test
  void refusesAKeyThatIsNotTheCertificates() {
    assertThat(problems("rsa-chain.crt", "ec.key")).isEqualTo(TlsIdentity.NOT_ITS_KEY);
    assertThat(problems("ec.crt", "rsa-pkcs1.key")).isEqualTo(TlsIdentity.NOT_ITS_KEY);
  }

  @Test
  void refusesEncryptedKeys() {
    assertThat(problems("rsa-chain.crt", "rsa-encrypted.key")).isEqualTo(TlsIdentity.ENCRYPTED_KEY);
    assertThat(problems("rsa-chain.crt", "rsa-encrypted-pkcs1.key"))
        .isEqualTo(TlsIdentity.ENCRYPTED_KEY);
  }

  @Test
  void refusesFilesWithoutPemOrWithTheirContentsSwapped() {
    var text = "not PEM at all\n".getBytes(StandardCharsets.US_ASCII);
    assertThatThrownBy(() -> TlsIdentity.of(new PemFiles(text, text)))
        .isInstanceOfSatisfying(
            UnusableTlsFiles.class,
            e ->
                assertThat(e.problems())
                    .containsExactly(TlsIdentity.NO_CERTIFICATE, TlsIdentity.NO_KEY));
    assertThat(problems("rsa.key", "rsa-chain.crt"))
        .isEqualTo(TlsIdentity.NO_CERTIFICATE + "; " + TlsIdentity.NO_KEY);
    var broken = "-----BEGIN CERTIFICATE-----\n!!!!\n-----END CERTIFICATE-----\n";
    assertThatThrownBy(
            () ->
                TlsIdentity.of(
                    new PemFiles(broken.getBytes(StandardCharsets.US_ASCII), resource("rsa.key"))))
        .isInstanceOfSatisfying(
            UnusableTlsFiles.class,
            e -> assertThat(e.problems()).containsExactly(TlsIdentity.NO_CERTIFICATE));
  }

  @Test
  void saysWhichFileCannotBeRead(@TempDir Path dir) throws IOException {
    var certificate = dir.resolve("tls.crt");
    Files.write(certificate, resource("ec.crt"));
    assertThatThrownBy(() -> PemFiles.read(certificate, dir.resolve("tls.key")))
        .isInstanceOfSatisfying(
            UnusableTlsFiles.class,
            e -> assertThat(e.problems()).containsExactly(PemFiles.KEY_UNREADABLE));
    assertThatThrownBy(() -> PemFiles.read(dir.resolve("none.crt"), dir))
        .isInstanceOfSatisfying(
            UnusableTlsFiles.class,
            e ->
                assertThat(e.problems())
                    .containsExactly(PemFiles.CERT_UNREADABLE, PemFiles.KEY_UNREADABLE));
  }

  @Test
  void filesAreEqualWhenTheirBytesAre() {
    var one = new PemFiles(resource("ec.crt"), resource("ec.key"));
    assertThat(one).isEqualTo(new PemFiles(resource("ec.crt"), resource("ec.key")));
    assertThat(one).isNotEqualTo(new PemFiles(resource("ec.crt"), resource("ec-sec1.key")));
    assertThat(one.toString()).doesNotContain("PRIVATE");
  }
}
