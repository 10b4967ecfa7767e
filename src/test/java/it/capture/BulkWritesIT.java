package it.capture;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import it.Api;
import it.Db;
import it.ServiceTest;
import it.SseClient;
import java.net.URL;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import org.junit.jupiter.api.Test;

/**
 * A backfill: one statement over many rows of a project. Each row is one event, in the statement's
 * order, with consecutive ids, and every stream gets all of them once and in order (in logical mode
 * the transaction is larger than the listener holds in memory: it reads it from the log).
 */
class BulkWritesIT extends ServiceTest {

  private static final int ROWS = 12_000;

  @Test
  void oneStatementOverManyRowsReachesTheStreamWhole() {
    var project = Db.project("alice");
    Db.exec(
        "INSERT INTO jobs (project_id) SELECT ? FROM generate_series(1, " + ROWS + ")", project);
    // Rows of another project in the same statement, whose progress does not move: no event.
    var other = Db.project("bob");
    Db.exec("INSERT INTO jobs (project_id) SELECT ? FROM generate_series(1, 100)", other);
    try (var reader = new Reader(base, project)) {
      Db.exec(
          "UPDATE jobs SET progress_current = 1, progress_total = 2,"
              + " progress_updated_at = CASE WHEN project_id = ? THEN clock_timestamp()"
              + " ELSE progress_updated_at END"
              + " WHERE project_id IN (?, ?)",
          project,
          project,
          other);
      var ids = Db.eventIds(project);
      assertThat(ids).hasSize(ROWS);
      assertThat(Db.eventIds(other)).isEmpty();
      for (int i = 1; i < ids.size(); i++) {
        assertThat(ids.get(i)).isEqualTo(ids.get(i - 1) + 1);
      }
      await().atMost(Duration.ofSeconds(90)).until(() -> reader.read().size() >= ROWS);
      assertThat(reader.read()).isEqualTo(ids);
    }
  }

  /**
   * A client of the stream that resumes with its last id when the service ends it as too slow for
   * the burst, as the browser client does.
   */
  private static final class Reader implements AutoCloseable {
    private final URL base;
    private final UUID project;
    private final List<Long> ids = new ArrayList<>();
    private SseClient client;
    private int taken;

    Reader(URL base, UUID project) {
      this.base = base;
      this.project = project;
      this.client = Api.stream(base, project, "alice");
    }

    List<Long> read() {
      var now = client.projectEventIds();
      ids.addAll(now.subList(taken, now.size()));
      taken = now.size();
      if (client.ended()) {
        client.close();
        client =
            ids.isEmpty()
                ? Api.stream(base, project, "alice")
                : Api.stream(
                    base, project, "alice", "Last-Event-ID", ids.get(ids.size() - 1).toString());
        taken = 0;
      }
      return ids;
    }

    @Override
    public void close() {
      client.close();
    }
  }
}
