package io.labsos.statusstream.access.control;

import io.labsos.statusstream.settings.SettingsCheck;
import jakarta.annotation.PostConstruct;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import jakarta.enterprise.event.Startup;
import jakarta.inject.Inject;
import java.net.InetAddress;
import java.net.URI;
import java.net.URISyntaxException;
import java.net.UnknownHostException;
import java.nio.file.InvalidPathException;
import java.nio.file.Path;
import java.security.spec.InvalidKeySpecException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;
import java.util.logging.Logger;
import java.util.regex.Pattern;
import org.eclipse.microprofile.config.inject.ConfigProperty;
import org.jose4j.jws.AlgorithmIdentifiers;

/**
 * The settings of who may call and what a token grants, each read here once, checked beside its
 * default, and handed out typed: the MicroProfile JWT settings ({@code mp.jwt.*}, i.e. the {@code
 * MP_JWT_*} environment variables), the keep time of fetched keys, the groups that read every
 * project, the origins allowed by CORS, and how many streams and polls one user may hold. Each is a
 * MicroProfile Config property whose environment variable is the name the README documents. A
 * setting the service cannot work with is refused at start: the log says why once, {@link
 * #problems()} says it in fixed texts (readiness shows them, never a setting's value), and, when it
 * is one of verifying tokens, no token is accepted. The demo's throwaway key comes the same way, as
 * configuration.
 */
@ApplicationScoped
public class AccessSettings {

  private static final Logger LOG = Logger.getLogger(AccessSettings.class.getName());

  static final String NO_ISSUER = "MP_JWT_VERIFY_ISSUER is not set";
  static final String NO_KEY =
      "no token verification key: set MP_JWT_VERIFY_PUBLICKEY or MP_JWT_VERIFY_PUBLICKEY_LOCATION";
  static final String TWO_KEYS =
      "both MP_JWT_VERIFY_PUBLICKEY and MP_JWT_VERIFY_PUBLICKEY_LOCATION are set: set one";
  static final String PLAIN_HTTP =
      "MP_JWT_VERIFY_PUBLICKEY_LOCATION is an http: URL of another host: keys must come over https"
          + " (http only from localhost)";
  static final String BAD_URL = "MP_JWT_VERIFY_PUBLICKEY_LOCATION is not a valid URL";
  static final String BAD_PATH = "MP_JWT_VERIFY_PUBLICKEY_LOCATION is not a valid file path";
  static final String BAD_INLINE_KEY =
      "MP_JWT_VERIFY_PUBLICKEY is not a PEM public key, a JWK or a JWK set";

  /**
   * The algorithms a token may be signed with: asymmetric ones only, never {@code none} nor an HMAC
   * (which a verifier could be tricked into keying with the public key).
   */
  static final List<String> SUPPORTED_ALGORITHMS =
      List.of(
          AlgorithmIdentifiers.RSA_USING_SHA256,
          AlgorithmIdentifiers.RSA_USING_SHA384,
          AlgorithmIdentifiers.RSA_USING_SHA512,
          AlgorithmIdentifiers.RSA_PSS_USING_SHA256,
          AlgorithmIdentifiers.ECDSA_USING_P256_CURVE_AND_SHA256,
          AlgorithmIdentifiers.ECDSA_USING_P384_CURVE_AND_SHA384);

  static final String BAD_ALGORITHM =
      "MP_JWT_VERIFY_PUBLICKEY_ALGORITHM is not one of " + String.join(", ", SUPPORTED_ALGORITHMS);

  /** The token cookie's name unless MP_JWT_TOKEN_COOKIE says otherwise. */
  static final String DEFAULT_TOKEN_COOKIE = "status_stream_token";

  static final String BAD_COOKIE =
      "MP_JWT_TOKEN_COOKIE is not a cookie name (letters, digits and !#$%&'*+-.^_`|~ only)";

