package it.resilience;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import it.Db;
import it.Http;
import it.JarServer;
import java.nio.file.Path;
import java.time.Duration;
import java.util.UUID;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A listener stuck where it should never be stuck for long: liveness goes DOWN (so an orchestrator
 * restarts the instance) and UP again once the loop moves.
 */
class WedgedListenerIT {

  private static final int PORT = 9187;

  @Test
  void livenessFailsWhileTheListenerMakesNoProgressAndRecoversAfterwards(@TempDir Path work)
      throws Exception {
    var java = Path.of(System.getProperty("java.home"), "bin", "java");
    var env =
        JarServer.trustingTestTokens(
            "LISTENER_WAIT_MILLIS", "500",
            "LISTENER_STALL_SECONDS", "3",
            // Longer than the test: the stuck read is not ended by the socket timeout.
            "LISTENER_SOCKET_TIMEOUT_SECONDS", "300");
    try (var server = new JarServer(java, work, PORT, env).start();
        var locker = Db.connect()) {
      var live = server.uri("/health/live");
      assertThat(Http.get(live).statusCode()).isEqualTo(200);

      locker.setAutoCommit(false);
      try (var lock = locker.createStatement()) {
        lock.execute("LOCK TABLE status_events, status_event_heads IN ACCESS EXCLUSIVE MODE");
      }
      // A notification sends the listener to read the log, where it now waits on the lock.
      Db.exec("NOTIFY status_stream, '" + UUID.randomUUID() + "'");
      await()
          .atMost(Duration.ofSeconds(30))
          .pollInterval(Duration.ofMillis(250))
          .until(() -> Http.get(live).statusCode() == 503);
      assertThat(Http.get(live).body()).contains("listener-loop", "DOWN");

      locker.rollback();
      await()
          .atMost(Duration.ofSeconds(30))
          .pollInterval(Duration.ofMillis(250))
          .until(() -> Http.get(live).statusCode() == 200);
    }
  }
}
