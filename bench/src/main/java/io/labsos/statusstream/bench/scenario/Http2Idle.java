package io.labsos.statusstream.bench.scenario;

import io.labsos.statusstream.bench.harness.Harness;
import io.labsos.statusstream.bench.harness.Proc;
import io.labsos.statusstream.bench.harness.ServerProcess;
import io.labsos.statusstream.bench.report.Figure;
import java.io.ByteArrayInputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyStore;
import java.security.cert.CertificateFactory;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Flow;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManagerFactory;

/**
 * (10) Idle streams over HTTPS, HTTP/1.1 and HTTP/2, and what each costs the server: the same
 * instance (ours, with a certificate for localhost that openssl makes) holds the same number of
 * streams opened four ways, one after the other: plain HTTP/1.1 (the {@code idle} scenario's way),
 * HTTP/1.1 over TLS, and HTTP/2 with 10 and with 100 streams per connection (pages that follow
 * several projects each, a service that multiplexes its subscriptions; 100 is below Liberty's
 * default limit of concurrent streams). Heap after a full GC per stream, opens per second, server
 * CPU per open; not RSS, which ways after the first would not show (they reuse the heap the first
 * grew). The client is the JDK's HttpClient: one per HTTP/2 connection, so that each carries
 * exactly the streams it is given.
 */
final class Http2Idle implements Scenario {

  /** The instance's HTTP port; its HTTPS port is 363 above (9650), management 700 (9987). */
  private static final int PORT = ServerProcess.OURS_PORT + 7;

  @Override
  public String name() {
    return "h2";
  }

  @Override
  public String oursOnly() {
    return "the peers serve plain HTTP/1.1 only";
  }

  @Override
  public void run(Harness h) throws Exception {
    int streams = h.size(5_000, 500);
    var tls = certificate(h.work.resolve("h2-tls"));
    var settings =
        Map.of(
            "TLS_CERT_FILE", tls.resolve("localhost.crt").toString(),
            "TLS_KEY_FILE", tls.resolve("localhost.key").toString());
    var project = h.db.projects(1).get(0).id();
    var token = h.token();
    try (var server = h.instance("h2", PORT, settings)) {
      var trust = trust(tls.resolve("localhost.crt"));
      var plain = URI.create("http://127.0.0.1:" + PORT + Harness.statusPath(project));
      var secure = URI.create("https://localhost:" + (PORT + 363) + Harness.statusPath(project));
      var way = new Way(h, server, token, streams);
      way.measure("plain HTTP/1.1", plain, HttpClient.Version.HTTP_1_1, null, 0);
      way.measure("HTTP/1.1 over TLS", secure, HttpClient.Version.HTTP_1_1, trust, 0);
      for (int perConnection : new int[] {10, 100}) {
        way.measure(
            "HTTP/2, " + perConnection + " streams per connection",
            secure,
            HttpClient.Version.HTTP_2,
            trust,
            perConnection);
      }
    }
  }

  /**
   * Opens the streams (at most 200 waiting for their answer at a time), measures, closes them and
   * waits until the server let go of them. {@code perConnection} 0: the client's own pooling (one
   * connection per stream for HTTP/1.1).
   */
  private record Way(Harness h, ServerProcess server, String token, int streams) {

