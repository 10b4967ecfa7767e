package it.tls;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import it.Db;
import it.Http;
import it.JarServer;
import it.SseClient;
import it.Tokens;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.UUID;
import java.util.regex.Pattern;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLSocket;
import javax.net.ssl.TrustManager;
import javax.net.ssl.X509TrustManager;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * HTTPS from the PEM files TLS_CERT_FILE and TLS_KEY_FILE, with HTTP/2 by ALPN: a page's streams
 * share one TCP connection, and a stream the client resets, or a connection it drops, frees its
 * slots within a heartbeat. A renewed certificate is served without a restart. The clients reach
 * the server through a relay on 127.0.0.2 at the HTTPS port (the server listens on 127.0.0.1), so
 * that the test counts their connections and can cut them, and the Host they send is still one of
 * the service's.
 */
class HttpsIT {

  private static final int PORT = 9310;
  private static final int HTTPS_PORT = PORT + 363;
  private static final Duration HEARTBEAT = Duration.ofSeconds(2);
  private static final int STREAMS = 20;

  @TempDir static Path work;

  private static Path certificateFile;
  private static Path keyFile;
  private static TestCertificate first;
  private static JarServer server;

  @BeforeAll
  static void startWithHttps() throws Exception {
    first = TestCertificate.make(work, "first.localhost", "RSA");
    certificateFile = work.resolve("tls.crt");
    keyFile = work.resolve("tls.key");
    first.write(certificateFile, keyFile);
    server =
        new JarServer(
                Path.of(System.getProperty("java.home"), "bin", "java"),
                work,
                PORT,
                JarServer.trustingTestTokens(
                    "TLS_CERT_FILE", certificateFile.toString(),
                    "TLS_KEY_FILE", keyFile.toString(),
                    "HTTP_HOST", "127.0.0.1",
                    "STREAM_HEARTBEAT_SECONDS", String.valueOf(HEARTBEAT.toSeconds()),
                    "STREAM_MAX_PER_USER", String.valueOf(STREAMS)))
            .start();
  }

  @AfterAll
  static void stop() throws InterruptedException {
    if (server != null) {
      server.close();
    }
  }

  /** Each test starts with no stream open: the server is this class's alone. */
  @BeforeEach
  void noStreamOpen() {
    await()
        .atMost(Duration.ofSeconds(15))
        .pollInterval(Duration.ofMillis(100))
        .until(() -> openStreams() == 0);
  }

  private static HttpClient http2(TestCertificate trusted) throws Exception {
    return HttpClient.newBuilder()
        .version(HttpClient.Version.HTTP_2)
        .sslContext(trusted.trustingIt())
        .connectTimeout(Duration.ofSeconds(5))
        .build();
  }

  private static Relay relay() throws Exception {
    return new Relay(
        new InetSocketAddress("127.0.0.2", HTTPS_PORT),
        new InetSocketAddress("127.0.0.1", HTTPS_PORT));
  }

  private static URI status(String host, UUID project) {
    return URI.create(
        "https://" + host + ":" + HTTPS_PORT + "/api/projects/" + project + "/status");
  }

  /** The user's streams of the project, opened one after the other on the client. */
  private static List<SseClient> open(HttpClient client, UUID project, String user, int count) {
    var streams = new ArrayList<SseClient>();
    for (int i = 0; i < count; i++) {
      var stream =
          SseClient.open(
              client,
              status("127.0.0.2", project),
              "Authorization",
              "Bearer " + Tokens.forUser(user));
      await()
          .atMost(Duration.ofSeconds(30))
          .until(() -> !stream.events().isEmpty() || stream.ended() || stream.failed());
      assertThat(stream.status()).as("stream %d: %s", i, stream.lines()).isEqualTo(200);
      streams.add(stream);
    }
    return streams;
  }

  private static double openStreams() {
    var body = Http.get(server.uri("/metrics")).body();
    var line = Pattern.compile("^status_stream_open_streams\\{[^}]*\\} (\\S+)$", Pattern.MULTILINE);
    var found = line.matcher(body);
    if (!found.find()) {
      throw new AssertionError("no status_stream_open_streams at /metrics");
    }
    return Double.parseDouble(found.group(1));
  }

