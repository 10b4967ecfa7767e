package io.labsos.statusstream.access.control;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.HttpResponse.BodySubscriber;
import java.net.http.HttpResponse.BodySubscribers;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.concurrent.CancellationException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Flow;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.logging.Level;
import java.util.logging.Logger;
import java.util.regex.Matcher;
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
 *
 * <p>A key server that answers slowly, or stops in the middle of its answer, holds no one: a fetch
 * has {@link #DEADLINE} for the whole answer, headers and body, and is cancelled then, which closes
 * its connection (the HTTP client's own request timeout covers only the headers). Fetches run on
 * the HTTP client's threads, one at a time, and no request thread ever reads from the key server:
 * with kept keys a request goes on with them at once; without any, it waits for the fetch under way
 * at most {@link #LONGEST_WAIT}.
 */
final class RemoteKeySet implements KeySource {

  private static final Logger LOG = Logger.getLogger(RemoteKeySet.class.getName());
  static final Duration DEFAULT_CACHE = Duration.ofMinutes(10);

  /** The whole answer of the key server, from connecting to the last byte of the body. */
  static final Duration DEADLINE = Duration.ofSeconds(5);

  /** A request without keys waits for a fetch until this long after it started; then 503. */
  static final Duration LONGEST_WAIT = Duration.ofSeconds(3);

  /** After a failed fetch, the next one starts this long after it did at the earliest. */
  private static final Duration RETRY_AFTER_FAILURE = Duration.ofSeconds(2);

  /** A token naming a key id we do not have refetches the set, at most this often. */
  private static final Duration UNKNOWN_KEY_REFETCH = Duration.ofSeconds(10);

  static final int MAX_BYTES = 1 << 20;
  private static final Pattern MAX_AGE =
      Pattern.compile("(?i)(?:^|[,\\s])max-age\\s*=\\s*(\\d{1,9})");

  private record Fetched(List<JsonWebKey> keys, Instant fetchedAt, Instant freshUntil) {}

  /** A fetch, and until when (System.nanoTime) a request without keys may wait for it. */
  private record Fetch(CompletableFuture<Fetched> keys, long waitUntilNanos) {}

  private final URI location;
  private final Duration keep;
  private final Duration deadline;
  private final Duration longestWait;
  private final HttpClient client;
  private volatile Fetched current;

  /** The fetch under way, or the last one; guarded by this. */
  private Fetch fetching;

  /** Guarded by this. */
  private Instant nextAttempt = Instant.MIN;

  /** Guarded by this. */
  private boolean failing;

  RemoteKeySet(URI location, Duration keep) {
    this(location, keep, DEADLINE, LONGEST_WAIT);
  }

  /** With other times than the service's, for tests that do not want to wait seconds. */
  RemoteKeySet(URI location, Duration keep, Duration deadline, Duration longestWait) {
    this.location = location;
    this.keep = keep;
    this.deadline = deadline;
    this.longestWait = longestWait;
    this.client =
        HttpClient.newBuilder()
            .connectTimeout(Duration.ofSeconds(3))
            .followRedirects(HttpClient.Redirect.NEVER)
            .build();
  }

  /** The keys to verify with now: fresh ones, or kept ones during an outage of the key set. */
  @Override
  public List<JsonWebKey> keys() {
    var fetched = current;
    var now = Instant.now();
    if (fetched != null && now.isBefore(fetched.freshUntil())) {
      return fetched.keys();
    }
    var fetch = fetch(now);
    if (fetched != null && now.isBefore(fetched.freshUntil().plus(keep))) {
      return fetched.keys();
    }
    await(fetch);
    return usable();
  }

  /** A token names a key id the set does not have: the issuer may have rotated its keys. */
  @Override
  public List<JsonWebKey> afterUnknownKeyId(List<JsonWebKey> tried) {
    var fetched = current;
    var now = Instant.now();
    if (fetched == null || now.isBefore(fetched.fetchedAt().plus(UNKNOWN_KEY_REFETCH))) {
      return tried;
    }
    await(fetch(now));
    return usable();
  }

  private List<JsonWebKey> usable() {
    var fetched = current;
    if (fetched == null || !Instant.now().isBefore(fetched.freshUntil().plus(keep))) {
      throw new KeysUnavailable();
    }
    return fetched.keys();
  }

  /**
   * The fetch under way, or a new one; null while the last one failed too recently to try again.
   */
  private synchronized Fetch fetch(Instant now) {
    if (fetching != null && !fetching.keys().isDone()) {
      return fetching;
    }
    if (now.isBefore(nextAttempt)) {
      return null;
    }
    var started = Instant.now();
    long waitUntil = System.nanoTime() + longestWait.toNanos();
    var exchange =
        client.sendAsync(
            HttpRequest.newBuilder(location).header("Accept", "application/json").GET().build(),
            RemoteKeySet::body);
    var keys = exchange.thenApply(RemoteKeySet::keySet);
    fetching = new Fetch(keys, waitUntil);
    keys.whenComplete((fetched, failure) -> done(started, fetched, failure));
    // Cancelling the exchange closes its connection, also in the middle of the body.
    CompletableFuture.delayedExecutor(deadline.toMillis(), TimeUnit.MILLISECONDS, Runnable::run)
        .execute(() -> exchange.cancel(true));
    return fetching;
  }

  private synchronized void done(Instant started, Fetched fetched, Throwable failure) {
    if (failure == null) {
      current = fetched;
      nextAttempt = Instant.MIN;
      if (failing) {
        failing = false;
        LOG.info("The JWT key set at " + describe(location) + " can be fetched again");
      }
      return;
    }
    nextAttempt = started.plus(RETRY_AFTER_FAILURE);
    if (!failing) {
      failing = true;
      var kept = current;
      LOG.log(
          Level.WARNING,
          "The JWT key set at {0} cannot be fetched ({1}); {2}",
          new Object[] {
            describe(location),
            reason(failure),
            kept == null
                ? "tokens are answered with 503 until it can"
                : "the keys fetched at "
                    + kept.fetchedAt()
                    + " stay in use until "
                    + kept.freshUntil().plus(keep)
          });
    }
  }

  private String reason(Throwable failure) {
    var cause = failure instanceof CompletionException ? failure.getCause() : failure;
    if (cause instanceof CancellationException) {
      return "no whole answer within " + deadline.toMillis() + " ms";
    }
    if (cause instanceof KeySetRefused) {
      return cause.getMessage();
    }
    return cause.getClass().getSimpleName();
  }

  /** Waits for the fetch, at most until its wait ends; what it brought is in {@link #current}. */
  private static void await(Fetch fetch) {
    if (fetch == null) {
      return;
    }
    long remaining = fetch.waitUntilNanos() - System.nanoTime();
    if (remaining <= 0) {
      return;
    }
    try {
      fetch.keys().get(remaining, TimeUnit.NANOSECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    } catch (ExecutionException | TimeoutException | CancellationException e) {
      // Failed or still under way: the caller goes on with the keys there are.
    }
  }

  /** A key server's answer that is not a key set; its message is a fixed text. */
  private static final class KeySetRefused extends IOException {
    KeySetRefused(String message) {
      super(message);
    }
  }

  /** The body of a 200, up to {@link #MAX_BYTES}; the body of anything else is not kept. */
  private static BodySubscriber<byte[]> body(HttpResponse.ResponseInfo response) {
    return response.statusCode() == 200 ? new LimitedBody() : BodySubscribers.replacing(null);
  }

  private static Fetched keySet(HttpResponse<byte[]> response) {
    if (response.statusCode() != 200) {
      throw new CompletionException(new KeySetRefused("HTTP " + response.statusCode()));
    }
    JsonWebKeySet keys;
    try {
      keys = new JsonWebKeySet(new String(response.body(), StandardCharsets.UTF_8));
    } catch (JoseException e) {
      throw new CompletionException(e);
    }
    var now = Instant.now();
    var cache =
        response
            .headers()
            .firstValue("Cache-Control")
            .map(MAX_AGE::matcher)
            .filter(Matcher::find)
            .map(m -> Duration.ofSeconds(Math.max(1, Long.parseLong(m.group(1)))))
            .orElse(DEFAULT_CACHE);
    return new Fetched(List.copyOf(keys.getJsonWebKeys()), now, now.plus(cache));
  }

  /** A body read into memory, refused (and its reading stopped) past {@link #MAX_BYTES}. */
  private static final class LimitedBody implements BodySubscriber<byte[]> {

    private final CompletableFuture<byte[]> result = new CompletableFuture<>();
    private final ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    private Flow.Subscription subscription;

    @Override
    public CompletionStage<byte[]> getBody() {
      return result;
    }

    @Override
    public void onSubscribe(Flow.Subscription subscription) {
      this.subscription = subscription;
      subscription.request(Long.MAX_VALUE);
    }

    @Override
    public void onNext(List<ByteBuffer> buffers) {
      for (var buffer : buffers) {
        if (result.isDone()) {
          return;
        }
        if (bytes.size() + buffer.remaining() > MAX_BYTES) {
          subscription.cancel();
          result.completeExceptionally(new KeySetRefused("larger than " + MAX_BYTES + " bytes"));
          return;
        }
        var chunk = new byte[buffer.remaining()];
        buffer.get(chunk);
        bytes.writeBytes(chunk);
      }
    }

    @Override
    public void onError(Throwable failure) {
      result.completeExceptionally(failure);
    }

    @Override
    public void onComplete() {
      result.complete(bytes.toByteArray());
    }
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
