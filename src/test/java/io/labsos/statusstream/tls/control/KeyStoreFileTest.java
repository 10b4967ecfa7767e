package io.labsos.statusstream.tls.control;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.KeyStore;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class KeyStoreFileTest {

  private static TlsIdentity identity(String certificate, String key) throws Exception {
    return TlsIdentity.of(new PemFiles(resource(certificate), resource(key)));
  }

  private static byte[] resource(String name) {
    try (var in = KeyStoreFileTest.class.getResourceAsStream("/tls/" + name)) {
      return in.readAllBytes();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  private static KeyStore load(Path file, String password) throws Exception {
    var store = KeyStore.getInstance("PKCS12");
    try (var in = Files.newInputStream(file)) {
      store.load(in, password.toCharArray());
    }
    return store;
  }

  @Test
  void writesThePairOwnerOnlyAndReplacesItWhole(@TempDir Path dir) throws Exception {
    var file = dir.resolve("tls").resolve("keystore.p12");
    var keyStore = new KeyStoreFile(file);
    keyStore.write(identity("rsa-chain.crt", "rsa-pkcs1.key"));

    var store = load(file, keyStore.password());
    assertThat(store.getCertificateChain(KeyStoreFile.ALIAS)).hasSize(2);
    assertThat(store.getKey(KeyStoreFile.ALIAS, keyStore.password().toCharArray()).getAlgorithm())
        .isEqualTo("RSA");
    assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(file)))
        .isEqualTo("rw-------");
    assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(file.getParent())))
        .isEqualTo("rwx------");

    keyStore.write(identity("ec.crt", "ec-sec1.key"));
    assertThat(
            load(file, keyStore.password())
                .getKey(KeyStoreFile.ALIAS, keyStore.password().toCharArray())
                .getAlgorithm())
        .isEqualTo("EC");
    try (var left = Files.list(file.getParent())) {
      assertThat(left).containsExactly(file);
    }
  }

  @Test
  void eachInstanceHasAPasswordOfItsOwn(@TempDir Path dir) {
    var one = new KeyStoreFile(dir.resolve("a.p12")).password();
    var other = new KeyStoreFile(dir.resolve("a.p12")).password();
    assertThat(one).hasSizeGreaterThanOrEqualTo(32).isNotEqualTo(other);
  }
}
