package io.labsos.statusstream.demo.control;

import jakarta.annotation.PostConstruct;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.NoSuchAlgorithmException;
import java.security.PublicKey;
import java.time.Duration;
import java.time.Instant;
import java.util.logging.Logger;
import org.eclipse.microprofile.config.inject.ConfigProperty;
import org.jose4j.jws.AlgorithmIdentifiers;
import org.jose4j.jws.JsonWebSignature;
import org.jose4j.jwt.JwtClaims;
import org.jose4j.jwt.NumericDate;
import org.jose4j.lang.JoseException;

/**
 * Demo mode ({@code DEMO_MODE=true}): a throwaway key pair made at start, so the demo page can get
 * a token without an identity provider. Never on unless asked for, and loud when it is.
 */
@ApplicationScoped
public class DemoMode {

  private static final Logger LOG = Logger.getLogger(DemoMode.class.getName());
  public static final String ISSUER = "status-stream-demo";
  public static final String USER = "demo-user";

  @Inject
  @ConfigProperty(name = "DEMO_MODE", defaultValue = "false")
  boolean enabled;

  private KeyPair keys;

  @PostConstruct
  void init() {
    if (!enabled) {
      return;
    }
    try {
      var generator = KeyPairGenerator.getInstance("RSA");
      generator.initialize(2048);
      keys = generator.generateKeyPair();
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
    LOG.warning(
        "DEMO MODE IS ON: /api/demo hands out tokens signed by a key made at start, to anyone."
            + " Never run a real deployment with DEMO_MODE=true.");
  }

  public boolean enabled() {
    return enabled;
  }

  /** The demo key, trusted only in demo mode and only when no real key is configured. */
  public PublicKey publicKey() {
    return keys.getPublic();
  }

  public String token(Duration lifetime) {
    var claims = new JwtClaims();
    claims.setSubject(USER);
    claims.setIssuer(ISSUER);
    claims.setIssuedAtToNow();
    claims.setExpirationTime(
        NumericDate.fromMilliseconds(Instant.now().plus(lifetime).toEpochMilli()));
    var jws = new JsonWebSignature();
    jws.setPayload(claims.toJson());
    jws.setKey(keys.getPrivate());
    jws.setAlgorithmHeaderValue(AlgorithmIdentifiers.RSA_USING_SHA256);
    try {
      return jws.getCompactSerialization();
    } catch (JoseException e) {
      throw new IllegalStateException(e);
    }
  }
}
