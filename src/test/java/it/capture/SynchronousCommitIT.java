package it.capture;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import it.Api;
import it.Db;
import it.ServiceTest;
import java.sql.SQLException;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.Test;

/**
 * With synchronous replication, a commit is written, and decoded for logical capture, before the
 * standby confirms it and other transactions can see it. A stream that opens in that window reads a
 * log without the event: it must not skip it once it shows.
 */
class SynchronousCommitIT extends ServiceTest {

  @Test
  void aCommitDecodedBeforeItIsVisibleIsNotSkippedByAStreamThatOpensMeanwhile() throws Exception {
    assumeTrue(
        Db.value(Boolean.class, "SELECT rolsuper FROM pg_roles WHERE rolname = current_user"),
        "changing synchronous_standby_names needs a superuser");
    var project = Db.project("alice");
    var source = Db.source(project);
    // Only the writer below waits for the standby (that never comes); everyone else commits as
    // before.
    Db.exec("ALTER SYSTEM SET synchronous_standby_names = 'status_stream_test_standby'");
    Db.exec("ALTER SYSTEM SET synchronous_commit = 'local'");
    Db.value(Boolean.class, "SELECT pg_reload_conf()");
    try (var writer = Db.connect()) {
      CompletableFuture<Void> commit;
      try {
        writer.setAutoCommit(false);
        try (var s = writer.createStatement()) {
          s.execute("SET synchronous_commit = on");
          s.execute("UPDATE ingestion_sources SET status = 'waits' WHERE id = '" + source + "'");
        }
        commit =
            CompletableFuture.runAsync(
                () -> {
                  try {
                    writer.commit();
                  } catch (SQLException e) {
                    throw new IllegalStateException(e);
                  }
                });
        // Written and flushed here, waiting for the standby; the WAL senders have sent it.
        await()
            .atMost(Duration.ofSeconds(10))
            .until(
                () ->
                    Db.value(
                        Boolean.class,
                        "SELECT EXISTS (SELECT 1 FROM pg_stat_activity WHERE wait_event = 'SyncRep')"
                            + " AND NOT EXISTS (SELECT 1 FROM pg_stat_replication"
                            + " WHERE sent_lsn < pg_current_wal_flush_lsn())"));
        assertThat(Db.eventIds(project)).as("not visible yet").isEmpty();

        try (var client = Api.stream(base, project, "alice")) {
          Db.exec("ALTER SYSTEM RESET synchronous_standby_names");
          Db.value(Boolean.class, "SELECT pg_reload_conf()");
          commit.get();
          Db.setSourceStatus(source, "after");
          assertThat(client.awaitProjectEvents(2).projectEventIds())
              .isEqualTo(Db.eventIds(project));
        }
      } finally {
        Db.exec("ALTER SYSTEM RESET synchronous_standby_names");
        Db.exec("ALTER SYSTEM RESET synchronous_commit");
        Db.value(Boolean.class, "SELECT pg_reload_conf()");
      }
    }
  }
}
