package it.scale;

import static org.assertj.core.api.Assertions.assertThat;

import it.Api;
import it.Db;
import it.JarServer;
import it.ServiceTest;
import it.SseClient;
import it.Tokens;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Two instances on one PostgreSQL, each with its own listener: the test's server (A) and the
 * runnable jar (B). PostgreSQL is the only thing they share.
 */
class ScaleOutIT extends ServiceTest {

  private static final int PORT = 9186;

  @TempDir static Path work;
  private static JarServer other;

  @BeforeAll
  static void startSecondInstance() throws Exception {
    var env =
        Map.of(
            "MP_JWT_VERIFY_PUBLICKEY_LOCATION",
            System.getProperty("it.jwks"),
            "MP_JWT_VERIFY_ISSUER",
            Tokens.ISSUER,
            "STREAM_HEARTBEAT_SECONDS",
            "2");
    var java = Path.of(System.getProperty("java.home"), "bin", "java");
    other = new JarServer(java, work, PORT, env).start();
  }

  @AfterAll
  static void stopSecondInstance() throws Exception {
    if (other != null) {
      other.close();
    }
  }

  private static SseClient streamOnOther(UUID project, String user, String... headers) {
    var all = new ArrayList<>(List.of("Authorization", "Bearer " + Tokens.forUser(user)));
    all.addAll(List.of(headers));
    return SseClient.open(
            other.uri("/api/projects/" + project + "/status"), all.toArray(String[]::new))
        .awaitConnected();
  }

  @Test
  void bothInstancesDeliverEveryEventOfConcurrentWritersInOrder() {
    int projects = 3;
    int writesPerProject = 60;
    var ids = new ArrayList<UUID>();
    var clients = new ArrayList<SseClient>();
    try {
      for (int p = 0; p < projects; p++) {
        var project = Db.project("alice", "bob");
        ids.add(project);
        clients.add(Api.stream(base, project, "alice"));
        clients.add(streamOnOther(project, "bob"));
      }
      // Writers on all projects at once, as workers write.
      var writers =
          ids.stream()
              .map(
                  project ->
                      CompletableFuture.runAsync(
                          () -> {
                            var source = Db.source(project);
                            for (int i = 0; i < writesPerProject; i++) {
                              Db.setSourceStatus(source, "step " + i);
                            }
                          }))
              .toArray(CompletableFuture[]::new);
      CompletableFuture.allOf(writers).join();

      for (int i = 0; i < clients.size(); i++) {
        var expected = Db.eventIds(ids.get(i / 2));
        assertThat(expected).hasSize(writesPerProject);
        assertThat(clients.get(i).awaitProjectEvents(writesPerProject).projectEventIds())
            .isEqualTo(expected);
      }
    } finally {
      clients.forEach(SseClient::close);
    }
  }

  @Test
  void aClientMovedToTheOtherInstanceWithItsLastEventIdMissesNothing() {
    var project = Db.project("alice");
    var source = Db.source(project);
    String lastId;
    try (var onA = Api.stream(base, project, "alice")) {
      for (int i = 0; i < 3; i++) {
        Db.setSourceStatus(source, "on A " + i);
      }
      lastId = onA.awaitProjectEvents(3).projectEvents().get(2).id();
    }
    // Written while the client is between instances.
    for (int i = 0; i < 2; i++) {
      Db.setSourceStatus(source, "moving " + i);
    }
    try (var onB = streamOnOther(project, "alice", "Last-Event-ID", lastId)) {
      Db.setSourceStatus(source, "on B");
      var ids = Db.eventIds(project);
      assertThat(ids).hasSize(6);
      assertThat(onB.awaitProjectEvents(3).projectEventIds()).isEqualTo(ids.subList(3, 6));
    }
    // And the polling fallback of either instance reads the same log.
    var polledOnB =
        it.Http.get(
            other.uri("/api/projects/" + project + "/events?after=" + lastId),
            "Authorization",
            "Bearer " + Tokens.forUser("alice"));
    assertThat(polledOnB.statusCode()).isEqualTo(200);
    assertThat(polledOnB.body()).contains("\"moving 0\"", "\"moving 1\"", "\"on B\"");
  }
}
