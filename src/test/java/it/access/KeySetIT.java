package it.access;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.sun.net.httpserver.HttpServer;
import it.Db;
import it.Http;
import it.JarServer;
import it.Tokens;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Keys from a JWKS URL (an identity provider's), served here by a tiny HTTP server that can fail on
 * demand: no keys yet is 503 (not 401: the token may be fine); once fetched, the keys are kept
 * through an outage of the URL for MP_JWT_KEYS_KEEP_SECONDS after they expired, then it is 503
 * again.
 */
class KeySetIT {

  private static final int PORT = 9193;

  @Test
  void keysAreFetchedKeptThroughAnOutageAndThenGiveUp(@TempDir Path work) throws Exception {
    var jwks = Files.readString(Path.of(System.getProperty("it.jwks")));
    var serving = new AtomicBoolean(false);
    var fetches = new AtomicInteger();
    var keyServer =
        HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 8);
    keyServer.createContext(
        "/jwks",
        exchange -> {
          fetches.incrementAndGet();
          var body = (serving.get() ? jwks : "down").getBytes(StandardCharsets.UTF_8);
          exchange.getResponseHeaders().set("Cache-Control", "max-age=1");
          exchange.sendResponseHeaders(serving.get() ? 200 : 503, body.length);
          exchange.getResponseBody().write(body);
          exchange.close();
        });
    keyServer.start();
    var location = "http://127.0.0.1:" + keyServer.getAddress().getPort() + "/jwks";
    var project = Db.project("kim");
    try (var server =
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
                    "4"))
            .start()) {
      var events = server.uri("/api/projects/" + project + "/events");
      var auth = "Bearer " + Tokens.forUser("kim");

      // Never fetched: the service cannot tell a good token from a bad one.
      var unavailable = Http.get(events, "Authorization", auth);
      assertThat(unavailable.statusCode()).isEqualTo(503);
      assertThat(unavailable.headers().firstValue("Retry-After")).isPresent();
      assertThat(Http.json(unavailable.body()).getString("error")).isEqualTo("unavailable");

      serving.set(true);
      await()
          .atMost(Duration.ofSeconds(10))
          .until(() -> Http.get(events, "Authorization", auth).statusCode() == 200);

      // The URL fails; the cached keys expire after a second, and the kept ones still verify.
      serving.set(false);
      var failedSince = Instant.now();
      int fetchesBefore = fetches.get();
      await()
          .atMost(Duration.ofSeconds(10))
          .untilAsserted(
              () -> {
                assertThat(Http.get(events, "Authorization", auth).statusCode()).isEqualTo(200);
                assertThat(fetches.get()).isGreaterThan(fetchesBefore);
              });
      // A forged token is still refused with the kept keys.
      var forged =
          Tokens.sign(
              Tokens.claims("kim", Tokens.ISSUER, Instant.now().plusSeconds(600)),
              Tokens.foreignKey());
      assertThat(Http.get(events, "Authorization", "Bearer " + forged).statusCode()).isEqualTo(401);

      // After the keep time (4 s past the expiry of the keys): no good keys, 503.
      await()
          .atMost(Duration.ofSeconds(20))
          .pollInterval(Duration.ofMillis(500))
          .until(() -> Http.get(events, "Authorization", auth).statusCode() == 503);
      assertThat(Duration.between(failedSince, Instant.now())).isGreaterThan(Duration.ofSeconds(3));

      // Back: accepted again.
      serving.set(true);
      await()
          .atMost(Duration.ofSeconds(10))
          .until(() -> Http.get(events, "Authorization", auth).statusCode() == 200);
      var log = Files.readString(server.output());
      assertThat(log).contains("cannot be fetched").contains("can be fetched again");
      assertThat(URI.create(location).getPort()).isPositive();
    } finally {
      keyServer.stop(0);
    }
  }
}
