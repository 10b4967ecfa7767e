package it;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.security.KeyFactory;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.PrivateKey;
import java.security.spec.PKCS8EncodedKeySpec;
import java.time.Duration;
import java.time.Instant;
import java.util.Base64;
import java.util.List;
import org.jose4j.jws.AlgorithmIdentifiers;
import org.jose4j.jws.JsonWebSignature;
import org.jose4j.jwt.JwtClaims;
import org.jose4j.jwt.NumericDate;
import org.jose4j.keys.HmacKey;
import org.jose4j.lang.JoseException;

/** Tokens as the platform's identity provider issues them, signed with the test key. */
public final class Tokens {

  public static final String ISSUER = "https://issuer.test";

  /**
   * The {@code aud} of every test token: the integration-test server accepts only this audience
   * (MP_JWT_VERIFY_AUDIENCES in pom.xml); the runnable-jar servers check none.
   */
  public static final String AUDIENCE = "status-stream-it";

  private static final PrivateKey KEY = loadKey();

  private Tokens() {}

  /** A valid token for the user, for an hour. */
  public static String forUser(String subject) {
    return sign(claims(subject, ISSUER, Instant.now().plus(Duration.ofHours(1))), KEY);
  }

  /** A valid token for the user, for an hour, whose {@code groups} name these. */
  public static String forUserInGroups(String subject, String... groups) {
    var claims = claims(subject, ISSUER, Instant.now().plus(Duration.ofHours(1)));
    claims.setStringListClaim("groups", List.of(groups));
    return signWithTestKey(claims);
  }

  public static String expiringIn(String subject, Duration lifetime) {
    return sign(claims(subject, ISSUER, Instant.now().plus(lifetime)), KEY);
  }

  public static JwtClaims claims(String subject, String issuer, Instant expiresAt) {
    var claims = new JwtClaims();
    if (subject != null) {
      claims.setSubject(subject);
    }
    claims.setIssuer(issuer);
    claims.setAudience(AUDIENCE);
    claims.setIssuedAtToNow();
    claims.setExpirationTime(NumericDate.fromMilliseconds(expiresAt.toEpochMilli()));
    return claims;
  }

  public static String sign(JwtClaims claims, PrivateKey key) {
    return sign(claims, key, null);
  }

  /** Signs with the key (RS256), naming it by {@code kid} when one is given. */
  public static String sign(JwtClaims claims, PrivateKey key, String keyId) {
    return sign(claims, key, keyId, AlgorithmIdentifiers.RSA_USING_SHA256);
  }

  /** Signs with the key by the algorithm (a JWS {@code alg}), naming the key when one is given. */
  public static String sign(JwtClaims claims, PrivateKey key, String keyId, String algorithm) {
    var jws = new JsonWebSignature();
    jws.setPayload(claims.toJson());
    jws.setKey(key);
    if (keyId != null) {
      jws.setKeyIdHeaderValue(keyId);
    }
    jws.setAlgorithmHeaderValue(algorithm);
    try {
      return jws.getCompactSerialization();
    } catch (JoseException e) {
      throw new IllegalStateException(e);
    }
  }

  public static String signWithTestKey(JwtClaims claims) {
    return sign(claims, KEY);
  }

  /** Signed with the test key by another algorithm its RSA key can sign with (RS384, PS256...). */
  public static String signWithTestKey(JwtClaims claims, String algorithm) {
    return sign(claims, KEY, null, algorithm);
  }

  /** A key the server does not trust. */
  public static PrivateKey foreignKey() {
    return newKeyPair().getPrivate();
  }

  public static KeyPair newKeyPair() {
    try {
      var generator = KeyPairGenerator.getInstance("RSA");
      generator.initialize(2048);
      return generator.generateKeyPair();
    } catch (java.security.NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }

  /** The HMAC confusion attack: HS256 keyed with the server's public key. */
  public static String hmacWithPublicKey(JwtClaims claims) {
    try (InputStream in = Tokens.class.getResourceAsStream("/jwt/public.pem")) {
      var jws = new JsonWebSignature();
      jws.setPayload(claims.toJson());
      jws.setAlgorithmHeaderValue(AlgorithmIdentifiers.HMAC_SHA256);
      jws.setKey(new HmacKey(in.readAllBytes()));
      jws.setDoKeyValidation(false);
      return jws.getCompactSerialization();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    } catch (JoseException e) {
      throw new IllegalStateException(e);
    }
  }

  public static String base64Url(String json) {
    return Base64.getUrlEncoder()
        .withoutPadding()
        .encodeToString(json.getBytes(StandardCharsets.UTF_8));
  }

  private static PrivateKey loadKey() {
    try (InputStream in = Tokens.class.getResourceAsStream("/jwt/private.pem")) {
      var pem = new String(in.readAllBytes(), StandardCharsets.US_ASCII);
      var der =
          Base64.getMimeDecoder()
              .decode(pem.replaceAll("-----[A-Z ]+-----", "").replaceAll("\\s", ""));
      return KeyFactory.getInstance("RSA").generatePrivate(new PKCS8EncodedKeySpec(der));
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    } catch (java.security.GeneralSecurityException e) {
      throw new IllegalStateException(e);
    }
  }
}
