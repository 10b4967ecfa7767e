package it.access;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import it.Api;
import it.Db;
import it.Http;
import it.Metrics;
import it.ServiceTest;
import it.Tokens;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.Test;

/**
 * Polling shares the database pool with readiness and stream opens: one user has at most
 * POLL_MAX_PER_USER (4) polling requests in flight, and more are answered 429 at once.
 */
class PollingLimitIT extends ServiceTest {

  private CompletableFuture<HttpResponse<String>> poll(java.util.UUID project, String user) {
    return Http.CLIENT.sendAsync(
        HttpRequest.newBuilder(Api.events(base, project, null))
            .header("Authorization", "Bearer " + Tokens.forUser(user))
            .timeout(Duration.ofSeconds(90))
            .build(),
        HttpResponse.BodyHandlers.ofString());
  }

  private static long pollsWaitingForTheLog() {
    return Db.value(
        Long.class,
        "SELECT count(*) FROM pg_stat_activity WHERE application_name = 'status-stream'"
            + " AND wait_event_type = 'Lock' AND query LIKE '%status_events%'");
  }

  @Test
  void aUsersFifthConcurrentPollIsTurnedAwayWhileOthersAreServed() throws Exception {
    var project = Db.project("poller", "neighbour");
    var inFlight = new ArrayList<CompletableFuture<HttpResponse<String>>>();
    try (var lock = Db.connect()) {
      // Holds every read of the log, so that polls stay in flight.
      lock.setAutoCommit(false);
      try (var statement = lock.createStatement()) {
        statement.execute("SET LOCAL lock_timeout = '60s'");
        statement.execute("LOCK TABLE status_events IN ACCESS EXCLUSIVE MODE");
      }
      for (int i = 0; i < 4; i++) {
        inFlight.add(poll(project, "poller"));
      }
      // (Generous: once, on a heavily loaded machine, 10 s were not enough.)
      await().atMost(Duration.ofSeconds(40)).until(() -> pollsWaitingForTheLog() >= 4);

      var refusals = Metrics.value("status_stream_limit_refusals_total", "limit", "polls");
      var refused =
          Http.get(
              Api.events(base, project, null),
              "Authorization",
              "Bearer " + Tokens.forUser("poller"));
      assertThat(refused.statusCode()).isEqualTo(429);
      assertThat(refused.headers().firstValue("Retry-After")).hasValue("1");
      assertThat(Http.json(refused.body()).getString("error")).isEqualTo("too_many_requests");
      // Operators see the 429s at /metrics (other tests may add theirs meanwhile).
      assertThat(Metrics.value("status_stream_limit_refusals_total", "limit", "polls"))
          .isGreaterThanOrEqualTo(refusals + 1);

      // Another user is not affected: admitted (and waiting for the log like the others).
      inFlight.add(poll(project, "neighbour"));
      await().atMost(Duration.ofSeconds(40)).until(() -> pollsWaitingForTheLog() >= 5);
      lock.rollback();
    }
    for (var response : inFlight) {
      assertThat(response.get().statusCode()).isEqualTo(200);
    }
    // The slots are free again.
    assertThat(
            Http.get(
                    Api.events(base, project, null),
                    "Authorization",
                    "Bearer " + Tokens.forUser("poller"))
                .statusCode())
        .isEqualTo(200);
  }
}
