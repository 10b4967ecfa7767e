package it.capture;

import static org.assertj.core.api.Assertions.assertThat;

import it.Api;
import it.Db;
import it.Metrics;
import it.ServiceTest;
import org.junit.jupiter.api.Test;

/**
 * An instance reads the log's rows only for projects that have streams on it; the cursors of the
 * others advance from their heads. Its reads grow with its own clients, not with every write.
 */
class ListenerReadsIT extends ServiceTest {

  @Test
  void readsRowsOnlyForProjectsWithStreamsHere() {
    var quiet = Db.project("alice");
    var quietSource = Db.source(quiet);
    var watched = Db.project("alice");
    var watchedSource = Db.source(watched);
    try (var client = Api.stream(base, watched, "alice")) {
      double before = Metrics.value(base, "status_stream_listener_events_read_total");
      for (int i = 0; i < 20; i++) {
        Db.setSourceStatus(quietSource, "nobody watches " + i);
      }
      // Notifications are handled in commit order: once this one arrived, the others were too.
      Db.setSourceStatus(watchedSource, "watched");
      client.awaitProjectEvents(1);
      assertThat(Metrics.value(base, "status_stream_listener_events_read_total"))
          .isEqualTo(before + 1);
    }
    try (var client = Api.stream(base, quiet, "alice")) {
      double before = Metrics.value(base, "status_stream_listener_events_read_total");
      for (int i = 0; i < 20; i++) {
        Db.setSourceStatus(quietSource, "now watched " + i);
      }
      assertThat(client.awaitProjectEvents(20).projectEventIds())
          .isEqualTo(Db.eventIds(quiet).subList(20, 40));
      assertThat(Metrics.value(base, "status_stream_listener_events_read_total"))
          .isGreaterThanOrEqualTo(before + 20);
    }
  }
}
