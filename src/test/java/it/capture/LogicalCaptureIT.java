package it.capture;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import it.Db;
import it.Http;
import it.JarServer;
import it.SseClient;
import it.Tokens;
import java.nio.file.Path;
import java.time.Duration;
import java.util.UUID;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.postgresql.PGConnection;

/**
 * {@code CHANGE_CAPTURE=logical}: the triggers stop NOTIFYing, the listener reads the log's inserts
 * from a temporary replication slot of its own (gone with the instance), and when the database
 * cannot do it the instance says so and stays not ready, never falling back to notify. (Every
 * stream, fault and ordering test also runs in this mode: the failsafe execution
 * "logical-capture".)
 */
class LogicalCaptureIT {

  private static final int PORT = 9189;
  private static final Path JAVA = Path.of(System.getProperty("java.home"), "bin", "java");

  @Test
  void streamsThroughItsOwnTemporarySlotAndTheTriggersNoLongerNotify(@TempDir Path work)
      throws Exception {
    try (var db = Db.create()) {
      UUID project;
      try (var server =
              new JarServer(
                      JAVA,
                      work,
                      PORT,
                      JarServer.trustingTestTokens(
                          "DB_NAME", db.name(), "CHANGE_CAPTURE", "logical"))
                  .start();
          var listening = db.connection()) {
        assertThat(db.query(Boolean.class, "SELECT notify FROM status_stream_capture")).isFalse();
        assertThat(slots(db)).isEqualTo(1L);
        try (var s = listening.createStatement()) {
          s.execute("LISTEN status_stream");
        }
        project = db.newProject("alice");
        var source = db.newSource(project);
        var stream = server.uri("/api/projects/" + project + "/status");
        try (var client =
            SseClient.open(stream, "Authorization", "Bearer " + Tokens.forUser("alice"))
                .awaitConnected()) {
          for (int i = 0; i < 5; i++) {
            db.sourceStatus(source, "step " + i);
          }
          assertThat(client.awaitProjectEvents(5).projectEventIds()).isEqualTo(db.idsOf(project));
        }
        try (var s = listening.createStatement()) {
          s.execute("SELECT 1"); // a round trip: any NOTIFY sent has reached this connection
        }
        var notifications = listening.unwrap(PGConnection.class).getNotifications();
        assertThat(notifications == null ? 0 : notifications.length)
            .as("NOTIFYs sent for the writes")
            .isZero();
      }
      // The slot was temporary: it went with the instance's connection.
      await().atMost(Duration.ofSeconds(30)).until(() -> slots(db) == 0L);
    }
  }

  @Test
  void saysWhyAndStaysNotReadyWhenTheDatabaseCannotDoLogicalCapture(@TempDir Path work)
      throws Exception {
    var role = "no_replication_" + UUID.randomUUID().toString().substring(0, 8);
    Db.exec("CREATE ROLE " + role + " LOGIN PASSWORD 'secret' NOREPLICATION");
    try (var db = Db.create()) {
      Db.exec("ALTER DATABASE " + db.name() + " OWNER TO " + role);
      try (var server =
          new JarServer(
                  JAVA,
                  work,
                  PORT,
                  JarServer.trustingTestTokens(
                      "DB_NAME",
                      db.name(),
                      "DB_USER",
                      role,
                      "DB_PASSWORD",
                      "secret",
                      "CHANGE_CAPTURE",
                      "logical"))
              .launch()) {
        var ready = server.uri("/health/ready");
        await()
            .atMost(Duration.ofSeconds(120))
            .pollInterval(Duration.ofMillis(500))
            .ignoreExceptions()
            .until(() -> Http.get(ready).body().contains("REPLICATION"));
        assertThat(Http.get(ready).statusCode()).isEqualTo(503);
        assertThat(Http.get(server.uri("/health/live")).statusCode()).isEqualTo(200);
        assertThat(db.query(Boolean.class, "SELECT notify FROM status_stream_capture"))
            .as("nothing switched: other instances in notify mode still get their NOTIFYs")
            .isTrue();
        assertThat(
                Http.get(
                        server.uri("/api/projects/" + UUID.randomUUID() + "/status"),
                        "Authorization",
                        "Bearer " + Tokens.forUser("alice"))
                    .statusCode())
            .isEqualTo(503);
        assertThat(server.output()).content().contains("CHANGE_CAPTURE=logical is not possible");
      }
    } finally {
      Db.exec("DROP ROLE " + role);
    }
  }

  private static long slots(Db db) {
    return Db.value(
        Long.class,
        "SELECT count(*) FROM pg_replication_slots WHERE database = ? AND temporary",
        db.name());
  }
}
