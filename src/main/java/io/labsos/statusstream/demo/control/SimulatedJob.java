package io.labsos.statusstream.demo.control;

import jakarta.annotation.Resource;
import jakarta.enterprise.concurrent.ManagedExecutorService;
import jakarta.enterprise.context.ApplicationScoped;
import java.sql.SQLException;
import java.util.List;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.atomic.AtomicReference;
import java.util.logging.Level;
import java.util.logging.Logger;
import javax.sql.DataSource;

/**
 * The demo's worker: creates the demo project and runs a job that writes progress, source statuses
 * and proposals with plain SQL, as a real worker would. Everything the page shows comes back
 * through the triggers, the listener and the stream. One job at a time: anyone may press the
 * button, so nobody can start unbounded work.
 */
@ApplicationScoped
public class SimulatedJob {

  private static final Logger LOG = Logger.getLogger(SimulatedJob.class.getName());
  static final UUID PROJECT = UUID.fromString("00000000-0000-4000-8000-00000000de70");
  static final int STEPS = 20;
  private static final List<String> SOURCES =
      List.of("papers.csv", "lab-notebook.pdf", "instrument-log.json");
  private static final List<String> TITLES =
      List.of(
          "Temperature drift explains the outliers",
          "Batch 7 shares a reagent lot with batch 3",
          "Replicate the assay at 37 °C",
          "Merge duplicate sample records");

  @Resource(lookup = "jdbc/statusStream")
  DataSource pool;

  @Resource ManagedExecutorService executor;

  private final AtomicReference<UUID> running = new AtomicReference<>();

  /** Creates the demo project, its member and its sources, once. */
  public UUID project() throws SQLException {
    try (var c = pool.getConnection()) {
      try (var s =
          c.prepareStatement(
              "INSERT INTO projects (id, name) VALUES (?, 'Demo project') ON CONFLICT DO NOTHING")) {
        s.setObject(1, PROJECT);
        s.executeUpdate();
      }
      try (var s =
          c.prepareStatement(
              "INSERT INTO project_members (project_id, user_id, role) VALUES (?, ?, 'owner')"
                  + " ON CONFLICT DO NOTHING")) {
        s.setObject(1, PROJECT);
        s.setString(2, DemoMode.USER);
        s.executeUpdate();
      }
      for (var name : SOURCES) {
        try (var s =
            c.prepareStatement(
                "INSERT INTO ingestion_sources (project_id, source_name, status)"
                    + " SELECT ?, ?, 'queued' WHERE NOT EXISTS (SELECT 1 FROM ingestion_sources"
                    + " WHERE project_id = ? AND source_name = ?)")) {
          s.setObject(1, PROJECT);
          s.setString(2, name);
          s.setObject(3, PROJECT);
          s.setString(4, name);
          s.executeUpdate();
        }
      }
    }
    return PROJECT;
  }

  /**
   * Starts a job; returns its id at once, the work goes on in the background.
   *
   * @return empty while another job runs
   */
  public Optional<UUID> start() throws SQLException {
    var job = UUID.randomUUID();
    if (!running.compareAndSet(null, job)) {
      return Optional.empty();
    }
    try {
      insert(job);
      executor.execute(() -> run(job));
    } catch (SQLException | RuntimeException e) {
      running.set(null);
      throw e;
    }
    return Optional.of(job);
  }

  private void insert(UUID job) throws SQLException {
    project();
    try (var c = pool.getConnection();
        var s =
            c.prepareStatement(
                "INSERT INTO jobs (id, project_id, progress_stage, progress_current, progress_total,"
                    + " progress_message) VALUES (?, ?, 'queued', 0, ?, 'Waiting to start')")) {
      s.setObject(1, job);
      s.setObject(2, PROJECT);
      s.setInt(3, STEPS);
      s.executeUpdate();
    }
  }

  private void run(UUID job) {
    try {
      exec(
          "UPDATE ingestion_sources SET status = 'queued', updated_at = now() WHERE project_id = ?",
          PROJECT);
      for (int step = 1; step <= STEPS; step++) {
        String stage =
            step == STEPS ? "complete" : step <= 8 ? "ingest" : step <= 14 ? "extract" : "propose";
        exec(
            "UPDATE jobs SET progress_stage = ?, progress_current = ?, progress_message = ?,"
                + " progress_updated_at = clock_timestamp() WHERE id = ?",
            stage,
            step,
            step == STEPS
                ? "Done: proposals are ready"
                : "Step " + step + " of " + STEPS + ": " + stage,
            job);
        if (step % 3 == 0 && step / 3 <= SOURCES.size()) {
          var source = SOURCES.get(step / 3 - 1);
          exec(
              "UPDATE ingestion_sources SET status = 'processing', updated_at = now()"
                  + " WHERE project_id = ? AND source_name = ?",
              PROJECT,
              source);
        }
        if (step == 12) {
          exec(
              "UPDATE ingestion_sources SET status = 'done', updated_at = now() WHERE project_id = ?",
              PROJECT);
        }
        if (step > 14 && step - 15 < TITLES.size()) {
          exec(
              "INSERT INTO proposed_nodes (project_id, title, confidence, status)"
                  + " VALUES (?, ?, ?, 'proposed')",
              PROJECT,
              TITLES.get(step - 15),
              0.6 + 0.1 * (step - 15));
        }
        Thread.sleep(400);
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    } catch (SQLException e) {
      LOG.log(Level.WARNING, "Demo job {0} stopped: {1}", new Object[] {job, e.getMessage()});
    } finally {
      running.set(null);
    }
  }

  private void exec(String sql, Object... args) throws SQLException {
    try (var c = pool.getConnection();
        var s = c.prepareStatement(sql)) {
      for (int i = 0; i < args.length; i++) {
        s.setObject(i + 1, args[i]);
      }
      s.executeUpdate();
    }
  }
}
