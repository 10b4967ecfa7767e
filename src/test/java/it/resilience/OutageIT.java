package it.resilience;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import it.Api;
import it.Db;
import it.Http;
import it.LocalPostgres;
import it.ServiceTest;
import it.Tokens;
import java.time.Duration;
import org.junit.jupiter.api.Test;

/** PostgreSQL stopped and started under open streams. */
class OutageIT extends ServiceTest {

  @Test
  void openStreamsSurviveADatabaseRestartAndGetWhatIsWrittenAfterItWithinFiveSeconds() {
    LocalPostgres.assumeControllable();
    var project = Db.project("alice");
    var source = Db.source(project);
    try (var client = Api.stream(base, project, "alice")) {
      Db.setSourceStatus(source, "before");
      client.awaitProjectEvents(1);

      LocalPostgres.stop();
      try {
        var ready = Api.management("/health/ready");
        await().atMost(Duration.ofSeconds(30)).until(() -> Http.get(ready).statusCode() == 503);
        var refused =
            Http.get(
                Api.status(base, project, null),
                "Authorization",
                "Bearer " + Tokens.forUser("alice"));
        assertThat(refused.statusCode()).isEqualTo(503);
        // The open stream stays open: heartbeats keep coming while the database is away.
        int keepalives = (int) client.lines().stream().filter(": keepalive"::equals).count();
        await()
            .atMost(Duration.ofSeconds(10))
            .until(
                () -> client.lines().stream().filter(": keepalive"::equals).count() > keepalives);
        assertThat(client.ended()).isFalse();
      } finally {
        LocalPostgres.start();
      }

      for (int i = 0; i < 5; i++) {
        Db.setSourceStatus(source, "after " + i);
      }
      await().atMost(Duration.ofSeconds(5)).until(() -> client.projectEvents().size() >= 6);
      assertThat(client.projectEventIds()).hasSize(6).isEqualTo(Db.eventIds(project));
      assertThat(Http.json(client.projectEvents().get(5).data()).getString("status"))
          .isEqualTo("after 4");
    }
  }
}
