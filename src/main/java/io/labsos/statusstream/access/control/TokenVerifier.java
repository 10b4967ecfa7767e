package io.labsos.statusstream.access.control;

import io.labsos.statusstream.ApiError;
import io.labsos.statusstream.demo.control.DemoMode;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyFactory;
import java.security.PublicKey;
import java.security.spec.InvalidKeySpecException;
import java.security.spec.X509EncodedKeySpec;
import java.time.Instant;
import java.util.Base64;
import java.util.List;
import java.util.Optional;
import java.util.logging.Logger;
import org.eclipse.microprofile.config.inject.ConfigProperty;
import org.jose4j.jwa.AlgorithmConstraints;
import org.jose4j.jwa.AlgorithmConstraints.ConstraintType;
import org.jose4j.jwk.HttpsJwks;
import org.jose4j.jwk.JsonWebKeySet;
import org.jose4j.jws.AlgorithmIdentifiers;
import org.jose4j.jwt.MalformedClaimException;
import org.jose4j.jwt.consumer.InvalidJwtException;
import org.jose4j.jwt.consumer.JwtConsumer;
import org.jose4j.jwt.consumer.JwtConsumerBuilder;
import org.jose4j.keys.resolvers.HttpsJwksVerificationKeyResolver;
import org.jose4j.keys.resolvers.JwksVerificationKeyResolver;
import org.jose4j.lang.JoseException;

/**
 * Verifies a JWT by the MicroProfile JWT configuration ({@code mp.jwt.verify.*}, i.e. the {@code
 * MP_JWT_VERIFY_*} environment variables), whichever way the token arrived. Liberty's mpJwt feature
 * reads only the Authorization header or a cookie, and EventSource can send neither a header nor
 * (cross-site) a cookie, so one verifier decides for every token source.
 *
 * <p>Only asymmetric signatures are accepted (RS*, ES*, PS*): never {@code none}, never an HMAC
 * keyed with the public key. {@code exp} and {@code sub} are required; {@code nbf}, when present,
 * is enforced.
 */
@ApplicationScoped
public class TokenVerifier {

  private static final Logger LOG = Logger.getLogger(TokenVerifier.class.getName());

  /** A token larger than this is refused before it is parsed. */
  public static final int MAX_TOKEN_LENGTH = 16 * 1024;

  private static final String[] ALGORITHMS = {
    AlgorithmIdentifiers.RSA_USING_SHA256,
    AlgorithmIdentifiers.RSA_USING_SHA384,
    AlgorithmIdentifiers.RSA_USING_SHA512,
    AlgorithmIdentifiers.RSA_PSS_USING_SHA256,
    AlgorithmIdentifiers.ECDSA_USING_P256_CURVE_AND_SHA256,
    AlgorithmIdentifiers.ECDSA_USING_P384_CURVE_AND_SHA384
  };

  @Inject
  @ConfigProperty(name = "mp.jwt.verify.publickey.location")
  Optional<String> keyLocation;

  @Inject
  @ConfigProperty(name = "mp.jwt.verify.publickey")
  Optional<String> inlineKey;

  @Inject
  @ConfigProperty(name = "mp.jwt.verify.issuer")
  Optional<String> issuer;

  @Inject
  @ConfigProperty(name = "mp.jwt.verify.audiences")
  Optional<List<String>> audiences;

  @Inject
  @ConfigProperty(name = "mp.jwt.verify.clock.skew", defaultValue = "30")
  int clockSkewSeconds;

  @Inject DemoMode demo;

  /** The consumer for the key material as last read, and that material's file stamp. */
  private record Verifier(JwtConsumer consumer, String keyFileStamp) {}

  private volatile Verifier current;

  public Caller verify(String token) {
    if (token == null || token.isBlank()) {
      throw ApiError.unauthorized("A bearer token is required");
    }
    if (token.length() > MAX_TOKEN_LENGTH) {
      throw ApiError.unauthorized("The token is too large");
    }
    try {
      var claims = consumer().processToClaims(token);
      return new Caller(
          claims.getSubject(), Instant.ofEpochMilli(claims.getExpirationTime().getValueInMillis()));
    } catch (InvalidJwtException | MalformedClaimException e) {
      // jose4j's message quotes the token's claims: log only that it failed, never the token.
      throw ApiError.unauthorized("The token is invalid, expired or not signed by a trusted key");
    }
  }

