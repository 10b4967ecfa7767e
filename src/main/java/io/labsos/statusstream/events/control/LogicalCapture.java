package io.labsos.statusstream.events.control;

import io.labsos.statusstream.events.entity.StatusEvent;
import java.sql.Connection;
import java.sql.SQLException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.function.Function;

/**
 * {@code CHANGE_CAPTURE=logical}: the triggers do not NOTIFY (whose commit lock serialises all
 * notifying writers); the log's inserts arrive in commit order through logical replication, on a
 * temporary slot of this instance's own ({@link LogicalFeed}). Not possible (wal_level, rights,
 * slots) is reported, never replaced by notify: the instance stays not ready and says why.
 */
final class LogicalCapture implements Capture {

  private final Function<String, LogicalFeed.Settings> settings;
  private volatile LogicalFeed feed;

  /**
   * @param settings the feed's settings for the log's schema
   */
  LogicalCapture(Function<String, LogicalFeed.Settings> settings) {
    this.settings = settings;
  }

  @Override
  public void open(Connection log) throws SQLException {
    var schema = Publication.schemaOf(log);
    Publication.ensure(log, schema);
    feed = LogicalFeed.open(settings.apply(schema));
    // Once the feed is open, the triggers need not NOTIFY (their commit lock is what it avoids).
    try (var update = log.createStatement()) {
      update.executeUpdate("UPDATE status_stream_capture SET notify = false WHERE notify");
    }
  }

  @Override
  public Changes poll(Connection log, Duration wait) throws SQLException {
    var transactions = feed.poll(wait);
    if (transactions.isEmpty()) {
      // The log's connection is quiet meanwhile: a dead path shows here too.
      try (var ping = log.createStatement()) {
        ping.execute("SELECT 1");
      }
      return Changes.NONE;
    }
    var entries = new ArrayList<StatusEvent>();
    var toRead = new HashMap<java.util.UUID, Long>();
    boolean readAll = false;
    for (var transaction : transactions) {
      entries.addAll(transaction.events());
      transaction.skipped().forEach((project, id) -> toRead.merge(project, id, Math::max));
      readAll |= transaction.skippedAll();
    }
    return new Changes(entries, toRead, readAll);
  }

  @Override
  public void close() {
    var current = feed;
    if (current != null) {
      current.close();
    }
  }
}
