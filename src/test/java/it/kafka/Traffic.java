package it.kafka;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import it.Db;
import it.ResumingClient;
import java.sql.SQLException;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Workers writing to a few projects all the time while a fault happens, and what their watchers
 * must have got once it is over: every event of the log, in order, once, none later than a bound.
 */
final class Traffic implements AutoCloseable {

  /**
   * No stream may stay silent longer than LISTENER_OUTAGE_SECONDS (30 s by default): an event that
   * took longer was held back by a stream that should have ended.
   */
  static final Duration LONGEST_WAIT = Duration.ofSeconds(30);

  private final List<UUID> projects = new ArrayList<>();
  private final List<UUID> sources = new ArrayList<>();
  private final AtomicInteger writes = new AtomicInteger();
  private final Thread writer;
  private final int rowsPerStatement;
  private volatile boolean running = true;

  /**
   * @param rowsPerStatement 1: one status change per statement; more: each statement also inserts
   *     that many proposals at once (a bulk write, the relay's batches get big)
   */
  Traffic(int projectCount, int rowsPerStatement) {
    this.rowsPerStatement = rowsPerStatement;
    for (int i = 0; i < projectCount; i++) {
      var project = Db.project("alice");
      projects.add(project);
      sources.add(Db.source(project));
    }
    writer = new Thread(this::write, "traffic");
    writer.setDaemon(true);
  }

  /** Starts writing: once the watchers are connected, every event is theirs. */
  void start() {
    writer.start();
  }

  List<UUID> projects() {
    return projects;
  }

  private void write() {
    int n = 0;
    while (running) {
      for (int i = 0; i < projects.size() && running; i++) {
        try {
          if (rowsPerStatement > 1 && n % 10 == 0) {
            Db.exec(
                "INSERT INTO proposed_nodes (project_id, title, confidence, status)"
                    + " SELECT ?, 'node ' || g, 0.5, 'proposed' FROM generate_series(1, ?) g",
                projects.get(i),
                rowsPerStatement);
          } else {
            Db.setSourceStatus(sources.get(i), "step " + n);
          }
          writes.incrementAndGet();
        } catch (RuntimeException e) {
          // The database is fine in these tests; a writer that fails just writes the next one.
        }
      }
      n++;
      try {
        Thread.sleep(15);
      } catch (InterruptedException e) {
        return;
      }
    }
  }

  /** Waits until at least {@code count} more statements were written. */
  void awaitWrites(int count) {
    int target = writes.get() + count;
    await().atMost(Duration.ofSeconds(60)).until(() -> writes.get() >= target);
  }

  void stop() {
    running = false;
    try {
      writer.join(10_000);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  /**
   * Every event of the project's log reached the watcher, in order, once, without a resync, and
   * none arrived later than {@link #LONGEST_WAIT} after it was written.
   */
  static void assertComplete(ResumingClient watcher, UUID project) {
    var expected = Db.eventIds(project);
    assertThat(expected).isNotEmpty();
    try {
      await().atMost(Duration.ofSeconds(60)).until(() -> watcher.ids().size() >= expected.size());
    } catch (org.awaitility.core.ConditionTimeoutException e) {
      var got = watcher.ids();
      var missing = new ArrayList<>(expected);
      missing.removeAll(got);
      throw new AssertionError(
          "the watcher of "
              + project
              + " got "
              + got.size()
              + " of "
              + expected.size()
              + " events; reconnects "
              + watcher.reconnects()
              + "; missing "
              + missing.subList(0, Math.min(5, missing.size()))
              + "..."
              + ", the last it got "
              + got.subList(Math.max(0, got.size() - 3), got.size()),
          e);
    }
    assertThat(watcher.ids()).as("every event, in order, once").isEqualTo(expected);
    assertThat(watcher.resyncs()).as("resyncs").isZero();
    var written = createdAt(project);
    Duration longest = Duration.ZERO;
    for (var event : watcher.received()) {
      var wait = Duration.between(written.get(event.id()), event.at());
      longest = wait.compareTo(longest) > 0 ? wait : longest;
    }
    assertThat(longest).as("the longest an event took").isLessThan(LONGEST_WAIT);
  }

  private static Map<Long, Instant> createdAt(UUID project) {
    try (var c = Db.connect();
        var query =
            c.prepareStatement("SELECT id, created_at FROM status_events WHERE project_id = ?")) {
      query.setObject(1, project);
      var times = new HashMap<Long, Instant>();
      try (var rows = query.executeQuery()) {
        while (rows.next()) {
          times.put(rows.getLong(1), rows.getTimestamp(2).toInstant());
        }
      }
      return times;
    } catch (SQLException e) {
      throw new IllegalStateException(e);
    }
  }

  @Override
  public void close() {
    stop();
  }
}
