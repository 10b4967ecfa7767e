package io.labsos.statusstream.events.control;

import io.labsos.statusstream.events.entity.StatusEvent;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.postgresql.replication.LogSequenceNumber;

/**
 * Turns decoded pgoutput messages into whole transactions: collects a transaction's inserts into
 * the event log (of this deployment's schema) from its Begin to its Commit, drops the rest. Refuses
 * messages out of order (a change outside a transaction, a Begin inside one, a Commit of another
 * transaction): they mean the stream is not what the feed thinks it is.
 *
 * <p>Memory is bounded whatever a writer's transaction holds: past {@code maxEntries} entries or
 * {@code maxChars} characters of payload, the transaction's entries are dropped and only, per
 * project, the highest id is kept (for at most {@value #MAX_PROJECTS} projects, else only that
 * everything may have moved). The listener then reads those projects from the log once the
 * transaction committed.
 *
 * <p>Threading: the thread that polls the feed.
 */
final class TransactionAssembler {

  static final String EVENTS_TABLE = "status_events";
  static final int MAX_PROJECTS = 10_000;

  /**
   * One committed transaction's entries.
   *
   * @param xid the transaction id (unsigned 32 bits)
   * @param commitLsn where its commit record starts
   * @param endLsn where its commit record ends: what the feed acknowledges once delivered
   * @param events its entries in the order it made them, unless it was too large
   * @param skipped when it was too large: per project, the highest id of its entries
   * @param skippedAll when it was too large and touched too many projects to name them
   */
  record Transaction(
      long xid,
      LogSequenceNumber commitLsn,
      LogSequenceNumber endLsn,
      Instant committedAt,
      List<StatusEvent> events,
      Map<UUID, Long> skipped,
      boolean skippedAll) {

    boolean isEmpty() {
      return events.isEmpty() && skipped.isEmpty() && !skippedAll;
    }

    int size() {
      return events.size() + skipped.size();
    }
  }

  private final String schema;
  private final int maxEntries;
  private final long maxChars;

  private PgOutput.Begin begin;
  private List<StatusEvent> events;
  private long chars;
  private Map<UUID, Long> skipped;
  private boolean skippedAll;

  /**
   * @param schema the schema of this deployment's event log; inserts into another schema's log
   *     (another deployment in the same database) are not ours
   */
  TransactionAssembler(String schema, int maxEntries, long maxChars) {
    this.schema = schema;
    this.maxEntries = maxEntries;
    this.maxChars = maxChars;
  }

  /** Whether a transaction is open (its Begin came, its Commit not yet). */
  boolean inTransaction() {
    return begin != null;
  }

  /** The transaction that {@code message} committed, or null. */
  Transaction accept(PgOutput.Message message) {
    if (message instanceof PgOutput.Begin b) {
      if (begin != null) {
        throw new IllegalStateException(
            "Begin of transaction " + b.xid() + " inside transaction " + begin.xid());
      }
      begin = b;
      events = new ArrayList<>();
      chars = 0;
      skipped = null;
      skippedAll = false;
      return null;
    }
    if (message instanceof PgOutput.Commit c) {
      inTransaction(c);
      if (c.commitLsn() != begin.finalLsn()) {
        throw new IllegalStateException(
            "Commit at "
                + LogSequenceNumber.valueOf(c.commitLsn()).asString()
                + " ends the transaction that began for "
                + LogSequenceNumber.valueOf(begin.finalLsn()).asString());
      }
      var done =
          new Transaction(
              begin.xid(),
              LogSequenceNumber.valueOf(c.commitLsn()),
              LogSequenceNumber.valueOf(c.endLsn()),
              c.committedAt(),
              events == null ? List.of() : List.copyOf(events),
              skipped == null ? Map.of() : Map.copyOf(skipped),
              skippedAll);
      begin = null;
      events = null;
      skipped = null;
      return done;
    }
    if (message instanceof PgOutput.Insert insert) {
      inTransaction(insert);
      var relation = insert.relation();
      if (relation.name().equals(EVENTS_TABLE) && relation.namespace().equals(schema)) {
        add(event(insert.row()));
      }
    } else if (message instanceof PgOutput.Update
        || message instanceof PgOutput.Delete
        || message instanceof PgOutput.Truncate) {
      inTransaction(message);
    }
    // Relation (remembered by the decoder), Type, Origin, logical messages: nothing to report.
    return null;
  }

  private void add(StatusEvent event) {
    if (events != null) {
      events.add(event);
      chars += event.json().length();
      if (events.size() <= maxEntries && chars <= maxChars) {
        return;
      }
      skipped = new HashMap<>();
      events.forEach(this::skip);
      events = null;
      return;
    }
    skip(event);
  }

  private void skip(StatusEvent event) {
    if (skippedAll) {
      return;
    }
    skipped.merge(event.projectId(), event.id(), Math::max);
    if (skipped.size() > MAX_PROJECTS) {
      skipped.clear();
      skippedAll = true;
    }
  }

  private void inTransaction(PgOutput.Message message) {
    if (begin == null) {
      throw new IllegalStateException(
          message.getClass().getSimpleName() + " outside of a transaction");
    }
  }

  private static StatusEvent event(PgOutput.Row row) {
    try {
      return new StatusEvent(
          uuid(row.required("project_id")),
          Long.parseLong(row.required("id")),
          Long.parseLong(row.required("prev_id")),
          row.required("payload"),
          PgOutput.timestamptz(row.required("created_at")));
    } catch (NumberFormatException e) {
      throw new IllegalStateException("not a bigint in " + row, e);
    }
  }

  private static UUID uuid(String text) {
    try {
      return UUID.fromString(text);
    } catch (IllegalArgumentException e) {
      throw new IllegalStateException("not a uuid: " + text, e);
    }
  }
}
