package it.health;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import it.Api;
import it.Http;
import it.LocalPostgres;
import it.ServiceTest;
import it.Tokens;
import java.net.URI;
import java.time.Duration;
import java.util.UUID;
import org.junit.jupiter.api.Test;

class HealthIT extends ServiceTest {

  private URI health(String kind) {
    return Api.management("/health/" + kind);
  }

  private void awaitStatus(String kind, int status) {
    await()
        .atMost(Duration.ofSeconds(60))
        .pollInterval(Duration.ofMillis(250))
        .until(() -> Http.get(health(kind)).statusCode() == status);
  }

  @Test
  void startedLiveAndReadyOnceMigratedAndListening() {
    awaitStatus("ready", 200);
    for (var kind : new String[] {"started", "live", "ready"}) {
      var response = Http.get(health(kind));
      assertThat(response.statusCode()).as(kind).isEqualTo(200);
      assertThat(Http.json(response.body()).getString("status")).as(kind).isEqualTo("UP");
    }
    var ready = Http.json(Http.get(health("ready")).body());
    assertThat(ready.toString())
        .contains("\"database\":\"reachable\"")
        .contains("\"schema\":\"migrated\"")
        .contains("\"listener\":\"connected\"");
  }

  @Test
  void readyGoesDownWhileTheDatabaseIsStoppedAndComesBackWithoutRestart() {
    LocalPostgres.assumeControllable();
    awaitStatus("ready", 200);
    LocalPostgres.stop();
    try {
      awaitStatus("ready", 503);
      var down = Http.get(health("ready"));
      assertThat(Http.json(down.body()).getString("status")).isEqualTo("DOWN");
      assertThat(down.body()).contains("unreachable");
      // Losing the database is not a reason to restart the process.
      assertThat(Http.get(health("live")).statusCode()).isEqualTo(200);
      // New streams are turned away with a hint when to come back.
      var stream =
          Http.get(
              Api.status(base, UUID.randomUUID(), null),
              "Authorization",
              "Bearer " + Tokens.forUser("alice"));
      assertThat(stream.statusCode()).isEqualTo(503);
      assertThat(stream.headers().firstValue("Retry-After")).isPresent();
      assertThat(Http.json(stream.body()).getString("error")).isEqualTo("unavailable");
    } finally {
      LocalPostgres.start();
    }
    awaitStatus("ready", 200);
    assertThat(Http.get(health("ready")).body()).contains("\"listener\":\"connected\"");
  }
}
