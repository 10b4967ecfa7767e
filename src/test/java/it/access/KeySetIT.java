package it.access;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import it.Db;
import it.Http;
import it.JarServer;
import it.SseClient;
import it.Tokens;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import java.util.stream.Collectors;
import org.jose4j.jws.AlgorithmIdentifiers;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Keys from a JWKS URL (an identity provider's), served here by a tiny HTTP server that can fail on
 * demand: no keys yet is 503 (not 401: the token may be fine); once fetched, the keys are kept
 * through an outage of the URL for MP_JWT_KEYS_KEEP_SECONDS after they expired, then it is 503
 * again; a key server that stops in the middle of its answer holds no request.
 *
 * <p>The one runnable-jar server of these tests (a start costs about 12 s) also shows the settings
 * of a plain deployment: without READ_ALL_PROJECTS_GROUPS no group reads every project; the token
 * cookie is the one MP_JWT_TOKEN_COOKIE names; only MP_JWT_VERIFY_PUBLICKEY_ALGORITHM's algorithm
 * is accepted. Each test first has the key server serve and waits for keys, so they run in any
 * order.
 */
class KeySetIT {

  private static final int PORT = 9193;
  private static final String COOKIE = "idp_session";

  /** What the key server does with a request. */
  private enum Mode {
    SERVING,
    DOWN,
    /** Headers and half the body, then nothing, the connection left open. */
    STALLING
  }

  private static final AtomicReference<Mode> mode = new AtomicReference<>(Mode.DOWN);
  private static final AtomicInteger fetches = new AtomicInteger();
  private static final CountDownLatch released = new CountDownLatch(1);
  private static ExecutorService keyServerThreads;
  private static HttpServer keyServer;
  private static JarServer server;
  private static UUID project;

  /** The answer to the first request of all, before any keys were fetched. */
  private static HttpResponse<String> beforeAnyKeys;

  @BeforeAll
  static void start(@TempDir Path work) throws Exception {
    var jwks = Files.readString(Path.of(System.getProperty("it.jwks"))).getBytes();
    keyServer = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 8);
    // A stalled answer holds its thread: the others must not wait behind it.
    keyServerThreads = Executors.newCachedThreadPool();
    keyServer.setExecutor(keyServerThreads);
    keyServer.createContext("/jwks", exchange -> answer(exchange, jwks));
    keyServer.start();
    var location = "http://127.0.0.1:" + keyServer.getAddress().getPort() + "/jwks";
    project = Db.project("kim");
    server =
        new JarServer(
                Path.of(System.getProperty("java.home"), "bin", "java"),
                work,
                PORT,
                Map.of(
                    "MP_JWT_VERIFY_PUBLICKEY_LOCATION",
                    location,
                    "MP_JWT_VERIFY_ISSUER",
                    Tokens.ISSUER,
                    "MP_JWT_KEYS_KEEP_SECONDS",
                    "4",
                    "MP_JWT_TOKEN_COOKIE",
                    COOKIE,
                    "MP_JWT_VERIFY_PUBLICKEY_ALGORITHM",
                    "RS256"))
            .start();
    beforeAnyKeys = Http.get(events(), "Authorization", "Bearer " + Tokens.forUser("kim"));
  }

  @AfterAll
  static void stop() throws Exception {
    released.countDown();
    if (server != null) {
      server.stop();
    }
    keyServer.stop(0);
    keyServerThreads.shutdownNow();
  }

  private static void answer(HttpExchange exchange, byte[] jwks) throws IOException {
    fetches.incrementAndGet();
    try (exchange) {
      var now = mode.get();
      var body = now == Mode.DOWN ? "down".getBytes(StandardCharsets.UTF_8) : jwks;
      exchange.getResponseHeaders().set("Cache-Control", "max-age=1");
      exchange.sendResponseHeaders(now == Mode.DOWN ? 503 : 200, body.length);
      if (now == Mode.STALLING) {
        exchange.getResponseBody().write(body, 0, body.length / 2);
        exchange.getResponseBody().flush();
        released.await();
        return;
      }
      exchange.getResponseBody().write(body);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  private static URI events() {
    return server.uri("/api/projects/" + project + "/events");
  }

  private static HttpResponse<String> poll(String token) {
    return Http.get(events(), "Authorization", "Bearer " + token);
  }

  /** Serves keys and waits until the server has them. */
  private static void serving() {
    mode.set(Mode.SERVING);
    var token = Tokens.forUser("kim");
    await().atMost(Duration.ofSeconds(15)).until(() -> poll(token).statusCode() == 200);
  }

  /** The request, answered within the time given, and its status. */
  private static int answeredWithin(Duration most, String token) {
    var started = System.nanoTime();
    var status = poll(token).statusCode();
    assertThat(Duration.ofNanos(System.nanoTime() - started)).isLessThan(most);
    return status;
  }

  /** The statuses of requests sent at once, all answered within the time given. */
  private static Set<Integer> togetherAnsweredWithin(Duration most, String token, int requests) {
    var started = System.nanoTime();
    var together = new ArrayList<CompletableFuture<HttpResponse<String>>>();
    for (int i = 0; i < requests; i++) {
      together.add(
          Http.CLIENT.sendAsync(
              HttpRequest.newBuilder(events())
                  .header("Authorization", "Bearer " + token)
                  .timeout(Duration.ofSeconds(20))
                  .build(),
              HttpResponse.BodyHandlers.ofString()));
    }
    var statuses =
        together.stream()
            .map(CompletableFuture::join)
            .map(HttpResponse::statusCode)
            .collect(Collectors.toSet());
    assertThat(Duration.ofNanos(System.nanoTime() - started)).isLessThan(most);
    return statuses;
  }

  @Test
  void beforeAnyKeysWereFetchedTokensGet503NotA401() {
    assertThat(beforeAnyKeys.statusCode()).isEqualTo(503);
    assertThat(beforeAnyKeys.headers().firstValue("Retry-After")).isPresent();
    assertThat(Http.json(beforeAnyKeys.body()).getString("error")).isEqualTo("unavailable");
  }

  @Test
  void keysAreKeptThroughAnOutageAndThenGiveUp() throws Exception {
    serving();
    var token = Tokens.forUser("kim");

    // The URL fails; the cached keys expire after a second, and the kept ones still verify.
    mode.set(Mode.DOWN);
    var failedSince = Instant.now();
    int fetchesBefore = fetches.get();
    await()
        .atMost(Duration.ofSeconds(10))
        .untilAsserted(
            () -> {
              assertThat(poll(token).statusCode()).isEqualTo(200);
              assertThat(fetches.get()).isGreaterThan(fetchesBefore);
            });
    // A forged token is still refused with the kept keys.
    var forged =
        Tokens.sign(
            Tokens.claims("kim", Tokens.ISSUER, Instant.now().plusSeconds(600)),
            Tokens.foreignKey());
    assertThat(poll(forged).statusCode()).isEqualTo(401);

    // After the keep time (4 s past the expiry of the keys): no good keys, 503.
    await()
        .atMost(Duration.ofSeconds(20))
        .pollInterval(Duration.ofMillis(500))
        .until(() -> poll(token).statusCode() == 503);
    assertThat(Duration.between(failedSince, Instant.now())).isGreaterThan(Duration.ofSeconds(3));

    // Back: accepted again.
    mode.set(Mode.SERVING);
    await().atMost(Duration.ofSeconds(10)).until(() -> poll(token).statusCode() == 200);
    var log = Files.readString(server.output());
    assertThat(log).contains("cannot be fetched").contains("can be fetched again");
  }

  @Test
  void aKeyServerThatStallsMidAnswerHoldsNoRequest() {
    serving();
    var token = Tokens.forUser("kim");
    mode.set(Mode.STALLING);
    var stalledSince = Instant.now();

    // The keys expire after a second; while a fetch stalls, the kept ones answer at once.
    int fetchesBefore = fetches.get();
    await()
        .atMost(Duration.ofSeconds(10))
        .untilAsserted(
            () -> {
              assertThat(answeredWithin(Duration.ofSeconds(2), token)).isEqualTo(200);
              assertThat(fetches.get()).isGreaterThan(fetchesBefore);
            });

    // Past the keep time, with no keys: 503 within seconds, never a request left hanging, also
    // for requests that arrive together, and through more than one fetch's deadline.
    await()
        .atMost(Duration.ofSeconds(20))
        .pollInterval(Duration.ofMillis(500))
        .until(() -> answeredWithin(Duration.ofSeconds(5), token) == 503);
    assertThat(Duration.between(stalledSince, Instant.now())).isGreaterThan(Duration.ofSeconds(3));
    await()
        .during(Duration.ofSeconds(8))
        .atMost(Duration.ofSeconds(15))
        .pollInterval(Duration.ofMillis(500))
        .until(() -> togetherAnsweredWithin(Duration.ofSeconds(5), token, 4).equals(Set.of(503)));
    assertThat(fetches.get())
        .as("a new fetch once the stalled one's deadline passed")
        .isGreaterThanOrEqualTo(fetchesBefore + 2);

    // The key server is back: the next fetch gets the keys, without waiting for a stalled one.
    mode.set(Mode.SERVING);
    var back = Instant.now();
    await()
        .atMost(Duration.ofSeconds(10))
        .until(() -> answeredWithin(Duration.ofSeconds(5), token) == 200);
    assertThat(Duration.between(back, Instant.now())).isLessThan(Duration.ofSeconds(8));
  }

  @Test
  void noGroupReadsEveryProjectUnlessTheServerNamesIt() {
    serving();
    var reader = Tokens.forUserInGroups("dashboard", "status-reader");
    assertThat(poll(reader).statusCode()).isEqualTo(403);
    assertThat(
            Http.get(
                    server.uri("/api/projects/" + project + "/status"),
                    "Authorization",
                    "Bearer " + reader)
                .statusCode())
        .isEqualTo(403);
  }

  @Test
  void theTokenCookieHasTheConfiguredName() {
    serving();
    var token = Tokens.forUser("kim");
    assertThat(Http.get(events(), "Cookie", COOKIE + "=" + token).statusCode()).isEqualTo(200);
    assertThat(Http.get(events(), "Cookie", "status_stream_token=" + token).statusCode())
        .isEqualTo(401);
    try (var stream =
        SseClient.open(
                server.uri("/api/projects/" + project + "/status"), "Cookie", COOKIE + "=" + token)
            .awaitConnected()) {
      assertThat(stream.status()).isEqualTo(200);
    }
  }

  @Test
  void onlyTheConfiguredAlgorithmIsAccepted() {
    serving();
    var claims = Tokens.claims("kim", Tokens.ISSUER, Instant.now().plusSeconds(600));
    assertThat(poll(Tokens.signWithTestKey(claims)).statusCode()).isEqualTo(200);
    // The same key could verify these; the setting allows RS256 only.
    for (var other :
        List.of(AlgorithmIdentifiers.RSA_PSS_USING_SHA256, AlgorithmIdentifiers.RSA_USING_SHA512)) {
      var refused = poll(Tokens.signWithTestKey(claims, other));
      assertThat(refused.statusCode()).as(other).isEqualTo(401);
    }
  }
}
