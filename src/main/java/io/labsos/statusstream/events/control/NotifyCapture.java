package io.labsos.statusstream.events.control;

import java.sql.Connection;
import java.sql.SQLException;
import java.time.Duration;
import java.util.LinkedHashSet;
import java.util.UUID;
import java.util.logging.Logger;
import org.postgresql.PGConnection;

/**
 * {@code CHANGE_CAPTURE=notify}, any PostgreSQL: the triggers NOTIFY each project they wrote, and
 * the listener reads those projects' new entries from the log. {@code NOTIFY} takes a database-wide
 * lock from pre-commit to the end of commit, so the commits of all notifying transactions queue
 * behind each other: logical capture avoids that.
 */
final class NotifyCapture implements Capture {

  static final String CHANNEL = "status_stream";
  private static final Logger LOG = Logger.getLogger(NotifyCapture.class.getName());

  @Override
  public void open(Connection log) throws SQLException {
    try (var listen = log.createStatement()) {
      listen.execute("LISTEN " + CHANNEL);
    }
    notifyOn(log);
  }

  @Override
  public Changes poll(Connection log, Duration wait) throws SQLException {
    var notifications =
        log.unwrap(PGConnection.class).getNotifications((int) Math.max(1, wait.toMillis()));
    if (notifications == null || notifications.length == 0) {
      // Proves the connection still answers (a dead path fails here within the socket timeout),
      // and that the triggers still NOTIFY: an instance in logical mode turns that off; this one
      // then turns it on again and reads what it was not told of.
      return notifyOn(log)
          ? new Changes(java.util.List.of(), java.util.Map.of(), true)
          : Changes.NONE;
    }
    var projects = new LinkedHashSet<UUID>();
    for (var notification : notifications) {
      try {
        projects.add(UUID.fromString(notification.getParameter()));
      } catch (IllegalArgumentException ignored) {
        // Not ours: another writer used the channel. The log is the truth, nothing to read.
      }
    }
    return Changes.read(projects);
  }

  /**
   * Makes sure the triggers NOTIFY. Returns whether they did not: some instance runs with {@code
   * CHANGE_CAPTURE=logical} (all instances should use one mode).
   */
  private static boolean notifyOn(Connection log) throws SQLException {
    try (var update = log.createStatement()) {
      if (update.executeUpdate("UPDATE status_stream_capture SET notify = true WHERE NOT notify")
          == 0) {
        return false;
      }
    }
    LOG.warning(
        "The triggers did not NOTIFY (an instance with CHANGE_CAPTURE=logical turned it off);"
            + " turned it on again. All instances should use the same CHANGE_CAPTURE.");
    return true;
  }

  @Override
  public void close() {
    // Nothing of its own: LISTEN ends with the listener's connection.
  }
}