  /**
   * The consumer, rebuilt when the key file changed: keys rotate without a restart (a JWKS URL is
   * refetched by jose4j when a token names a key id it has not seen).
   */
  private JwtConsumer consumer() {
    var stamp = keyFileStamp();
    var verifier = current;
    if (verifier == null || !verifier.keyFileStamp().equals(stamp)) {
      synchronized (this) {
        verifier = current;
        if (verifier == null || !verifier.keyFileStamp().equals(stamp)) {
          verifier = new Verifier(build(), stamp);
          current = verifier;
        }
      }
    }
    return verifier.consumer();
  }

  private Optional<Path> keyFile() {
    return keyLocation.filter(l -> !isUrl(l)).map(l -> Path.of(l.replaceFirst("^file:", "")));
  }

  private String keyFileStamp() {
    var file = keyFile();
    if (file.isEmpty()) {
      return "";
    }
    try {
      return Files.getLastModifiedTime(file.get()).toInstant() + "/" + Files.size(file.get());
    } catch (IOException e) {
      return "unreadable";
    }
  }

  private JwtConsumer build() {
    var builder =
        new JwtConsumerBuilder()
            .setRequireExpirationTime()
            .setRequireSubject()
            .setAllowedClockSkewInSeconds(clockSkewSeconds)
            .setJwsAlgorithmConstraints(
                new AlgorithmConstraints(ConstraintType.PERMIT, ALGORITHMS));
    boolean demoKey = demo.enabled() && keyLocation.isEmpty() && inlineKey.isEmpty();
    if (demoKey) {
      return builder
          .setExpectedIssuer(DemoMode.ISSUER)
          .setSkipDefaultAudienceValidation()
          .setVerificationKey(demo.publicKey())
          .build();
    }
    issuer.ifPresent(builder::setExpectedIssuer);
    if (audiences.isPresent() && !audiences.get().isEmpty()) {
      builder.setExpectedAudience(audiences.get().toArray(String[]::new));
    } else {
      builder.setSkipDefaultAudienceValidation();
    }
    try {
      if (keyLocation.isPresent() && isUrl(keyLocation.get())) {
        builder.setVerificationKeyResolver(
            new HttpsJwksVerificationKeyResolver(new HttpsJwks(keyLocation.get())));
      } else {
        var file = keyFile();
        var text =
            file.isPresent()
                ? Files.readString(file.get())
                : inlineKey.orElseThrow(
                    () ->
                        ApiError.unavailable(
                            "Token verification is not configured (MP_JWT_VERIFY_PUBLICKEY...)"));
        configureKey(builder, text.strip());
      }
    } catch (IOException | JoseException | InvalidKeySpecException e) {
      LOG.severe("The JWT verification key cannot be read: " + e.getMessage());
      throw ApiError.unavailable("The token verification key cannot be read");
    }
    return builder.build();
  }

  private static void configureKey(JwtConsumerBuilder builder, String text)
      throws JoseException, InvalidKeySpecException {
    if (text.startsWith("{")) {
      var jwks =
          text.contains("\"keys\"")
              ? new JsonWebKeySet(text)
              : new JsonWebKeySet(org.jose4j.jwk.JsonWebKey.Factory.newJwk(text));
      builder.setVerificationKeyResolver(new JwksVerificationKeyResolver(jwks.getJsonWebKeys()));
    } else {
      builder.setVerificationKey(pemPublicKey(text));
    }
  }

  private static PublicKey pemPublicKey(String pem) throws InvalidKeySpecException {
    var base64 = pem.replaceAll("-----[A-Z ]+-----", "").replaceAll("\\s", "");
    var spec = new X509EncodedKeySpec(Base64.getDecoder().decode(base64));
    for (var algorithm : new String[] {"RSA", "EC"}) {
      try {
        return KeyFactory.getInstance(algorithm).generatePublic(spec);
      } catch (InvalidKeySpecException | java.security.NoSuchAlgorithmException ignored) {
        // Try the next key type.
      }
    }
    throw new InvalidKeySpecException("not an RSA or EC public key in X.509 (PEM) form");
  }

  private static boolean isUrl(String location) {
    return location.startsWith("http://") || location.startsWith("https://");
  }
}
