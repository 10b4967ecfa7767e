package io.labsos.statusstream.bench.scenario;

import io.labsos.statusstream.bench.harness.Harness;
import io.labsos.statusstream.bench.harness.Project;
import java.sql.Connection;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

/**
 * A worker's progress updates of a job, timed pgbench-style (autocommit, one job and one connection
 * per project, as fast as they go), tracked (with the trigger of {@code jobs}) and plain (with it
 * disabled): what the {@code writers} and {@code capture} scenarios compare.
 */
final class JobProgress {

  /** The updates/s of job progress tracked and plain, each the median of its rounds. */
  record Compared(double tracked, double plain) {

    /** Time per update tracked / plain: how much a tracked update costs a writer. */
    double costRatio() {
      return plain / tracked;
    }

    /** Tracked updates/s / plain updates/s. */
    double throughputRatio() {
      return tracked / plain;
    }
  }

  private JobProgress() {}

  /**
   * Rounds of {@code updates} updates spread over the projects (a writer each), tracked then plain
   * in every round; the trigger {@code which} of {@code jobs} ({@code USER}: all of them) is
   * disabled for the plain half only.
   */
  static Compared compare(Harness h, List<Project> projects, int updates, int rounds, String which)
      throws Exception {
    var tracked = new ArrayList<Double>();
    var plain = new ArrayList<Double>();
    for (int round = 0; round < rounds; round++) {
      tracked.add(updatesPerSecond(h, projects, updates));
      setTriggers(h, which, false);
      try {
        plain.add(updatesPerSecond(h, projects, updates));
      } finally {
        setTriggers(h, which, true);
      }
    }
    return new Compared(median(tracked), median(plain));
  }

  /** Updates/s of job progress, one job and one connection per project. */
  static double updatesPerSecond(Harness h, List<Project> projects, int updates) throws Exception {
    var pool = Executors.newFixedThreadPool(projects.size());
    var futures = new ArrayList<Future<?>>();
    long start = System.nanoTime();
    for (var project : projects) {
      futures.add(
          pool.submit(
              () -> {
                try (Connection db = h.db.connect()) {
                  UUID job;
                  try (var insert =
                      db.prepareStatement(
                          "INSERT INTO jobs (project_id, progress_stage) VALUES (?, 'bench')"
                              + " RETURNING id")) {
                    insert.setObject(1, project.id());
                    try (var rows = insert.executeQuery()) {
                      rows.next();
                      job = rows.getObject(1, UUID.class);
                    }
                  }
                  try (var update =
                      db.prepareStatement(
                          "UPDATE jobs SET progress_current = ?, progress_total = ?,"
                              + " progress_message = 'working', progress_updated_at = now()"
                              + " WHERE id = ?")) {
                    for (int i = 0; i < updates / projects.size(); i++) {
                      update.setInt(1, i);
                      update.setInt(2, updates);
                      update.setObject(3, job);
                      update.executeUpdate();
                    }
                  }
                }
                return null;
              }));
    }
    try {
      for (var f : futures) {
        f.get();
      }
    } finally {
      pool.shutdown();
    }
    return updates / ((System.nanoTime() - start) / 1e9);
  }

  /** {@code ALTER TABLE jobs ENABLE|DISABLE TRIGGER which}. */
  static void setTriggers(Harness h, String which, boolean enabled) throws SQLException {
    try (Connection db = h.db.connect();
        var statement = db.createStatement()) {
      statement.execute(
          "ALTER TABLE jobs " + (enabled ? "ENABLE" : "DISABLE") + " TRIGGER " + which);
    }
  }

  static double median(List<Double> values) {
    var sorted = values.stream().sorted().toList();
    return sorted.get(sorted.size() / 2);
  }
}