  /** Waits until at most {@code streams} are open, and says how long that took. */
  private static long millisUntilOpenStreamsAtMost(double streams) {
    long started = System.nanoTime();
    await()
        .atMost(HEARTBEAT.plusMillis(1500))
        .pollInterval(Duration.ofMillis(50))
        .until(() -> openStreams() <= streams);
    return (System.nanoTime() - started) / 1_000_000;
  }

  @Test
  void aPagesStreamsShareOneConnectionAndEachGetsTheEvent() throws Exception {
    var user = "h2-page-" + UUID.randomUUID();
    var project = Db.project(user);
    var source = Db.source(project);
    try (var relay = relay()) {
      var streams = open(http2(first), project, user, STREAMS);
      try {
        assertThat(streams)
            .allSatisfy(
                s -> {
                  assertThat(s.status()).isEqualTo(200);
                  assertThat(s.response().version()).isEqualTo(HttpClient.Version.HTTP_2);
                });
        assertThat(relay.accepted()).as("TCP connections for %d streams", STREAMS).isEqualTo(1);

        Db.setSourceStatus(source, "over h2");
        for (var stream : streams) {
          var event = Http.json(stream.awaitProjectEvents(1).projectEvents().get(0).data());
          assertThat(event.getString("status")).isEqualTo("over h2");
        }
      } finally {
        streams.forEach(SseClient::close);
      }
    }
  }

  @Test
  void aResetStreamFreesItsSlotWithinAHeartbeatAndItsConnectionGoesOn() throws Exception {
    var user = "h2-reset-" + UUID.randomUUID();
    var project = Db.project(user);
    var source = Db.source(project);
    try (var relay = relay()) {
      var client = http2(first);
      var streams = open(client, project, user, STREAMS);
      try {
        assertThat(openStreams()).isEqualTo(STREAMS);
        var refused =
            client.send(
                HttpRequest.newBuilder(status("127.0.0.2", project))
                    .header("Authorization", "Bearer " + Tokens.forUser(user))
                    .build(),
                HttpResponse.BodyHandlers.ofString());
        assertThat(refused.statusCode()).as("a stream over the user's limit").isEqualTo(429);

        streams.remove(0).close();
        long freed = millisUntilOpenStreamsAtMost(STREAMS - 1);
        System.out.printf("HttpsIT: a reset HTTP/2 stream was freed after %d ms%n", freed);

        streams.add(open(client, project, user, 1).get(0));
        assertThat(relay.accepted()).as("one connection throughout").isEqualTo(1);
        Db.setSourceStatus(source, "after a reset");
        for (var stream : streams) {
          assertThat(stream.awaitProjectEvents(1).projectEvents()).hasSize(1);
        }
      } finally {
        streams.forEach(SseClient::close);
      }
    }
  }

  @Test
  void aDroppedConnectionFreesEveryStreamOnItWithinAHeartbeat() throws Exception {
    var user = "h2-drop-" + UUID.randomUUID();
    var project = Db.project(user);
    try (var relay = relay()) {
      var streams = open(http2(first), project, user, STREAMS);
      assertThat(openStreams()).isEqualTo(STREAMS);
      relay.cut();
      long freed = millisUntilOpenStreamsAtMost(0);
      System.out.printf(
          "HttpsIT: %d HTTP/2 streams of a dropped connection were freed after %d ms%n",
          STREAMS, freed);
      streams.forEach(SseClient::close);

      var again = open(http2(first), project, user, STREAMS);
      again.forEach(SseClient::close);
    }
  }

  @Test
  void aRenewedCertificateIsServedWithoutARestart() throws Exception {
    var user = "renewal-" + UUID.randomUUID();
    var project = Db.project(user);
    var source = Db.source(project);
    try (var relay = relay()) {
      renew(project, user, source);
    } finally {
      first.write(certificateFile, keyFile);
      await()
          .atMost(Duration.ofSeconds(20))
          .pollInterval(Duration.ofMillis(250))
          .until(() -> presented().map(c -> c.equals(first.certificate())).orElse(false));
    }
  }

