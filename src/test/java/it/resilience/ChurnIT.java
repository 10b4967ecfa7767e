package it.resilience;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import it.Api;
import it.Db;
import it.Http;
import it.Metrics;
import it.ServiceTest;
import it.SseClient;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

/** Streams dropped without a word, once or thousands of times, leave nothing behind. */
class ChurnIT extends ServiceTest {

  private static final int CYCLES = 5_000;
  private static final int PARALLEL = 8;

  /** The tests' STREAM_HEARTBEAT_SECONDS (see the failsafe configuration). */
  private static final Duration HEARTBEAT = Duration.ofSeconds(2);

  /**
   * Users the cycles are spread over: a dropped stream holds its user's slot until the server
   * notices, and one user may hold 16.
   */
  private static final int USERS = 500;

  @Test
  void noticesAClosedSocketAndAKilledClientWithinOneHeartbeat() throws Exception {
    var project = Db.project("quitter");
    var request = Api.rawStreamRequest(base, project, "quitter");
    for (boolean reset : new boolean[] {false, true}) {
      // A stream whose client went away at once, before any keep-alive.
      double open = Metrics.value(base, "status_stream_open_streams");
      try (var socket = connect(request)) {
        await()
            .atMost(Duration.ofSeconds(10))
            .until(() -> Metrics.value(base, "status_stream_open_streams") > open);
        if (reset) {
          socket.setSoLinger(true, 0); // RST, as the kernel sends for a killed process
        }
      }
      await()
          .atMost(HEARTBEAT.plusMillis(1500))
          .pollInterval(Duration.ofMillis(100))
          .until(() -> Metrics.value(base, "status_stream_open_streams") <= open);
    }
  }

  @Test
  void fiveThousandAbruptDisconnectsReturnStreamsSlotsAndThreadsToBaseline() {
    var project = Db.project();
    var requests = new ArrayList<byte[]>();
    for (int u = 0; u < USERS; u++) {
      var user = "churn-" + u;
      Db.exec("INSERT INTO project_members (project_id, user_id) VALUES (?, ?)", project, user);
      requests.add(Api.rawStreamRequest(base, project, user));
    }
    double streamsBefore = Metrics.value(base, "status_stream_open_streams");
    double projectsBefore = Metrics.value(base, "status_stream_active_projects");
    double threadsBefore = Metrics.value(base, "thread_count");
    var next = new AtomicInteger();
    var opened = new AtomicInteger();
    var pool = Executors.newFixedThreadPool(PARALLEL);
    try {
      var work = new ArrayList<CompletableFuture<Void>>();
      for (int w = 0; w < PARALLEL; w++) {
        work.add(
            CompletableFuture.runAsync(
                () -> {
                  for (int i = 0; i < CYCLES / PARALLEL; i++) {
                    int cycle = next.getAndIncrement();
                    // Open, read the connected message, then drop the socket: every other time
                    // with a reset, as a killed process leaves it, else with a plain close.
                    try (var socket = connect(requests.get(cycle % USERS))) {
                      opened.incrementAndGet();
                      if (cycle % 2 == 0) {
                        socket.setSoLinger(true, 0);
                      }
                    } catch (IOException e) {
                      throw new IllegalStateException("cycle " + cycle, e);
                    }
                  }
                },
                pool));
      }
      CompletableFuture.allOf(work.toArray(CompletableFuture[]::new)).join();
    } finally {
      pool.shutdownNow();
    }
    assertThat(opened.get()).isEqualTo(CYCLES);

    await()
        .atMost(Duration.ofSeconds(15))
        .until(() -> Metrics.value(base, "status_stream_open_streams") <= streamsBefore);
    assertThat(Metrics.value(base, "status_stream_active_projects"))
        .isLessThanOrEqualTo(projectsBefore);
    // No slot of the per-user limit is left taken: a user who churned may open all 16 again.
    var streams = new ArrayList<SseClient>();
    try {
      for (int i = 0; i < 16; i++) {
        streams.add(Api.stream(base, project, "churn-0"));
      }
      assertThat(streams).allSatisfy(s -> assertThat(s.status()).isEqualTo(200));
    } finally {
      streams.forEach(SseClient::close);
    }
    // Threads the burst made the container start are idle ones it retires again.
    await()
        .atMost(Duration.ofSeconds(90))
        .until(() -> Metrics.value(base, "thread_count") <= threadsBefore + 10);
    assertThat(Http.get(Api.management("/health/live")).statusCode()).isEqualTo(200);
  }

  /** A raw stream, read up to its connected message. */
  private Socket connect(byte[] request) throws IOException {
    var socket = new Socket();
    try {
      socket.setSoTimeout(10_000);
      socket.connect(new InetSocketAddress(base.getHost(), base.getPort()), 5_000);
      socket.getOutputStream().write(request);
      readUntilConnected(socket.getInputStream());
      return socket;
    } catch (IOException | RuntimeException e) {
      socket.close();
      throw e;
    }
  }

  private static void readUntilConnected(InputStream in) throws IOException {
    var seen = new StringBuilder();
    var buffer = new byte[4096];
    int n;
    while ((n = in.read(buffer)) > 0) {
      seen.append(new String(buffer, 0, n, StandardCharsets.UTF_8));
      if (seen.length() >= 12 && !seen.substring(0, 12).equals("HTTP/1.1 200")) {
        throw new IllegalStateException("refused: " + seen.toString().lines().findFirst().get());
      }
      if (seen.indexOf("Connected to status updates") >= 0) {
        return;
      }
    }
    throw new IOException("stream ended before its connected message: " + seen);
  }
}
