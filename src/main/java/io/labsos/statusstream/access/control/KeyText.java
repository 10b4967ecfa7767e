package io.labsos.statusstream.access.control;

import java.security.KeyFactory;
import java.security.NoSuchAlgorithmException;
import java.security.PublicKey;
import java.security.spec.InvalidKeySpecException;
import java.security.spec.X509EncodedKeySpec;
import java.util.Base64;
import java.util.List;
import org.jose4j.jwk.JsonWebKey;
import org.jose4j.jwk.JsonWebKeySet;
import org.jose4j.jwk.PublicJsonWebKey;
import org.jose4j.lang.JoseException;

/** Public keys as people hand them over: a JWK set, one JWK, or a PEM (or bare base64) key. */
final class KeyText {

  private KeyText() {}

  /**
   * @throws InvalidKeySpecException when the text holds no usable public key
   */
  static List<JsonWebKey> parse(String text) throws InvalidKeySpecException {
    try {
      if (text.startsWith("{")) {
        var set =
            text.contains("\"keys\"")
                ? new JsonWebKeySet(text)
                : new JsonWebKeySet(JsonWebKey.Factory.newJwk(text));
        if (set.getJsonWebKeys().isEmpty()) {
          throw new InvalidKeySpecException("an empty key set");
        }
        return List.copyOf(set.getJsonWebKeys());
      }
      return List.of(PublicJsonWebKey.Factory.newPublicJwk(pemPublicKey(text)));
    } catch (JoseException | IllegalArgumentException e) {
      throw new InvalidKeySpecException(e.getClass().getSimpleName());
    }
  }

  private static PublicKey pemPublicKey(String pem) throws InvalidKeySpecException {
    var base64 = pem.replaceAll("-----[A-Z ]+-----", "").replaceAll("\\s", "");
    var spec = new X509EncodedKeySpec(Base64.getDecoder().decode(base64));
    for (var algorithm : new String[] {"RSA", "EC"}) {
      try {
        return KeyFactory.getInstance(algorithm).generatePublic(spec);
      } catch (InvalidKeySpecException | NoSuchAlgorithmException ignored) {
        // Try the next key type.
      }
    }
    throw new InvalidKeySpecException("not an RSA or EC public key in X.509 (PEM) form");
  }
}