  private static void renew(UUID project, String user, UUID source) throws Exception {
    var before = open(http2(first), project, user, 1).get(0);
    try {
      var renewed = TestCertificate.make(work, "renewed.localhost", "EC");
      renewed.write(certificateFile, keyFile);
      await()
          .atMost(Duration.ofSeconds(20))
          .pollInterval(Duration.ofMillis(250))
          .until(() -> presented().map(c -> c.equals(renewed.certificate())).orElse(false));

      // New connections get the new certificate, and a client that trusts only it is served.
      var after = open(http2(renewed), project, user, 1).get(0);
      try {
        Db.setSourceStatus(source, "renewed");
        assertThat(after.awaitProjectEvents(1).projectEvents()).hasSize(1);
        // The connection made before keeps going.
        assertThat(before.awaitProjectEvents(1).projectEvents()).hasSize(1);
      } finally {
        after.close();
      }
      await()
          .atMost(Duration.ofSeconds(10))
          .until(
              () ->
                  Files.readString(server.output())
                      .contains("presents the certificate of CN=renewed.localhost"));
    } finally {
      before.close();
    }
  }

  @Test
  void httpsAlsoSpeaksHttp11AndThePlainPortNeverUpgradesToH2c() throws Exception {
    var user = "versions-" + UUID.randomUUID();
    var project = Db.project(user);
    var http11 =
        HttpClient.newBuilder()
            .version(HttpClient.Version.HTTP_1_1)
            .sslContext(first.trustingIt())
            .build();
    var overTls =
        http11.send(
            HttpRequest.newBuilder(
                    URI.create(
                        "https://localhost:" + HTTPS_PORT + "/api/projects/" + project + "/events"))
                .header("Authorization", "Bearer " + Tokens.forUser(user))
                .build(),
            HttpResponse.BodyHandlers.ofString());
    assertThat(overTls.statusCode()).isEqualTo(200);
    assertThat(overTls.version()).isEqualTo(HttpClient.Version.HTTP_1_1);
    assertThat(overTls.headers().firstValue("X-Content-Type-Options")).hasValue("nosniff");

    var plain =
        HttpClient.newBuilder()
            .version(HttpClient.Version.HTTP_2)
            .build()
            .send(
                HttpRequest.newBuilder(server.uri("/api/projects/" + project + "/events"))
                    .header("Authorization", "Bearer " + Tokens.forUser(user))
                    .build(),
                HttpResponse.BodyHandlers.ofString());
    assertThat(plain.statusCode()).isEqualTo(200);
    assertThat(plain.version()).as("h2c is off").isEqualTo(HttpClient.Version.HTTP_1_1);
    assertThat(plain.headers().firstValue("X-Content-Type-Options")).hasValue("nosniff");

    // Health and metrics stay on the management port, plain HTTP.
    var health =
        http11.send(
            HttpRequest.newBuilder(URI.create("https://localhost:" + HTTPS_PORT + "/health/ready"))
                .build(),
            HttpResponse.BodyHandlers.ofString());
    assertThat(health.statusCode()).isEqualTo(404);
    assertThat(Http.get(server.uri("/health/ready")).body()).contains("\"https\":\"listening\"");
  }

  /** The certificate the HTTPS port presents to a new connection. */
  private static Optional<X509Certificate> presented() {
    try {
      var context = SSLContext.getInstance("TLS");
      context.init(null, new TrustManager[] {new LookOnly()}, null);
      try (var socket =
          (SSLSocket) context.getSocketFactory().createSocket("127.0.0.1", HTTPS_PORT)) {
        socket.setSoTimeout(5000);
        socket.startHandshake();
        return Optional.of((X509Certificate) socket.getSession().getPeerCertificates()[0]);
      }
    } catch (Exception e) {
      return Optional.empty();
    }
  }

  /** Trusts every server: the test only looks at what it is shown. */
  private static final class LookOnly implements X509TrustManager {
    @Override
    public void checkClientTrusted(X509Certificate[] chain, String authType) {}

    @Override
    public void checkServerTrusted(X509Certificate[] chain, String authType) {}

    @Override
    public X509Certificate[] getAcceptedIssuers() {
      return new X509Certificate[0];
    }
  }
}