    void measure(
        String how, URI uri, HttpClient.Version version, SSLContext trust, int perConnection)
        throws Exception {
      System.out.println("  " + how + ": " + streams + " streams");
      double heapBefore = server.heapAfterGc();
      long cpuBefore = server.cpuMillis();
      var clients = new ArrayList<HttpClient>();
      var bodies = new ArrayList<Flow.Subscription>();
      var refused = new AtomicInteger();
      var waiting = new Semaphore(200);
      var answers = new ArrayList<CompletableFuture<?>>();
      var request =
          HttpRequest.newBuilder(uri)
              .header("Authorization", "Bearer " + token)
              .header("Accept", "text/event-stream")
              .build();
      long started = System.nanoTime();
      HttpClient client = null;
      for (int i = 0; i < streams; i++) {
        if (client == null || (perConnection > 0 && i % perConnection == 0)) {
          var builder = HttpClient.newBuilder().version(version);
          if (trust != null) {
            builder.sslContext(trust);
          }
          client = builder.build();
          clients.add(client);
        }
        waiting.acquire();
        answers.add(
            client
                .sendAsync(request, HttpResponse.BodyHandlers.ofPublisher())
                .thenAccept(
                    response -> {
                      if (response.statusCode() != 200) {
                        refused.incrementAndGet();
                      }
                      response.body().subscribe(discard(bodies));
                    })
                .whenComplete((ok, failure) -> waiting.release()));
      }
      CompletableFuture.allOf(answers.toArray(CompletableFuture[]::new)).get(120, TimeUnit.SECONDS);
      double seconds = (System.nanoTime() - started) / 1e9;
      Harness.await(
          () -> server.openStreams() >= streams - refused.get(),
          Duration.ofSeconds(60),
          "the server to hold the streams");
      long cpu = server.cpuMillis() - cpuBefore;
      double heapAfter = server.heapAfterGc();
      int held = streams - refused.get();
      var figures = new LinkedHashMap<String, Figure>();
      figures.put("streams held", Figure.count(held));
      figures.put("connections", Figure.count(perConnection > 0 ? clients.size() : held));
      figures.put("opened/s", Figure.number(held / seconds));
      figures.put("server CPU ms/open", Figure.number((double) cpu / held));
      figures.put("heap/stream", Figure.bytes((heapAfter - heapBefore) / held));
      // Where the heap per stream lives, for this way.
      var histogram =
          h.work.resolve("h2-histogram-" + how.replaceAll("[^A-Za-z0-9]+", "-") + ".txt");
      Proc.jcmd(server.pid(), histogram, "GC.class_histogram");
      var note = "class histogram: " + h.work.relativize(histogram);
      h.report(
          "10 idle, " + how, figures, refused.get() > 0 ? refused + " refused; " + note : note);
      synchronized (bodies) {
        bodies.forEach(Flow.Subscription::cancel);
      }
      // (HttpClient.shutdownNow is JDK 21: the HTTP/2 connections idle until the clients are
      // collected, the same for every way measured after them.)
      Harness.await(() -> server.openStreams() == 0, Duration.ofSeconds(90), "streams to close");
    }
  }

  /** Takes every byte and keeps nothing; its subscription closes the stream when cancelled. */
  private static Flow.Subscriber<List<ByteBuffer>> discard(List<Flow.Subscription> bodies) {
    return new Flow.Subscriber<>() {
      @Override
      public void onSubscribe(Flow.Subscription subscription) {
        synchronized (bodies) {
          bodies.add(subscription);
        }
        subscription.request(Long.MAX_VALUE);
      }

      @Override
      public void onNext(List<ByteBuffer> item) {}

      @Override
      public void onError(Throwable failure) {}

      @Override
      public void onComplete() {}
    };
  }

  /** A self-signed certificate for localhost (EC P-256), as bin/run makes one. */
  private static Path certificate(Path folder) throws Exception {
    Files.createDirectories(folder);
    var openssl =
        new ProcessBuilder(
                "openssl",
                "req",
                "-x509",
                "-newkey",
                "ec",
                "-pkeyopt",
                "ec_paramgen_curve:P-256",
                "-nodes",
                "-days",
                "2",
                "-subj",
                "/CN=localhost",
                "-addext",
                "subjectAltName=DNS:localhost,IP:127.0.0.1",
                "-keyout",
                folder.resolve("localhost.key").toString(),
                "-out",
                folder.resolve("localhost.crt").toString())
            .redirectErrorStream(true)
            .redirectOutput(folder.resolve("openssl.log").toFile())
            .start();
    if (openssl.waitFor() != 0) {
      throw new IllegalStateException("openssl failed: see " + folder.resolve("openssl.log"));
    }
    return folder;
  }

  /** A TLS context that trusts that certificate and nothing else. */
  private static SSLContext trust(Path certificate) throws Exception {
    var store = KeyStore.getInstance(KeyStore.getDefaultType());
    store.load(null, null);
    store.setCertificateEntry(
        "localhost",
        CertificateFactory.getInstance("X.509")
            .generateCertificate(new ByteArrayInputStream(Files.readAllBytes(certificate))));
    var trust = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
    trust.init(store);
    var context = SSLContext.getInstance("TLS");
    context.init(null, trust.getTrustManagers(), null);
    return context;
  }
}
