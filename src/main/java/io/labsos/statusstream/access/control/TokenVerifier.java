package io.labsos.statusstream.access.control;

import io.labsos.statusstream.access.entity.JwtPrincipal;
import jakarta.annotation.PostConstruct;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import jakarta.enterprise.event.Startup;
import jakarta.inject.Inject;
import java.io.IOException;
import java.net.InetAddress;
import java.net.URI;
import java.net.URISyntaxException;
import java.net.UnknownHostException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyFactory;
import java.security.NoSuchAlgorithmException;
import java.security.PublicKey;
import java.security.spec.InvalidKeySpecException;
import java.security.spec.X509EncodedKeySpec;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.logging.Logger;
import java.util.regex.Pattern;
import org.eclipse.microprofile.config.inject.ConfigProperty;
import org.eclipse.microprofile.jwt.JsonWebToken;
import org.jose4j.jwa.AlgorithmConstraints;
import org.jose4j.jwa.AlgorithmConstraints.ConstraintType;
import org.jose4j.jwk.JsonWebKey;
import org.jose4j.jwk.JsonWebKeySet;
import org.jose4j.jwk.PublicJsonWebKey;
import org.jose4j.jws.AlgorithmIdentifiers;
import org.jose4j.jwt.JwtClaims;
import org.jose4j.jwt.MalformedClaimException;
import org.jose4j.jwt.consumer.InvalidJwtException;
import org.jose4j.jwt.consumer.JwtConsumerBuilder;
import org.jose4j.keys.resolvers.JwksVerificationKeyResolver;
import org.jose4j.keys.resolvers.VerificationKeyResolver;
import org.jose4j.lang.JoseException;
import org.jose4j.lang.UnresolvableKeyException;

/**
 * The one place that decides whether a token is accepted, whichever way it arrived (header, query,
 * cookie: see {@link Credentials}), by the MicroProfile JWT configuration ({@code mp.jwt.verify.*},
 * i.e. the {@code MP_JWT_VERIFY_*} environment variables). The demo's throwaway key comes the same
 * way, through configuration.
 *
 * <p>A token is accepted while {@code now < exp + clock skew}: a stream opened with it ends at that
 * moment ({@link #acceptedUntil}), and the same token is refused from then on. Only asymmetric
 * signatures (RS*, PS*, ES*), never {@code none} nor an HMAC keyed with the public key; {@code iss}
 * must be the configured issuer, {@code aud} must name one of the configured audiences when some
 * are configured, {@code exp} and {@code sub} are required, {@code nbf} is enforced when present.
 */
@ApplicationScoped
public class TokenVerifier {

  private static final Logger LOG = Logger.getLogger(TokenVerifier.class.getName());

  /** A token larger than this is refused before it is parsed. */
  public static final int MAX_TOKEN_LENGTH = 16 * 1024;

  /** Longest {@code sub}: it is a database key and a log field, not a document. */
  static final int MAX_SUBJECT_LENGTH = 1024;

  /** 9999-12-31T23:59:59Z: a later {@code exp} is not a date any issuer means. */
  static final long LATEST_EXPIRY = 253_402_300_799L;

  private static final String[] ALGORITHMS = {
    AlgorithmIdentifiers.RSA_USING_SHA256,
    AlgorithmIdentifiers.RSA_USING_SHA384,
    AlgorithmIdentifiers.RSA_USING_SHA512,
    AlgorithmIdentifiers.RSA_PSS_USING_SHA256,
    AlgorithmIdentifiers.ECDSA_USING_P256_CURVE_AND_SHA256,
    AlgorithmIdentifiers.ECDSA_USING_P384_CURVE_AND_SHA384
  };

  private static final Pattern CONTROL = Pattern.compile("[\\x00-\\x1f\\x7f]");

  static final String NO_ISSUER = "MP_JWT_VERIFY_ISSUER is not set";
  static final String NO_KEY =
      "no token verification key: set MP_JWT_VERIFY_PUBLICKEY or MP_JWT_VERIFY_PUBLICKEY_LOCATION";
  static final String TWO_KEYS =
      "both MP_JWT_VERIFY_PUBLICKEY and MP_JWT_VERIFY_PUBLICKEY_LOCATION are set: set one";
  static final String PLAIN_HTTP =
      "MP_JWT_VERIFY_PUBLICKEY_LOCATION is an http: URL of another host: keys must come over https"
          + " (http only from localhost)";
  static final String BAD_URL = "MP_JWT_VERIFY_PUBLICKEY_LOCATION is not a valid URL";
  static final String BAD_INLINE_KEY =
      "MP_JWT_VERIFY_PUBLICKEY is not a PEM public key, a JWK or a JWK set";

