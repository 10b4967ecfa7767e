package io.labsos.statusstream.tls.control;

import java.security.GeneralSecurityException;
import java.security.KeyFactory;
import java.security.PrivateKey;
import java.security.spec.PKCS8EncodedKeySpec;
import java.util.List;
import java.util.Optional;

/**
 * A private key from the PEM forms platforms hand over: PKCS#8 ({@code PRIVATE KEY}), PKCS#1
 * ({@code RSA PRIVATE KEY}) and SEC1 ({@code EC PRIVATE KEY}), the last two what openssl's
 * "traditional" output and cert-manager's default encoding write. Java reads PKCS#8 only, so the
 * other two are wrapped into it first. Encrypted keys are not read: nothing here could hold their
 * password better than the file system holds the key.
 */
final class PrivateKeys {

  /** The key of a file that has one, or why it has none. */
  sealed interface Found permits Key, Encrypted, None {}

  record Key(PrivateKey key) implements Found {}

  record Encrypted() implements Found {}

  record None() implements Found {}

  private static final byte[] RSA_ENCRYPTION =
      oid(0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x01); // 1.2.840.113549.1.1.1
  private static final byte[] EC_PUBLIC_KEY =
      oid(0x2a, 0x86, 0x48, 0xce, 0x3d, 0x02, 0x01); // 1.2.840.10045.2.1

  private static final List<String> ALGORITHMS = List.of("RSA", "EC", "EdDSA", "RSASSA-PSS");

  private PrivateKeys() {}

  /** The first private key among the blocks. */
  static Found of(List<PemBlocks.Block> blocks) {
    for (var block : blocks) {
      switch (block.label()) {
        case "ENCRYPTED PRIVATE KEY" -> {
          return new Encrypted();
        }
        case "PRIVATE KEY", "RSA PRIVATE KEY", "EC PRIVATE KEY" -> {
          if (block.encrypted()) {
            return new Encrypted();
          }
          var pkcs8 =
              switch (block.label()) {
                case "RSA PRIVATE KEY" -> fromPkcs1(block.der());
                case "EC PRIVATE KEY" -> fromSec1(block.der());
                default -> block.der();
              };
          return pkcs8(pkcs8).<Found>map(Key::new).orElseGet(None::new);
        }
        default -> {}
      }
    }
    return new None();
  }

  private static Optional<PrivateKey> pkcs8(byte[] der) {
    if (der == null) {
      return Optional.empty();
    }
    var spec = new PKCS8EncodedKeySpec(der);
    for (var algorithm : ALGORITHMS) {
      try {
        return Optional.of(KeyFactory.getInstance(algorithm).generatePrivate(spec));
      } catch (GeneralSecurityException | RuntimeException notThisOne) {
        // Each factory reads its own algorithm's keys only: try the next.
      }
    }
    return Optional.empty();
  }

  /** PrivateKeyInfo { 0, rsaEncryption with NULL parameters, the PKCS#1 key }. */
  private static byte[] fromPkcs1(byte[] pkcs1) {
    return Der.sequence(
        Der.element(Der.INTEGER, new byte[] {0}),
        Der.sequence(RSA_ENCRYPTION, Der.element(Der.NULL, new byte[0])),
        Der.element(Der.OCTET_STRING, pkcs1));
  }

  /**
   * PrivateKeyInfo { 0, ecPublicKey with the named curve, the SEC1 key }. The curve is the key's
   * {@code [0]} parameters (openssl always writes them); null when it names none.
   */
  private static byte[] fromSec1(byte[] sec1) {
    byte[] curve = null;
    try {
      for (var element : Der.sequence(sec1)) {
        if (element.tag() == Der.CONTEXT_0) {
          curve = element.content();
        }
      }
    } catch (IllegalArgumentException e) {
      return null;
    }
    if (curve == null || curve.length == 0 || curve[0] != Der.OBJECT_IDENTIFIER) {
      return null;
    }
    return Der.sequence(
        Der.element(Der.INTEGER, new byte[] {0}),
        Der.sequence(EC_PUBLIC_KEY, curve),
        Der.element(Der.OCTET_STRING, sec1));
  }

  private static byte[] oid(int... octets) {
    var content = new byte[octets.length];
    for (int i = 0; i < octets.length; i++) {
      content[i] = (byte) octets[i];
    }
    return Der.element(Der.OBJECT_IDENTIFIER, content);
  }
}