  /** A cookie name: an HTTP token (RFC 6265, RFC 9110). */
  private static final Pattern COOKIE_NAME = Pattern.compile("[!#$%&'*+.^_`|~0-9A-Za-z-]+");

  static final String MALFORMED_ORIGINS =
      "CORS_ALLOWED_ORIGINS has an entry that is not an origin (scheme://host[:port])";

  static final String READ_ALL_WITHOUT_AUDIENCES =
      "READ_ALL_PROJECTS_GROUPS is set but MP_JWT_VERIFY_AUDIENCES is not: a token the issuer made"
          + " for another application would read every project";

  @Inject
  @ConfigProperty(name = "mp.jwt.verify.publickey.location")
  Optional<String> keyLocationText;

  @Inject
  @ConfigProperty(name = "mp.jwt.verify.publickey")
  Optional<String> inlineKeyText;

  @Inject
  @ConfigProperty(name = "mp.jwt.verify.issuer")
  Optional<String> issuerText;

  /** The one algorithm tokens may be signed with; unset, any of {@link #SUPPORTED_ALGORITHMS}. */
  @Inject
  @ConfigProperty(name = "mp.jwt.verify.publickey.algorithm")
  Optional<String> algorithmText;

  /** The name of the cookie a token may come in (see {@link Credentials}). */
  @Inject
  @ConfigProperty(name = "mp.jwt.token.cookie", defaultValue = DEFAULT_TOKEN_COOKIE)
  String tokenCookieText;

  /** Read as text and split here: MicroProfile Config's lists keep the blanks around items. */
  @Inject
  @ConfigProperty(name = "mp.jwt.verify.audiences")
  Optional<String> audiencesText;

  /** How far {@code exp} and {@code nbf} may be off, in seconds. */
  @Inject
  @ConfigProperty(name = "mp.jwt.verify.clock.skew", defaultValue = "30")
  String clockSkewText;

  /** How long the last good keys of a JWKS URL stay in use while the URL fails. */
  @Inject
  @ConfigProperty(name = "mp.jwt.keys.keep.seconds", defaultValue = "3600")
  String keysKeepText;

  /**
   * Groups whose members read every project without a project_members row (back-end services,
   * dashboards); none unless set. Such a group is as good as a key to every project, so it needs
   * {@code aud} checked: see {@link #READ_ALL_WITHOUT_AUDIENCES}.
   */
  @Inject
  @ConfigProperty(name = "read.all.projects.groups")
  Optional<String> readAllProjectsGroupsText;

  /**
   * Exact origins, {@code scheme://host[:port]}, comma-separated, blanks around items ignored. One
   * entry that is not an origin (a path, a trailing slash, {@code *}, no scheme) makes the whole
   * list count as empty and keeps the instance from becoming ready, so a typo never silently opens
   * or closes the service to a site.
   */
  @Inject
  @ConfigProperty(name = "cors.allowed.origins")
  Optional<String> originsText;

  /** Streams one user ({@code sub}) may hold open on this instance. */
  @Inject
  @ConfigProperty(name = "stream.max.per.user", defaultValue = "16")
  String maxStreamsText;

  /** Polling requests one user may have in flight on this instance. */
  @Inject
  @ConfigProperty(name = "poll.max.per.user", defaultValue = "4")
  String maxPollsText;

  private List<String> problems = List.of();
  private List<String> verificationProblems = List.of();
  private List<String> limitProblems = List.of();
  private String malformedOrigin;
  private Set<String> allowedOrigins = Set.of();
  private int clockSkewSeconds = 30;
  private int maxStreams = 16;
  private int maxPolls = 4;
  private String issuer;
  private List<String> algorithms = SUPPORTED_ALGORITHMS;
  private String tokenCookie = DEFAULT_TOKEN_COOKIE;
  private List<String> audiences = List.of();
  private KeySource keys;
  private Set<String> readAllProjectsGroups = Set.of();

