package io.labsos.statusstream.bench;

import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.interfaces.RSAPublicKey;
import org.jose4j.jwk.JsonWebKeySet;
import org.jose4j.jwk.RsaJsonWebKey;
import org.jose4j.jws.AlgorithmIdentifiers;
import org.jose4j.jws.JsonWebSignature;
import org.jose4j.jwt.JwtClaims;

/** A throwaway RSA key for the benchmark's tokens; its public half goes to a JWKS file. */
final class Keys {

  static final String ISSUER = "https://bench.status-stream.local";

  private final KeyPair pair;

  private Keys(KeyPair pair) {
    this.pair = pair;
  }

  static Keys create(Path jwks) throws Exception {
    var generator = KeyPairGenerator.getInstance("RSA");
    generator.initialize(2048);
    var pair = generator.generateKeyPair();
    var jwk = new RsaJsonWebKey((RSAPublicKey) pair.getPublic());
    jwk.setKeyId("bench");
    Files.writeString(jwks, new JsonWebKeySet(jwk).toJson());
    return new Keys(pair);
  }

  /** A token for the user, valid for two hours. */
  String token(String user) throws Exception {
    var claims = new JwtClaims();
    claims.setSubject(user);
    claims.setIssuer(ISSUER);
    claims.setIssuedAtToNow();
    claims.setExpirationTimeMinutesInTheFuture(120);
    var jws = new JsonWebSignature();
    jws.setPayload(claims.toJson());
    jws.setKey(pair.getPrivate());
    jws.setKeyIdHeaderValue("bench");
    jws.setAlgorithmHeaderValue(AlgorithmIdentifiers.RSA_USING_SHA256);
    return jws.getCompactSerialization();
  }
}
