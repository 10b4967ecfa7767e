package io.labsos.statusstream.demo.control;

import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import jakarta.enterprise.event.Startup;
import jakarta.inject.Inject;
import java.security.PrivateKey;
import java.time.Duration;
import java.time.Instant;
import java.util.logging.Logger;
import org.eclipse.microprofile.config.Config;
import org.eclipse.microprofile.config.inject.ConfigProperty;
import org.jose4j.jws.AlgorithmIdentifiers;
import org.jose4j.jws.JsonWebSignature;
import org.jose4j.jwt.JwtClaims;
import org.jose4j.jwt.NumericDate;
import org.jose4j.lang.JoseException;

/**
 * Demo mode ({@code DEMO_MODE=true}): tokens for the demo page without an identity provider, signed
 * with the key {@link DemoKeys} made at start (and offered to the verifier as configuration). Never
 * on unless asked for, and loud at start when it is.
 */
@ApplicationScoped
public class DemoMode {

  private static final Logger LOG = Logger.getLogger(DemoMode.class.getName());
  public static final String ISSUER = "status-stream-demo";
  public static final String USER = "demo-user";

  /** Exactly "true" turns it on, as it picks server.xml's demo-true.xml (localhost only). */
  @Inject
  @ConfigProperty(name = "DEMO_MODE", defaultValue = "false")
  String mode;

  @Inject Config config;

  void start(@Observes Startup startup) {
    if (!"true".equals(mode) && !"false".equals(mode)) {
      LOG.warning("DEMO_MODE is neither true nor false: demo mode is off");
    }
    if (!enabled()) {
      return;
    }
    LOG.warning(
        "DEMO MODE IS ON: /api/demo hands out tokens to anyone who asks"
            + (privateKey() == null
                ? " (but a JWT key is configured, so the service does not accept them)"
                : ", signed by a key made at start")
            + ". The server listens on localhost unless HTTP_HOST says otherwise. Never run a"
            + " real deployment with DEMO_MODE=true.");
  }

  public boolean enabled() {
    return "true".equals(mode);
  }

  /** Whether demo tokens can be made: no real key is configured. */
  public boolean hasKey() {
    return privateKey() != null;
  }

  private PrivateKey privateKey() {
    for (var source : config.getConfigSources()) {
      if (source instanceof DemoKeys demoKeys) {
        return demoKeys.privateKey();
      }
    }
    return null;
  }

  public String token(Duration lifetime) {
    var key = privateKey();
    if (key == null) {
      throw new IllegalStateException("no demo key: a JWT key is configured");
    }
    var claims = new JwtClaims();
    claims.setSubject(USER);
    claims.setIssuer(ISSUER);
    claims.setIssuedAtToNow();
    claims.setExpirationTime(
        NumericDate.fromMilliseconds(Instant.now().plus(lifetime).toEpochMilli()));
    var jws = new JsonWebSignature();
    jws.setPayload(claims.toJson());
    jws.setKey(key);
    jws.setAlgorithmHeaderValue(AlgorithmIdentifiers.RSA_USING_SHA256);
    try {
      return jws.getCompactSerialization();
    } catch (JoseException e) {
      throw new IllegalStateException(e);
    }
  }
}