  @Inject
  @ConfigProperty(name = "mp.jwt.verify.publickey.location")
  Optional<String> keyLocation;

  @Inject
  @ConfigProperty(name = "mp.jwt.verify.publickey")
  Optional<String> inlineKey;

  @Inject
  @ConfigProperty(name = "mp.jwt.verify.issuer")
  Optional<String> issuer;

  /** Read as text and split here: MicroProfile Config's lists keep the blanks around items. */
  @Inject
  @ConfigProperty(name = "mp.jwt.verify.audiences")
  Optional<String> audiencesText;

  @Inject
  @ConfigProperty(name = "mp.jwt.verify.clock.skew", defaultValue = "30")
  int clockSkewSeconds;

  /** How long the last good keys of a JWKS URL stay in use while the URL fails. */
  @Inject
  @ConfigProperty(name = "MP_JWT_KEYS_KEEP_SECONDS", defaultValue = "3600")
  long keysKeepSeconds;

  /** Most tokens remembered as verified; a client's reconnects and its tabs share one. */
  static final int VERIFIED_MAX = 10_000;

  private final List<String> problems = new ArrayList<>();

  /**
   * Tokens already verified, by their exact text: the same text verifies the same way until its
   * {@code exp} (+ skew), as long as the keys are the same. Verifying (parse, RSA) was 13 % of the
   * CPU of opening a stream; the streams of one token also share one caller object.
   */
  private final Map<String, Verified> verified = new ConcurrentHashMap<>();

  private String[] audiences;
  private List<JsonWebKey> inlineKeys;
  private RemoteKeySet remoteKeys;
  private volatile FileKeys fileKeys;

  /** A key file as last read, with the stamp (time, size) it had. */
  private record FileKeys(List<JsonWebKey> keys, String stamp) {}

  @PostConstruct
  void init() {
    audiences =
        audiencesText.stream()
            .flatMap(text -> Arrays.stream(text.split(",")))
            .map(String::strip)
            .filter(a -> !a.isEmpty())
            .toArray(String[]::new);
    if (issuer.map(String::isBlank).orElse(true)) {
      problems.add(NO_ISSUER);
    }
    var location = keyLocation.map(String::strip).filter(l -> !l.isEmpty());
    var inline = inlineKey.map(String::strip).filter(k -> !k.isEmpty());
    if (location.isEmpty() && inline.isEmpty()) {
      problems.add(NO_KEY);
    } else if (location.isPresent() && inline.isPresent()) {
      problems.add(TWO_KEYS);
    } else if (inline.isPresent()) {
      try {
        inlineKeys = parseKeys(inline.get());
      } catch (JoseException | InvalidKeySpecException | IllegalArgumentException e) {
        problems.add(BAD_INLINE_KEY);
      }
    } else if (isUrl(location.get())) {
      try {
        var uri = new URI(location.get());
        if (uri.getHost() == null) {
          problems.add(BAD_URL);
        } else if ("http".equalsIgnoreCase(uri.getScheme()) && !isLoopback(uri.getHost())) {
          problems.add(PLAIN_HTTP);
        } else {
          remoteKeys = new RemoteKeySet(uri, Duration.ofSeconds(Math.max(0, keysKeepSeconds)));
        }
      } catch (URISyntaxException e) {
        problems.add(BAD_URL);
      }
    }
  }

  /** Says once, at start, why this instance will not become ready. */
  void start(@Observes Startup startup) {
    if (!problems.isEmpty()) {
      LOG.severe(
          "Token verification is not configured, so this instance does not become ready and"
              + " answers every token with 503: "
              + String.join("; ", problems));
    }
  }

