package it.resilience;

import static org.assertj.core.api.Assertions.assertThat;

import it.Db;
import it.JarServer;
import it.SseClient;
import it.Tokens;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A server restarts: its clients come back with Last-Event-ID and miss nothing. */
class RestartIT {

  private static final int PORT = 9184;

  @Test
  void clientsResumeAfterAServerRestartWithoutMissingAnything(@TempDir Path work) throws Exception {
    var project = Db.project("alice");
    var source = Db.source(project);
    var env =
        Map.of(
            "MP_JWT_VERIFY_PUBLICKEY_LOCATION",
            System.getProperty("it.jwks"),
            "MP_JWT_VERIFY_ISSUER",
            Tokens.ISSUER);
    var java = Path.of(System.getProperty("java.home"), "bin", "java");
    try (var server = new JarServer(java, work, PORT, env).start()) {
      var auth = new String[] {"Authorization", "Bearer " + Tokens.forUser("alice")};
      String lastId;
      try (var client =
          SseClient.open(server.uri("/api/projects/" + project + "/status"), auth)
              .awaitConnected()) {
        for (int i = 0; i < 3; i++) {
          Db.setSourceStatus(source, "before " + i);
        }
        lastId = client.awaitProjectEvents(3).projectEvents().get(2).id();

        server.stop();
        // Written while no instance is up: the log keeps it.
        for (int i = 0; i < 4; i++) {
          Db.setSourceStatus(source, "while down " + i);
        }
        assertThat(client.awaitEnded().ended()).isTrue();
      }
      server.start();
      try (var resumed =
          SseClient.open(
                  server.uri("/api/projects/" + project + "/status"),
                  "Authorization",
                  "Bearer " + Tokens.forUser("alice"),
                  "Last-Event-ID",
                  lastId)
              .awaitConnected()) {
        Db.setSourceStatus(source, "after");
        var ids = Db.eventIds(project);
        assertThat(ids).hasSize(8);
        assertThat(resumed.awaitProjectEvents(5).projectEventIds()).isEqualTo(ids.subList(3, 8));
      }
    }
  }
}
