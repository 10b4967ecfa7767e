package io.labsos.statusstream.bench.harness;

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
public final class Keys {

  public static final String ISSUER = "https://bench.status-stream.local";

  private final KeyPair pair;
  private final Path jwks;

  private Keys(KeyPair pair, Path jwks) {
    this.pair = pair;
    this.jwks = jwks;
  }

  public static Keys create(Path jwks) throws Exception {
    var generator = KeyPairGenerator.getInstance("RSA");
    generator.initialize(2048);
    var pair = generator.generateKeyPair();
    var jwk = new RsaJsonWebKey((RSAPublicKey) pair.getPublic());
    jwk.setKeyId("bench");
    Files.writeString(jwks, new JsonWebKeySet(jwk).toJson());
    return new Keys(pair, jwks);
  }

  /** The public key as a JWKS file. */
  public Path jwks() {
    return jwks;
  }

  /** A token for the user, valid for two hours. */
  public String token(String user) throws Exception {
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