  @PostConstruct
  void init() {
    var check = new SettingsCheck();
    clockSkewSeconds =
        check.whole("mp.jwt.verify.clock.skew", clockSkewText, 0, Integer.MAX_VALUE, 30);
    long keysKeepSeconds = check.whole("mp.jwt.keys.keep.seconds", keysKeepText, 0, 3600);
    var found = new ArrayList<>(check.problems());
    audiences = items(audiencesText);
    issuer = issuerText.map(String::strip).filter(i -> !i.isEmpty()).orElse(null);
    if (issuer == null) {
      found.add(NO_ISSUER);
    }
    keys = keySource(found, Duration.ofSeconds(keysKeepSeconds));
    var algorithm = algorithmText.map(String::strip).filter(a -> !a.isEmpty());
    if (algorithm.isPresent()) {
      if (SUPPORTED_ALGORITHMS.contains(algorithm.get())) {
        algorithms = List.of(algorithm.get());
      } else {
        found.add(BAD_ALGORITHM);
      }
    }
    if (COOKIE_NAME.matcher(tokenCookieText.strip()).matches()) {
      tokenCookie = tokenCookieText.strip();
    } else {
      found.add(BAD_COOKIE);
    }
    readAllProjectsGroups = Set.copyOf(items(readAllProjectsGroupsText));
    if (!readAllProjectsGroups.isEmpty() && audiences.isEmpty()) {
      found.add(READ_ALL_WITHOUT_AUDIENCES);
    }
    verificationProblems = List.copyOf(found);

    var all = new ArrayList<>(verificationProblems);
    allowedOrigins = origins(items(originsText));
    if (malformedOrigin != null) {
      all.add(MALFORMED_ORIGINS);
    }
    var limits = new SettingsCheck();
    maxStreams = limits.whole("stream.max.per.user", maxStreamsText, 1, Integer.MAX_VALUE, 16);
    maxPolls = limits.whole("poll.max.per.user", maxPollsText, 1, Integer.MAX_VALUE, 4);
    limitProblems = limits.problems();
    all.addAll(limitProblems);
    problems = List.copyOf(all);
  }

  /** The origins of the list; none when one entry is no origin (the first such is kept). */
  private Set<String> origins(List<String> entries) {
    var parsed = new LinkedHashSet<String>();
    for (var entry : entries) {
      var origin = origin(entry);
      if (origin == null) {
        malformedOrigin = entry;
        return Set.of();
      }
      parsed.add(origin);
    }
    return Set.copyOf(parsed);
  }

  /** Says once, at start, why this instance will not become ready, or who reads every project. */
  void start(@Observes Startup startup) {
    if (malformedOrigin != null) {
      LOG.severe(
          "CORS_ALLOWED_ORIGINS: \""
              + malformedOrigin
              + "\" is not an origin (scheme://host[:port], no path, no trailing slash): no origin"
              + " is allowed and this instance does not become ready");
    }
    if (!limitProblems.isEmpty()) {
      LOG.severe(
          "The limits per user are refused, so this instance does not become ready (the defaults"
              + " apply meanwhile): "
              + String.join("; ", limitProblems));
    }
    if (!verificationProblems.isEmpty()) {
      LOG.severe(
          "Token verification is not configured, so this instance does not become ready and"
              + " answers every token with 503: "
              + String.join("; ", verificationProblems));
    } else if (!readAllProjectsGroups.isEmpty()) {
      LOG.info(
          "Tokens whose groups name one of "
              + new TreeSet<>(readAllProjectsGroups)
              + " read every project (READ_ALL_PROJECTS_GROUPS)");
    }
  }

  /** What is refused, as fixed texts (empty when every setting is usable). */
  public List<String> problems() {
    return problems;
  }

  /** What keeps token verification from working, as fixed texts (empty when it can work). */
  List<String> verificationProblems() {
    return verificationProblems;
  }

  /** The origins CORS allows, as browsers send them; none when the list is refused. */
  Set<String> allowedOrigins() {
    return allowedOrigins;
  }

