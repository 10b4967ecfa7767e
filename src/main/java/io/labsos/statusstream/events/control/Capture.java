package io.labsos.statusstream.events.control;

import java.sql.Connection;
import java.sql.SQLException;
import java.time.Duration;

/**
 * One way to learn of new entries of the event log ({@code CHANGE_CAPTURE}): the committed entries,
 * in order per project, or which projects to read. The log stays the truth: after every {@link
 * #open} the listener catches up from it by its cursors, so a capture never has to remember
 * anything across connections.
 *
 * <p>Threads: the listener's loop only, but {@link #close()}, which may come from any thread and
 * makes a {@link #poll} in progress fail.
 */
interface Capture extends AutoCloseable {

  /**
   * Starts capturing, on the listener's connection to the log (and connections of its own). Every
   * entry committed after this returns is reported by {@link #poll}; every earlier one is in the
   * log when the listener reads it next.
   *
   * @throws CaptureUnavailable when the database cannot do this kind of capture (the instance says
   *     why and stays not ready)
   * @throws SQLException when a connection failed (the listener reconnects)
   */
  void open(Connection log) throws SQLException;

  /**
   * What arrived within {@code wait}; {@link Changes#NONE} when nothing did. Proves, when nothing
   * arrives, that the connections still answer.
   */
  Changes poll(Connection log, Duration wait) throws SQLException;

  @Override
  void close();
}
