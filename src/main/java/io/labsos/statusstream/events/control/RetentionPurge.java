package io.labsos.statusstream.events.control;

import jakarta.annotation.PreDestroy;
import jakarta.annotation.Resource;
import jakarta.enterprise.concurrent.ManagedScheduledExecutorService;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import jakarta.enterprise.event.Startup;
import jakarta.inject.Inject;
import java.sql.SQLException;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.logging.Level;
import java.util.logging.Logger;
import javax.sql.DataSource;

/**
 * Deletes events older than {@code EVENT_RETENTION_HOURS}, and the history of deleted projects
 * (everything before their deletion entry: no reader continues into or out of it). A client whose
 * cursor is older than what is left gets {@code resync_required}. Every instance runs it; the
 * deletes are idempotent.
 */
@ApplicationScoped
public class RetentionPurge {

  private static final Logger LOG = Logger.getLogger(RetentionPurge.class.getName());

  @Resource(lookup = "jdbc/statusStream")
  DataSource pool;

  @Resource ManagedScheduledExecutorService scheduler;

  @Inject EventSettings settings;

  private ScheduledFuture<?> task;

  void start(@Observes Startup startup) {
    long interval = settings.purgeInterval().toSeconds();
    task = scheduler.scheduleWithFixedDelay(this::purge, interval, interval, TimeUnit.SECONDS);
  }

  @PreDestroy
  void stop() {
    if (task != null) {
      task.cancel(false);
    }
  }

  void purge() {
    try (var connection = pool.getConnection();
        var expired =
            connection.prepareStatement(
                "DELETE FROM status_events WHERE created_at < now() - make_interval(secs => ?)");
        var deletedProjects =
            connection.prepareStatement(
                "DELETE FROM status_events e USING status_event_heads h"
                    + " WHERE h.deleted_id IS NOT NULL AND e.project_id = h.project_id"
                    + " AND e.id < h.deleted_id")) {
      double retentionHours = settings.retentionHours();
      expired.setDouble(1, retentionHours * 3600);
      int old = expired.executeUpdate();
      int gone = deletedProjects.executeUpdate();
      if (old + gone > 0) {
        LOG.fine(
            () ->
                "Purged "
                    + old
                    + " events older than "
                    + retentionHours
                    + " h and "
                    + gone
                    + " of deleted projects");
      }
    } catch (SQLException e) {
      LOG.log(Level.INFO, "Event purge skipped, database unavailable: {0}", e.getMessage());
    }
  }
}
