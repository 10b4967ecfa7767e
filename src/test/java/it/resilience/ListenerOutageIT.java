package it.resilience;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import it.Db;
import it.Http;
import it.JarServer;
import it.SseClient;
import it.Tokens;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * An instance whose listener cannot get back to its database ends its streams after {@code
 * LISTENER_OUTAGE_SECONDS}, so that their clients resume on another instance, and stays not ready;
 * it stays alive however long the outage lasts (restarting it would not bring the database back:
 * its loop keeps trying); once the database lets it in again, whatever was written meanwhile is
 * delivered.
 */
class ListenerOutageIT {

  private static final int PORT = 9189;
  private static final int OUTAGE_SECONDS = 4;
  private static final int HEARTBEAT_SECONDS = 2;
  private static final int STALL_SECONDS = 6;

  @Test
  void aDatabaseThatRefusesTheInstanceEndsItsStreamsAndNothingWrittenMeanwhileIsLost(
      @TempDir Path work) throws Exception {
    try (var db = Db.create();
        var server =
            new JarServer(
                    Path.of(System.getProperty("java.home"), "bin", "java"),
                    work,
                    PORT,
                    JarServer.trustingTestTokens(
                        "DB_NAME", db.name(),
                        "LISTENER_OUTAGE_SECONDS", String.valueOf(OUTAGE_SECONDS),
                        "LISTENER_STALL_SECONDS", String.valueOf(STALL_SECONDS),
                        "LISTENER_WAIT_MILLIS", "500",
                        "STREAM_HEARTBEAT_SECONDS", String.valueOf(HEARTBEAT_SECONDS)))
                .start()) {
      var project = db.newProject("alice");
      var source = db.newSource(project);
      var stream = server.uri("/api/projects/" + project + "/status");
      var auth = new String[] {"Authorization", "Bearer " + Tokens.forUser("alice")};
      String lastId;
      try (var client = SseClient.open(stream, auth).awaitConnected();
          var writer = db.connection()) {
        db.sourceStatus(source, "before");
        lastId = client.awaitProjectEvents(1).projectEvents().get(0).id();

        // The database refuses the instance: no new connection, its sessions ended. A writer
        // that was connected before goes on writing.
        Db.exec("ALTER DATABASE " + db.name() + " ALLOW_CONNECTIONS false");
        var refusedAt = Instant.now();
        try {
          Db.value(
              Boolean.class,
              "SELECT coalesce(bool_and(pg_terminate_backend(pid)), true) FROM pg_stat_activity"
                  + " WHERE datname = ? AND application_name LIKE 'status-stream%'",
              db.name());
          try (var update =
              writer.prepareStatement("UPDATE ingestion_sources SET status = ? WHERE id = ?")) {
            for (int i = 0; i < 3; i++) {
              update.setString(1, "while refused " + i);
              update.setObject(2, source);
              update.executeUpdate();
            }
          }
          client.awaitEnded();
          var ended = Duration.between(refusedAt, Instant.now());
          assertThat(ended)
              .as("ended within the outage time and a heartbeat")
              .isLessThan(Duration.ofSeconds(OUTAGE_SECONDS + HEARTBEAT_SECONDS + 2));
          assertThat(Http.get(server.uri("/health/ready")).statusCode()).isEqualTo(503);
          assertThat(Http.get(stream, auth).statusCode()).isEqualTo(503);
          await()
              .during(Duration.ofSeconds(STALL_SECONDS + 2))
              .atMost(Duration.ofSeconds(STALL_SECONDS + 10))
              .pollInterval(Duration.ofMillis(500))
              .until(() -> Http.get(server.uri("/health/live")).statusCode() == 200);
        } finally {
          Db.exec("ALTER DATABASE " + db.name() + " ALLOW_CONNECTIONS true");
        }
      }

      server.awaitReady();
      assertThat(Http.get(server.uri("/health/live")).statusCode()).isEqualTo(200);
      try (var resumed =
          SseClient.open(stream, auth[0], auth[1], "Last-Event-ID", lastId).awaitConnected()) {
        assertThat(resumed.awaitProjectEvents(3).projectEventIds())
            .isEqualTo(db.idsOf(project).subList(1, 4));
      }
    }
  }
}
