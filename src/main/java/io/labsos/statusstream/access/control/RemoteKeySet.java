package io.labsos.statusstream.access.control;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.concurrent.locks.ReentrantLock;
import java.util.logging.Level;
import java.util.logging.Logger;
import java.util.regex.Pattern;
import org.jose4j.jwk.JsonWebKey;
import org.jose4j.jwk.JsonWebKeySet;
import org.jose4j.lang.JoseException;

/**
 * A JWKS fetched from a URL and cached for as long as its {@code Cache-Control: max-age} says (else
 * {@link #DEFAULT_CACHE}). When a refresh fails, the last good keys stay in use for the keep time
 * after they expired ({@code MP_JWT_KEYS_KEEP_SECONDS}): an identity provider's outage does not log
 * everyone out. Without any good keys (none fetched yet, or the kept ones too old), {@link #keys()}
 * throws {@link KeysUnavailable}.
 */
final class RemoteKeySet implements KeySource {

  private static final Logger LOG = Logger.getLogger(RemoteKeySet.class.getName());
  static final Duration DEFAULT_CACHE = Duration.ofMinutes(10);

  /**
   * After a failed fetch, the next attempt waits this long (requests meanwhile use what is kept).
   */
  private static final Duration RETRY_AFTER_FAILURE = Duration.ofSeconds(2);

  /** A token naming a key id we do not have refetches the set, at most this often. */
  private static final Duration UNKNOWN_KEY_REFETCH = Duration.ofSeconds(10);

  private static final int MAX_BYTES = 1 << 20;
  private static final Pattern MAX_AGE =
      Pattern.compile("(?i)(?:^|[,\\s])max-age\\s*=\\s*(\\d{1,9})");

  private record Fetched(List<JsonWebKey> keys, Instant fetchedAt, Instant freshUntil) {}

  private final URI location;
  private final Duration keep;
  private final HttpClient client;
  private final ReentrantLock fetching = new ReentrantLock();
  private volatile Fetched current;
  private volatile Instant nextAttempt = Instant.MIN;
  private volatile boolean failing;

  RemoteKeySet(URI location, Duration keep) {
    this.location = location;
    this.keep = keep;
    this.client =
        HttpClient.newBuilder()
            .connectTimeout(Duration.ofSeconds(3))
            .followRedirects(HttpClient.Redirect.NEVER)
            .build();
  }

  /** The keys to verify with now: fresh ones, or kept ones during an outage of the key set. */
  @Override
  public List<JsonWebKey> keys() {
    var now = Instant.now();
    var fetched = current;
    if (fetched != null && now.isBefore(fetched.freshUntil())) {
      return fetched.keys();
    }
    refresh(now, fetched == null);
    fetched = current;
    if (fetched == null || !now.isBefore(fetched.freshUntil().plus(keep))) {
      throw new KeysUnavailable();
    }
    return fetched.keys();
  }

  /** A token names a key id the set does not have: the issuer may have rotated its keys. */
  @Override
  public List<JsonWebKey> afterUnknownKeyId(List<JsonWebKey> tried) {
    var fetched = current;
    var now = Instant.now();
    if (fetched != null && now.isAfter(fetched.fetchedAt().plus(UNKNOWN_KEY_REFETCH))) {
      refresh(now, false);
    }
    return keys();
  }

  /**
   * Fetches the set, one request at a time. While another thread fetches, a caller with kept keys
   * goes on with them; one without any waits for the answer.
   */
  private void refresh(Instant now, boolean wait) {
    if (now.isBefore(nextAttempt)) {
      return;
    }
    if (wait) {
      fetching.lock();
    } else if (!fetching.tryLock()) {
      return;
    }
    try {
      if (Instant.now().isBefore(nextAttempt)) {
        return;
      }
      fetch();
      nextAttempt = Instant.now();
      if (failing) {
        failing = false;
        LOG.info("The JWT key set at " + describe(location) + " can be fetched again");
      }
    } catch (IOException | JoseException | RuntimeException e) {
      nextAttempt = Instant.now().plus(RETRY_AFTER_FAILURE);
      if (!failing) {
        failing = true;
        var fetched = current;
        LOG.log(
            Level.WARNING,
            "The JWT key set at {0} cannot be fetched ({1}); {2}",
            new Object[] {
              describe(location),
              e.getClass().getSimpleName(),
              fetched == null
                  ? "tokens are answered with 503 until it can"
                  : "the keys fetched at "
                      + fetched.fetchedAt()
                      + " stay in use until "
                      + fetched.freshUntil().plus(keep)
            });
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    } finally {
      fetching.unlock();
    }
  }

  private void fetch() throws IOException, InterruptedException, JoseException {
    var response =
        client.send(
            HttpRequest.newBuilder(location)
                .timeout(Duration.ofSeconds(5))
                .header("Accept", "application/json")
                .GET()
                .build(),
            HttpResponse.BodyHandlers.ofInputStream());
    byte[] body;
    try (var in = response.body()) {
      body = in.readNBytes(MAX_BYTES + 1);
    }
    if (response.statusCode() != 200) {
      throw new IOException("HTTP " + response.statusCode());
    }
    if (body.length > MAX_BYTES) {
      throw new IOException("larger than " + MAX_BYTES + " bytes");
    }
    var keys = new JsonWebKeySet(new String(body, java.nio.charset.StandardCharsets.UTF_8));
    var now = Instant.now();
    var cache =
        response
            .headers()
            .firstValue("Cache-Control")
            .map(MAX_AGE::matcher)
            .filter(java.util.regex.Matcher::find)
            .map(m -> Duration.ofSeconds(Math.max(1, Long.parseLong(m.group(1)))))
            .orElse(DEFAULT_CACHE);
    current = new Fetched(List.copyOf(keys.getJsonWebKeys()), now, now.plus(cache));
  }

  /** The URL for a log line: no user info, no query. */
  static String describe(URI uri) {
    return uri.getScheme()
        + "://"
        + uri.getHost()
        + (uri.getPort() < 0 ? "" : ":" + uri.getPort())
        + (uri.getRawPath() == null ? "" : uri.getRawPath());
  }
}
