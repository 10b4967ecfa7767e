package io.labsos.statusstream.events.control;

import java.sql.SQLException;

/**
 * The database cannot do the capture asked for (not a passing outage): the instance says why, stays
 * not ready, and tries again slowly, in case an operator fixes it.
 */
final class CaptureUnavailable extends SQLException {
  private static final long serialVersionUID = 1L;

  static final String WAL_LEVEL = "logical capture needs wal_level=logical";
  static final String REPLICATION = "logical capture needs a user with the REPLICATION attribute";
  static final String WAL_SENDER = "logical capture needs a free WAL sender (max_wal_senders)";
  static final String SLOT =
      "logical capture needs a free replication slot (max_replication_slots)";
  static final String PUBLICATION = "logical capture needs its publication of the event log";

  private final String reason;

  /**
   * @param reason what is missing, one of the fixed texts above: it names no host, user or
   *     database, so readiness may show it to anyone
   * @param message the same for the log, with what the server said
   */
  CaptureUnavailable(String reason, String message, String sqlState, Throwable cause) {
    super(message, sqlState, cause);
    this.reason = reason;
  }

  String reason() {
    return reason;
  }
}
