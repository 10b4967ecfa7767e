package io.labsos.statusstream.bench.scenario;

import io.labsos.statusstream.bench.harness.Harness;
import io.labsos.statusstream.bench.harness.Project;
import io.labsos.statusstream.bench.report.Figure;
import java.sql.SQLException;
import java.time.Duration;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.locks.LockSupport;

/**
 * (6) What one instance reads from the event log: while events are written to projects nobody
 * watches on it, and while they are written to a project with subscribers. Two views: the
 * instance's own count ({@value #METRIC}, n/a where the server does not export it) and PostgreSQL's
 * ({@code pg_stat_user_tables} of the log table: rows fetched by index, rows read by sequential
 * scans, from every connection of the server). The log table is the one the writes inserted into
 * that is not a table of the contract: {@code status_events} for ours.
 */
final class ListenerReads implements Scenario {

  static final String METRIC = "status_stream_listener_events_read_total";
  private static final String DELIVERED = "status_stream_events_delivered_total";
  private static final Set<String> CONTRACT =
      Set.of("projects", "project_members", "ingestion_sources", "jobs", "proposed_nodes");
  private static final int SUBSCRIBERS = 10;
  private static final int UNWATCHED = 50;

  /** One table's counters in pg_stat_user_tables. */
  private record TableStats(long inserted, long fetchedByIndex, long readByScan) {}

  /** Both views at one moment: the statistics of every table, and the listener's count. */
  private record Snapshot(Map<String, TableStats> tables, double listener) {}

  /** What one phase read, by both views. */
  private record Reads(String table, double listener, long byIndex, long byScan) {}

  @Override
  public String name() {
    return "reads";
  }

  @Override
  public void run(Harness h) throws Exception {
    int events = h.size(2_000, 300);
    var unwatched = h.db.projects(UNWATCHED);
    var watched = h.db.projects(1).get(0);
    try (var load = h.load(1)) {
      h.openAll(load, List.of(watched.id()), SUBSCRIBERS);
      var start = settled(h);
      h.writers.write(unwatched.stream().map(Project::source).toList(), 0, events, 0);
      var afterQuiet = settled(h);
      long expected = load.received.sum() + (long) events * SUBSCRIBERS;
      double deliveredBefore = h.server.metric(DELIVERED);
      long receivedBefore = load.received.sum();
      h.writers.write(List.of(watched.source()), 0, events, 0);
      h.awaitReceived(load, expected, Duration.ofSeconds(60));
      if (load.received.sum() < expected) {
        // Late or never: look again, and compare with what the server says it wrote.
        LockSupport.parkNanos(Duration.ofSeconds(20).toNanos());
        System.out.printf(
            "  note: 20 s later %d of %d arrived; the server counted %.0f deliveries (%s)%n",
            load.received.sum() - receivedBefore,
            (long) events * SUBSCRIBERS,
            h.server.metric(DELIVERED) - deliveredBefore,
            DELIVERED);
      }
      var afterBusy = settled(h);
      var quiet = between(start, afterQuiet);
      var busy = between(afterQuiet, afterBusy);
      var figures = new LinkedHashMap<String, Figure>();
      figures.put(
          "event log table",
          Figure.text(
              Objects.requireNonNullElse(
                  busy.table() != null ? busy.table() : quiet.table(), "n/a")));
      figures.put("events written, per phase", Figure.text(String.valueOf(events)));
      put(figures, "no stream here", quiet);
      put(figures, "with streams", busy);
      h.report(
          "6 reads per instance",
          figures,
          "no stream here: "
              + events
              + " events over "
              + UNWATCHED
              + " projects without a stream on this instance; with streams: "
              + events
              + " events to one project with "
              + SUBSCRIBERS
              + " streams; listener: "
              + METRIC
              + "; DB: pg_stat_user_tables of the log table (idx_tup_fetch, seq_tup_read)");
    }
  }

  private static void put(Map<String, Figure> figures, String phase, Reads reads) {
    figures.put(phase + ": listener rows read", Figure.number(reads.listener()));
    figures.put(phase + ": DB rows fetched by index", Figure.count(reads.byIndex()));
    figures.put(phase + ": DB rows read by scans", Figure.count(reads.byScan()));
  }

  /** What was read between two snapshots, from the table that got the most new rows. */
  private static Reads between(Snapshot before, Snapshot after) {
    String table = null;
    long inserted = 0;
    for (var entry : after.tables().entrySet()) {
      long grown = entry.getValue().inserted() - stats(before, entry.getKey()).inserted();
      if (!CONTRACT.contains(entry.getKey()) && grown > inserted) {
        table = entry.getKey();
        inserted = grown;
      }
    }
    double listener = after.listener() - before.listener();
    if (table == null) {
      return new Reads(null, listener, 0, 0);
    }
    var old = stats(before, table);
    var now = stats(after, table);
    return new Reads(
        table,
        listener,
        now.fetchedByIndex() - old.fetchedByIndex(),
        now.readByScan() - old.readByScan());
  }

  private static TableStats stats(Snapshot snapshot, String table) {
    return snapshot.tables().getOrDefault(table, new TableStats(0, 0, 0));
  }

  /**
   * Both views once neither changed for 11 s, at most 60 s: a backend that reported its counts less
   * than a second ago holds new ones back for up to 10 s (PostgreSQL's idle interval for
   * statistics), and a busy listener has just reported.
   */
  private static Snapshot settled(Harness h) throws SQLException {
    long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
    var last = new Snapshot(stats(h), h.server.metric(METRIC));
    long stableSince = System.nanoTime();
    while (System.nanoTime() - stableSince < 11_000_000_000L && System.nanoTime() < deadline) {
      LockSupport.parkNanos(1_000_000_000L);
      var now = new Snapshot(stats(h), h.server.metric(METRIC));
      // Records compare their doubles by bits: NaN (no metric) equals NaN.
      if (!now.equals(last)) {
        last = now;
        stableSince = System.nanoTime();
      }
    }
    return last;
  }

  private static Map<String, TableStats> stats(Harness h) throws SQLException {
    var stats = new HashMap<String, TableStats>();
    try (var db = h.db.connect();
        var rows =
            db.createStatement()
                .executeQuery(
                    "SELECT relname, n_tup_ins, coalesce(idx_tup_fetch, 0), seq_tup_read"
                        + " FROM pg_stat_user_tables")) {
      while (rows.next()) {
        stats.put(
            rows.getString(1), new TableStats(rows.getLong(2), rows.getLong(3), rows.getLong(4)));
      }
    }
    return stats;
  }
}