  /** Streams one user may hold open on this instance. */
  int maxStreamsPerUser() {
    return maxStreams;
  }

  /** Polling requests one user may have in flight on this instance. */
  int maxPollsPerUser() {
    return maxPolls;
  }

  /** The {@code iss} every token must have. */
  String issuer() {
    return issuer;
  }

  /** One of them must be in a token's {@code aud}; when empty, {@code aud} is not checked. */
  List<String> audiences() {
    return audiences;
  }

  /** The algorithms a token may be signed with. */
  List<String> algorithms() {
    return algorithms;
  }

  /** The name of the cookie a token may come in. */
  String tokenCookie() {
    return tokenCookie;
  }

  /** How far {@code exp} and {@code nbf} may be off. */
  int clockSkewSeconds() {
    return clockSkewSeconds;
  }

  /** Groups that read every project; empty unless {@code READ_ALL_PROJECTS_GROUPS} names some. */
  Set<String> readAllProjectsGroups() {
    return readAllProjectsGroups;
  }

  /** Where the keys come from; null when the settings have problems. */
  KeySource keys() {
    return keys;
  }

  /** The comma-separated items of a setting, blanks around them ignored. */
  static List<String> items(Optional<String> text) {
    return text.stream()
        .flatMap(t -> Arrays.stream(t.split(",")))
        .map(String::strip)
        .filter(item -> !item.isEmpty())
        .toList();
  }

  private KeySource keySource(List<String> found, Duration keep) {
    var location = keyLocationText.map(String::strip).filter(l -> !l.isEmpty());
    var inline = inlineKeyText.map(String::strip).filter(k -> !k.isEmpty());
    if (location.isEmpty() && inline.isEmpty()) {
      found.add(NO_KEY);
      return null;
    }
    if (location.isPresent() && inline.isPresent()) {
      found.add(TWO_KEYS);
      return null;
    }
    if (inline.isPresent()) {
      try {
        return new InlineKeys(KeyText.parse(inline.get()));
      } catch (InvalidKeySpecException e) {
        found.add(BAD_INLINE_KEY);
        return null;
      }
    }
    if (!isUrl(location.get())) {
      try {
        return new KeyFile(Path.of(location.get().replaceFirst("^file:", "")));
      } catch (InvalidPathException e) {
        found.add(BAD_PATH);
        return null;
      }
    }
    URI uri;
    try {
      uri = new URI(location.get());
    } catch (URISyntaxException e) {
      found.add(BAD_URL);
      return null;
    }
    if (uri.getHost() == null) {
      found.add(BAD_URL);
      return null;
    }
    if ("http".equalsIgnoreCase(uri.getScheme()) && !isLoopback(uri.getHost())) {
      found.add(PLAIN_HTTP);
      return null;
    }
    return new RemoteKeySet(uri, keep);
  }

  private static boolean isUrl(String location) {
    var lower = location.toLowerCase(Locale.ROOT);
    return lower.startsWith("http://") || lower.startsWith("https://");
  }

  /** The origin as browsers send it (lower-case scheme and host), or null for anything else. */
  static String origin(String text) {
    try {
      var uri = new URI(text);
      var scheme = uri.getScheme();
      if (scheme == null
          || !(scheme.equalsIgnoreCase("http") || scheme.equalsIgnoreCase("https"))
          || uri.getHost() == null
          || uri.getRawUserInfo() != null
          || !(uri.getRawPath() == null || uri.getRawPath().isEmpty())
          || uri.getRawQuery() != null
          || uri.getRawFragment() != null) {
        return null;
      }
      return scheme.toLowerCase(Locale.ROOT)
          + "://"
          + uri.getHost().toLowerCase(Locale.ROOT)
          + (uri.getPort() < 0 ? "" : ":" + uri.getPort());
    } catch (URISyntaxException e) {
      return null;
    }
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
