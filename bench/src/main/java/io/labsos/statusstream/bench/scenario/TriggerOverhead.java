package io.labsos.statusstream.bench.scenario;

import io.labsos.statusstream.bench.harness.Harness;
import io.labsos.statusstream.bench.harness.Project;
import io.labsos.statusstream.bench.report.Figure;
import java.sql.Connection;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

/**
 * (4) What our trigger adds to a worker's {@code UPDATE}, pgbench-style: the same updates of job
 * progress with the triggers of {@code jobs} enabled and disabled, by 1 and by 4 writers.
 */
final class TriggerOverhead implements Scenario {

  @Override
  public String name() {
    return "writers";
  }

  @Override
  public String oursOnly() {
    return "it measures our triggers; a peer's capture is its own";
  }

  @Override
  public void run(Harness h) throws Exception {
    int updates = h.size(5_000, 2_000);
    var projects = h.db.projects(4);
    var figures = new LinkedHashMap<String, Figure>();
    for (int clients : new int[] {1, 4}) {
      var with = new ArrayList<Double>();
      var without = new ArrayList<Double>();
      for (int round = 0; round < 3; round++) {
        with.add(jobUpdates(h, projects.subList(0, clients), updates));
        setTriggers(h, false);
        try {
          without.add(jobUpdates(h, projects.subList(0, clients), updates));
        } finally {
          setTriggers(h, true);
        }
      }
      double w = median(with);
      double wo = median(without);
      figures.put(
          clients + " writer(s) updates/s with/without",
          Figure.pair(Figure.number(w), Figure.number(wo)));
      figures.put(clients + " writer(s) cost ratio", Figure.number(wo / w));
    }
    h.report(
        "4 writers: trigger overhead",
        figures,
        "jobs progress UPDATE, autocommit; median of 3 rounds of "
            + updates
            + "; ratio = time with trigger / time without");
  }

  /** Updates/s of job progress, one job and one connection per project. */
  private static double jobUpdates(Harness h, List<Project> projects, int updates)
      throws Exception {
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
    for (var f : futures) {
      f.get();
    }
    pool.shutdown();
    return updates / ((System.nanoTime() - start) / 1e9);
  }

  private static void setTriggers(Harness h, boolean enabled) throws SQLException {
    try (Connection db = h.db.connect();
        var statement = db.createStatement()) {
      statement.execute("ALTER TABLE jobs " + (enabled ? "ENABLE" : "DISABLE") + " TRIGGER USER");
    }
  }

  private static double median(List<Double> values) {
    var sorted = values.stream().sorted().toList();
    return sorted.get(sorted.size() / 2);
  }
}