  /** What keeps token verification from working, as fixed texts (empty when it can work). */
  public List<String> problems() {
    return List.copyOf(problems);
  }

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
    if (!problems.isEmpty()) {
      throw new KeysUnavailable(KeysUnavailable.NOT_CONFIGURED);
    }
    var keys = keys();
    var known = verified.get(token);
    if (known != null && known.keys() == keys && Instant.now().isBefore(known.until())) {
      return known.caller();
    }
    try {
      return remember(token, keys, accept(token, keys));
    } catch (UnknownKey e) {
      if (remoteKeys != null) {
        remoteKeys.unknownKeyId();
        var again = keys();
        if (again != keys) {
          try {
            return remember(token, again, accept(token, again));
          } catch (UnknownKey stillUnknown) {
            // Refused below.
          }
        }
      }
      throw refused();
    }
  }

  /** When a stream opened with the token ends: the moment the token stops being accepted. */
  public Instant acceptedUntil(JsonWebToken token) {
    return Instant.ofEpochSecond(token.getExpirationTime() + clockSkewSeconds);
  }

  /**
   * A token accepted with these keys (the same list instance: new or rotated keys verify anew),
   * accepted until {@link #acceptedUntil}.
   */
  private record Verified(JwtPrincipal caller, List<JsonWebKey> keys, Instant until) {}

  private JwtPrincipal remember(String token, List<JsonWebKey> keys, JwtPrincipal caller) {
    if (verified.size() >= VERIFIED_MAX) {
      var now = Instant.now();
      verified.values().removeIf(v -> !now.isBefore(v.until()));
      if (verified.size() >= VERIFIED_MAX) {
        verified.clear(); // many live tokens: start over rather than grow
      }
    }
    verified.put(token, new Verified(caller, keys, acceptedUntil(caller)));
    return caller;
  }

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
            .setAllowedClockSkewInSeconds(clockSkewSeconds)
            .setExpectedIssuer(issuer.orElseThrow().strip())
            .setJwsAlgorithmConstraints(new AlgorithmConstraints(ConstraintType.PERMIT, ALGORITHMS))
            .setVerificationKeyResolver(resolver);
    if (audiences.length > 0) {
      builder.setExpectedAudience(audiences);
    } else {
      builder.setSkipDefaultAudienceValidation();
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

  private List<JsonWebKey> keys() {
    if (inlineKeys != null) {
      return inlineKeys;
    }
    if (remoteKeys != null) {
      try {
        return remoteKeys.keys();
      } catch (RemoteKeySet.Unavailable e) {
        throw new KeysUnavailable();
      }
    }
    return fileKeys();
  }

  /** The key file, read again when it changed: keys rotate without a restart. */
  private List<JsonWebKey> fileKeys() {
    var file = Path.of(keyLocation.orElseThrow().strip().replaceFirst("^file:", ""));
    String stamp;
    try {
      stamp = Files.getLastModifiedTime(file).toInstant() + "/" + Files.size(file);
    } catch (IOException e) {
      LOG.warning(
          "The token verification key file cannot be read: " + e.getClass().getSimpleName());
      throw new KeysUnavailable();
    }
    var cached = fileKeys;
    if (cached != null && cached.stamp().equals(stamp)) {
      return cached.keys();
    }
    synchronized (this) {
      cached = fileKeys;
      if (cached == null || !cached.stamp().equals(stamp)) {
        try {
          cached = new FileKeys(parseKeys(Files.readString(file).strip()), stamp);
        } catch (IOException
            | JoseException
            | InvalidKeySpecException
            | IllegalArgumentException e) {
          LOG.warning(
              "The token verification key file "
                  + file
                  + " holds no usable key: "
                  + e.getClass().getSimpleName());
          throw new KeysUnavailable();
        }
        fileKeys = cached;
      }
    }
    return cached.keys();
  }

  /** A JWK set, one JWK, or a PEM (or bare base64) X.509 public key. */
  static List<JsonWebKey> parseKeys(String text) throws JoseException, InvalidKeySpecException {
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

  private static boolean isUrl(String location) {
    var lower = location.toLowerCase(java.util.Locale.ROOT);
    return lower.startsWith("http://") || lower.startsWith("https://");
  }

  /** localhost, 127.0.0.0/8 or ::1, by name or literal address, without asking any DNS. */
  static boolean isLoopback(String host) {
    if (host.equalsIgnoreCase("localhost")) {
      return true;
    }
    var literal = host.startsWith("[") ? host.substring(1, host.length() - 1) : host;
    boolean ipv4 = literal.matches("[0-9]{1,3}(\\.[0-9]{1,3}){3}");
    boolean ipv6 = literal.contains(":") && literal.matches("[0-9a-fA-F:.]+");
    if (!ipv4 && !ipv6) {
      return false;
    }
    try {
      return InetAddress.getByName(literal).isLoopbackAddress();
    } catch (UnknownHostException e) {
      return false;
    }
  }
}
