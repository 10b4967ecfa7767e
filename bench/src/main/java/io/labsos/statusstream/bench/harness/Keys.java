package io.labsos.statusstream.bench.harness;

import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.interfaces.RSAPublicKey;
import java.util.Base64;
import org.jose4j.jwk.JsonWebKeySet;
import org.jose4j.jwk.RsaJsonWebKey;
import org.jose4j.jws.AlgorithmIdentifiers;
import org.jose4j.jws.JsonWebSignature;
import org.jose4j.jwt.JwtClaims;

/**
 * A throwaway RSA key for the benchmark's tokens. Its public half is written twice, as a JWKS file
 * (what our service is given) and as a PEM file (what a server that reads only PEM, like the Node
 * peer, is given); both are forms {@code MP_JWT_VERIFY_PUBLICKEY_LOCATION} may name.
 */
public final class Keys {

  public static final String ISSUER = "https://bench.status-stream.local";

  private final KeyPair pair;
  private final Path jwks;
  private final Path pem;

  private Keys(KeyPair pair, Path jwks, Path pem) {
    this.pair = pair;
    this.jwks = jwks;
    this.pem = pem;
  }

  /**
   * A new key, its public half written to {@code jwks.json} and {@code public.pem} in the folder.
   */
  public static Keys create(Path folder) throws Exception {
    var generator = KeyPairGenerator.getInstance("RSA");
    generator.initialize(2048);
    var pair = generator.generateKeyPair();
    var jwk = new RsaJsonWebKey((RSAPublicKey) pair.getPublic());
    jwk.setKeyId("bench");
    var jwks = folder.resolve("jwks.json");
    Files.writeString(jwks, new JsonWebKeySet(jwk).toJson());
    var pem = writePem(folder.resolve("public.pem"), "PUBLIC KEY", pair.getPublic().getEncoded());
    return new Keys(pair, jwks, pem);
  }

  /** The public key as a JWKS file. */
  public Path jwks() {
    return jwks;
  }

  /** The public key as a PEM file (X.509 SubjectPublicKeyInfo). */
  public Path pem() {
    return pem;
  }

  /**
   * Writes the private key as PEM (PKCS #8) to the file: for a load client of its own that signs
   * its tokens, as {@code load.mjs} does.
   */
  public Path writePrivatePem(Path file) throws Exception {
    Files.createDirectories(file.getParent());
    return writePem(file, "PRIVATE KEY", pair.getPrivate().getEncoded());
  }

  /** Writes DER bytes as a PEM file of that label. */
  private static Path writePem(Path file, String label, byte[] der) throws Exception {
    Files.writeString(
        file,
        "-----BEGIN "
            + label
            + "-----\n"
            + Base64.getMimeEncoder(64, "\n".getBytes()).encodeToString(der)
            + "\n-----END "
            + label
            + "-----\n");
    return file;
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
