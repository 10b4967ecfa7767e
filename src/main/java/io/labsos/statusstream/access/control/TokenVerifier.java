package io.labsos.statusstream.access.control;

import io.labsos.statusstream.access.entity.JwtPrincipal;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import java.time.Instant;
import java.util.List;
import java.util.regex.Pattern;
import org.eclipse.microprofile.jwt.JsonWebToken;
import org.jose4j.jwa.AlgorithmConstraints;
import org.jose4j.jwa.AlgorithmConstraints.ConstraintType;
import org.jose4j.jwk.JsonWebKey;
import org.jose4j.jwt.JwtClaims;
import org.jose4j.jwt.MalformedClaimException;
import org.jose4j.jwt.consumer.InvalidJwtException;
import org.jose4j.jwt.consumer.JwtConsumerBuilder;
import org.jose4j.keys.resolvers.JwksVerificationKeyResolver;
import org.jose4j.keys.resolvers.VerificationKeyResolver;
import org.jose4j.lang.UnresolvableKeyException;

/**
 * The one place that decides whether a token is accepted, whichever way it arrived (header, query,
 * cookie: see {@link Credentials}), by the settings of {@link AccessSettings} and the keys of its
 * {@link KeySource}.
 *
 * <p>A token is accepted while {@code now < exp + clock skew}: a stream opened with it ends at that
 * moment ({@link #acceptedUntil}), and the same token is refused from then on. Only asymmetric
 * signatures (RS*, PS*, ES*, or the one algorithm configured), never {@code none} nor an HMAC keyed
 * with the public key; {@code iss} must be the configured issuer, {@code aud} must name one of the
 * configured audiences when some are configured, {@code exp} and {@code sub} are required, {@code
 * nbf} is enforced when present.
 */
@ApplicationScoped
public class TokenVerifier {

  /** A token larger than this is refused before it is parsed. */
  public static final int MAX_TOKEN_LENGTH = 16 * 1024;

  /** Longest {@code sub}: it is a database key and a log field, not a document. */
  static final int MAX_SUBJECT_LENGTH = 1024;

  /** 9999-12-31T23:59:59Z: a later {@code exp} is not a date any issuer means. */
  static final long LATEST_EXPIRY = 253_402_300_799L;

  private static final Pattern CONTROL = Pattern.compile("[\\x00-\\x1f\\x7f]");

  @Inject AccessSettings settings;

  private final VerifiedTokens verified = new VerifiedTokens();

  /**
   * The caller of a valid token.
   *
   * @throws Unauthenticated for a missing or refused token
   * @throws KeysUnavailable when no keys can be had
   */
  public JwtPrincipal verify(String token) {
    if (token == null || token.isBlank()) {
      throw new Unauthenticated("A bearer token is required");
    }
    if (token.length() > MAX_TOKEN_LENGTH) {
      throw new Unauthenticated("The token is too large");
    }
    if (!settings.verificationProblems().isEmpty()) {
      throw new KeysUnavailable(KeysUnavailable.NOT_CONFIGURED);
    }
    var source = settings.keys();
    var keys = source.keys();
    var known = verified.get(token, keys);
    if (known != null) {
      return known;
    }
    try {
      return remember(token, keys, accept(token, keys));
    } catch (UnknownKey e) {
      var again = source.afterUnknownKeyId(keys);
      if (again != keys) {
        try {
          return remember(token, again, accept(token, again));
        } catch (UnknownKey stillUnknown) {
          // Refused below.
        }
      }
      throw refused();
    }
  }

  /** When a stream opened with the token ends: the moment the token stops being accepted. */
  public Instant acceptedUntil(JsonWebToken token) {
    return Instant.ofEpochSecond(token.getExpirationTime() + settings.clockSkewSeconds());
  }

  private JwtPrincipal remember(String token, List<JsonWebKey> keys, JwtPrincipal caller) {
    verified.remember(token, keys, caller, acceptedUntil(caller));
    return caller;
  }

  /** The token names a key the keys lack: the issuer may have rotated its keys. */
  private static final class UnknownKey extends Exception {
    UnknownKey() {
      super(null, null, false, false);
    }
  }

  private JwtPrincipal accept(String token, List<JsonWebKey> keys) throws UnknownKey {
    var jwks = new JwksVerificationKeyResolver(keys);
    jwks.setDisambiguateWithVerifySignature(true);
    boolean[] unknownKey = {false};
    VerificationKeyResolver resolver =
        (jws, nesting) -> {
          try {
            return jwks.resolveKey(jws, nesting);
          } catch (UnresolvableKeyException e) {
            unknownKey[0] = true;
            throw e;
          }
        };
    var builder =
        new JwtConsumerBuilder()
            .setRequireExpirationTime()
            .setRequireSubject()
            .setAllowedClockSkewInSeconds(settings.clockSkewSeconds())
            .setExpectedIssuer(settings.issuer())
            .setJwsAlgorithmConstraints(
                new AlgorithmConstraints(
                    ConstraintType.PERMIT, settings.algorithms().toArray(String[]::new)))
            .setVerificationKeyResolver(resolver);
    if (settings.audiences().isEmpty()) {
      builder.setSkipDefaultAudienceValidation();
    } else {
      builder.setExpectedAudience(settings.audiences().toArray(String[]::new));
    }
    JwtClaims claims;
    try {
      claims = builder.build().processToClaims(token);
    } catch (InvalidJwtException e) {
      // jose4j's message quotes the token's claims: nothing of it is logged.
      if (unknownKey[0]) {
        throw new UnknownKey();
      }
      throw refused();
    }
    try {
      var subject = claims.getSubject();
      if (subject == null
          || subject.isBlank()
          || subject.length() > MAX_SUBJECT_LENGTH
          || CONTROL.matcher(subject).find()
          || claims.getExpirationTime().getValue() > LATEST_EXPIRY) {
        throw refused();
      }
      if (claims.hasClaim("groups")) {
        claims.getStringListClaimValue("groups");
      }
    } catch (MalformedClaimException e) {
      throw refused();
    }
    return new JwtPrincipal(token, claims);
  }

  private static Unauthenticated refused() {
    return new Unauthenticated("The token is invalid, expired or not signed by a trusted key");
  }
}
