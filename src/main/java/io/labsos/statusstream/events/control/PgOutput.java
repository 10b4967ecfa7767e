package io.labsos.statusstream.events.control;

import java.nio.BufferUnderflowException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.time.LocalDate;
import java.time.LocalTime;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Decodes the messages of PostgreSQL's built-in logical decoding plugin {@code pgoutput}, protocol
 * version 1, as {@link LogicalFeed} receives them: one message per XLogData payload of the
 * replication stream (pgjdbc strips the XLogData header).
 *
 * <p>Why a decoder of our own: pgjdbc hands out the raw bytes, and the feed needs only a few
 * columns of two tables. Every message of version 1 is parsed completely (also those the feed
 * ignores), a message with bytes left over or missing is refused, and a kind that version 1 never
 * sends (streamed or two-phase transactions) is refused too: a decoder that guessed would deliver
 * wrong events without anyone noticing.
 *
 * <p>Tuple values are mapped to columns by name, through the most recent Relation message for that
 * relation id: the server sends one before the first change of a relation on this connection and
 * again whenever the relation's definition changed, so the column order may differ between two
 * Relation messages of the same table. Values come in the text format (the feed never asks for
 * {@code binary}), in the connection's client encoding, which pgjdbc always sets to UTF-8.
 *
 * <p>Threading: not thread-safe. It remembers the Relation messages of one replication stream, so
 * one instance belongs to one stream and is called by the one thread that reads that stream.
 */
final class PgOutput {

  /** Microseconds from 1970-01-01 to PostgreSQL's epoch 2000-01-01 (both UTC). */
  private static final long PG_EPOCH_MICROS = 946_684_800_000_000L;

  private final Map<Integer, Relation> relations = new HashMap<>();

  /** One decoded message. */
  sealed interface Message
      permits Begin,
          Commit,
          Origin,
          Relation,
          Type,
          Insert,
          Update,
          Delete,
          Truncate,
          LogicalMessage {}

  /**
   * Start of a transaction.
   *
   * @param finalLsn the LSN of its commit record
   * @param xid its transaction id, unsigned
   */
  record Begin(long finalLsn, Instant committedAt, long xid) implements Message {}

  /**
   * End of a transaction.
   *
   * @param commitLsn the LSN of its commit record (the Begin's final LSN)
   * @param endLsn the LSN just after the commit record: what a consumer acknowledges
   */
  record Commit(int flags, long commitLsn, long endLsn, Instant committedAt) implements Message {}

  /** The origin a replicated transaction came from (only sent when it has one). */
  record Origin(long originCommitLsn, String name) implements Message {}

  /** A data type that is not built in, sent before a Relation message that uses it. */
  record Type(int oid, String namespace, String name) implements Message {}

  /**
   * A logical decoding message ({@code pg_logical_emit_message}); only sent when the stream was
   * started with the option {@code messages}, which the feed does not set.
   */
  record LogicalMessage(boolean transactional, long lsn, String prefix, byte[] content)
      implements Message {}

  /** One column of a Relation message. */
  record Column(String name, boolean key, int typeOid, int typeModifier) {}

  /** The definition of a table as the server sends it; changes refer to it by its id. */
  static final class Relation implements Message {
    private final int oid;
    private final String namespace;
    private final String name;
    private final char replicaIdentity;
    private final List<Column> columns;
    private final Map<String, Integer> positions;

    Relation(int oid, String namespace, String name, char replicaIdentity, List<Column> columns) {
      this.oid = oid;
      this.namespace = namespace;
      this.name = name;
      this.replicaIdentity = replicaIdentity;
      this.columns = List.copyOf(columns);
      var byName = new HashMap<String, Integer>();
      for (int i = 0; i < columns.size(); i++) {
        if (byName.put(columns.get(i).name(), i) != null) {
          throw new IllegalStateException(
              "Relation " + qualifiedName() + " names column " + columns.get(i).name() + " twice");
        }
      }
      this.positions = Collections.unmodifiableMap(byName);
    }

    int oid() {
      return oid;
    }

    /** The schema; empty for {@code pg_catalog}. */
    String namespace() {
      return namespace;
    }

    String name() {
      return name;
    }

    /** {@code d} default (primary key), {@code n} nothing, {@code f} full, {@code i} index. */
    char replicaIdentity() {
      return replicaIdentity;
    }

    List<Column> columns() {
      return columns;
    }

    String qualifiedName() {
      return namespace.isEmpty() ? name : namespace + "." + name;
    }

    /** The position of a column in this relation's tuples, or -1. */
    int position(String column) {
      return positions.getOrDefault(column, -1);
    }

    @Override
    public String toString() {
      return "Relation[" + oid + " " + qualifiedName() + " " + columns + "]";
    }
  }

  /** A new row. */
  record Insert(Relation relation, Row row) implements Message {}

  /**
   * A changed row.
   *
   * @param old the old key (when the key changed and the identity is an index) or the whole old row
   *     (identity full); null otherwise
   * @param oldIsKey whether {@code old} holds only the key columns (the others are null)
   */
  record Update(Relation relation, Row old, boolean oldIsKey, Row row) implements Message {}

  /**
   * A deleted row.
   *
   * @param old the deleted row's key (other columns null) or, with identity full, the whole row
   * @param oldIsKey whether {@code old} holds only the key columns
   */
  record Delete(Relation relation, Row old, boolean oldIsKey) implements Message {}

  /**
   * Truncated tables.
   *
   * @param relationIds the ids of the truncated relations (Relation messages for them were sent)
   */
  record Truncate(List<Integer> relationIds, boolean cascade, boolean restartIdentity)
      implements Message {}

  /** The values of one tuple, addressed by column name. */
  static final class Row {
    /** Marks a TOASTed value that an update left unchanged and the server did not send. */
    static final Object UNCHANGED_TOAST = new Object();

    private final Relation relation;
    private final Object[] values; // String (text), byte[] (binary), null, or UNCHANGED_TOAST

    Row(Relation relation, Object[] values) {
      this.relation = relation;
      this.values = values;
    }

    /** The column's value in text format, or null when it is SQL NULL. */
    String text(String column) {
      Object value = values[position(column)];
      if (value == UNCHANGED_TOAST) {
        throw new IllegalStateException(
            "column " + column + " of " + relation.qualifiedName() + " was not sent (unchanged)");
      }
      if (value instanceof byte[]) {
        throw new IllegalStateException(
            "column " + column + " of " + relation.qualifiedName() + " came in binary format");
      }
      return (String) value;
    }

    /** The column's value in text format; refuses SQL NULL. */
    String required(String column) {
      String value = text(column);
      if (value == null) {
        throw new IllegalStateException(
            "column " + column + " of " + relation.qualifiedName() + " is null");
      }
      return value;
    }

    boolean isNull(String column) {
      return values[position(column)] == null;
    }

    /** An unchanged TOASTed value of an update: the server did not send it. */
    boolean isUnchangedToast(String column) {
      return values[position(column)] == UNCHANGED_TOAST;
    }

    private int position(String column) {
      int position = relation.position(column);
      if (position < 0) {
        throw new IllegalStateException(
            relation.qualifiedName() + " as published has no column " + column);
      }
      return position;
    }

    @Override
    public String toString() {
      var text = new StringBuilder("{");
      for (int i = 0; i < values.length; i++) {
        if (i > 0) {
          text.append(", ");
        }
        Object value = values[i];
        text.append(relation.columns().get(i).name()).append('=');
        text.append(
            value == UNCHANGED_TOAST
                ? "(unchanged)"
                : value instanceof byte[] ? "(binary)" : String.valueOf(value));
      }
      return text.append('}').toString();
    }
  }

  /**
   * Decodes one message. Reads the buffer from its position to its limit, and refuses it unless
   * that is exactly one message.
   *
   * @throws IllegalStateException when the bytes are not a valid protocol 1 message, or refer to a
   *     relation no Relation message described
   */
  Message decode(ByteBuffer buffer) {
    if (!buffer.hasRemaining()) {
      throw new IllegalStateException("empty pgoutput message");
    }
    char kind = (char) buffer.get();
    Message message;
    try {
      message = decode(kind, buffer);
    } catch (BufferUnderflowException e) {
      throw new IllegalStateException("pgoutput message '" + kind + "' is truncated", e);
    }
    if (buffer.hasRemaining()) {
      throw new IllegalStateException(
          "pgoutput message '" + kind + "' has " + buffer.remaining() + " unexpected bytes");
    }
    return message;
  }

  private Message decode(char kind, ByteBuffer in) {
    switch (kind) {
      case 'B':
        return new Begin(
            in.getLong(), timestamp(in.getLong()), Integer.toUnsignedLong(in.getInt()));
      case 'C':
        return new Commit(in.get(), in.getLong(), in.getLong(), timestamp(in.getLong()));
      case 'O':
        return new Origin(in.getLong(), string(in));
      case 'R':
        return relation(in);
      case 'Y':
        return new Type(in.getInt(), string(in), string(in));
      case 'I':
        {
          var relation = known(in.getInt(), kind);
          expect(in, 'N', kind);
          return new Insert(relation, tuple(in, relation));
        }
      case 'U':
        return update(in);
      case 'D':
        {
          var relation = known(in.getInt(), kind);
          byte part = in.get();
          if (part != 'K' && part != 'O') {
            throw new IllegalStateException(
                "Delete of " + relation.qualifiedName() + " without 'K' or 'O' tuple");
          }
          return new Delete(relation, tuple(in, relation), part == 'K');
        }
      case 'T':
        return truncate(in);
      case 'M':
        {
          boolean transactional = in.get() != 0;
          long lsn = in.getLong();
          String prefix = string(in);
          var content = new byte[length(in)];
          in.get(content);
          return new LogicalMessage(transactional, lsn, prefix, content);
        }
      case 'S', 'E', 'c', 'A', 'b', 'P', 'K', 'r', 'p':
        throw new IllegalStateException(
            "pgoutput message '"
                + kind
                + "' (streamed or two-phase transaction) is not part of protocol version 1");
      default:
        throw new IllegalStateException("unknown pgoutput message '" + kind + "'");
    }
  }

  private Relation relation(ByteBuffer in) {
    int oid = in.getInt();
    String namespace = string(in);
    String name = string(in);
    char identity = (char) in.get();
    int count = in.getShort() & 0xFFFF;
    var columns = new ArrayList<Column>(count);
    for (int i = 0; i < count; i++) {
      int flags = in.get();
      columns.add(new Column(string(in), (flags & 1) != 0, in.getInt(), in.getInt()));
    }
    var relation = new Relation(oid, namespace, name, identity, columns);
    relations.put(oid, relation);
    return relation;
  }

  private Update update(ByteBuffer in) {
    var relation = known(in.getInt(), 'U');
    byte part = in.get();
    Row old = null;
    boolean oldIsKey = false;
    if (part == 'K' || part == 'O') {
      oldIsKey = part == 'K';
      old = tuple(in, relation);
      part = in.get();
    }
    if (part != 'N') {
      throw new IllegalStateException(
          "Update of " + relation.qualifiedName() + " without a new tuple ('N')");
    }
    return new Update(relation, old, oldIsKey, tuple(in, relation));
  }

  private Truncate truncate(ByteBuffer in) {
    int count = in.getInt();
    if (count < 0) {
      throw new IllegalStateException("Truncate of " + count + " relations");
    }
    int options = in.get();
    var ids = new ArrayList<Integer>(Math.min(count, 1024));
    for (int i = 0; i < count; i++) {
      ids.add(in.getInt());
    }
    return new Truncate(List.copyOf(ids), (options & 1) != 0, (options & 2) != 0);
  }

  private Row tuple(ByteBuffer in, Relation relation) {
    int count = in.getShort() & 0xFFFF;
    if (count != relation.columns().size()) {
      throw new IllegalStateException(
          "tuple of "
              + relation.qualifiedName()
              + " has "
              + count
              + " columns, its Relation message "
              + relation.columns().size());
    }
    var values = new Object[count];
    for (int i = 0; i < count; i++) {
      char kind = (char) in.get();
      switch (kind) {
        case 'n':
          values[i] = null;
          break;
        case 'u':
          values[i] = Row.UNCHANGED_TOAST;
          break;
        case 't':
          {
            int length = length(in);
            values[i] = utf8(in, length);
            break;
          }
        case 'b':
          {
            var bytes = new byte[length(in)];
            in.get(bytes);
            values[i] = bytes;
            break;
          }
        default:
          throw new IllegalStateException(
              "column "
                  + relation.columns().get(i).name()
                  + " of "
                  + relation.qualifiedName()
                  + " has unknown kind '"
                  + kind
                  + "'");
      }
    }
    return new Row(relation, values);
  }

  private Relation known(int oid, char kind) {
    var relation = relations.get(oid);
    if (relation == null) {
      throw new IllegalStateException(
          "pgoutput message '" + kind + "' for relation " + oid + " before its Relation message");
    }
    return relation;
  }

  private static void expect(ByteBuffer in, char part, char kind) {
    byte actual = in.get();
    if (actual != part) {
      throw new IllegalStateException(
          "pgoutput message '" + kind + "' has '" + (char) actual + "' where '" + part + "' goes");
    }
  }

  private static int length(ByteBuffer in) {
    int length = in.getInt();
    if (length < 0 || length > in.remaining()) {
      throw new IllegalStateException(
          "length " + length + " exceeds the " + in.remaining() + " bytes left of the message");
    }
    return length;
  }

  /** A NUL-terminated string. */
  private static String string(ByteBuffer in) {
    int start = in.position();
    int end = start;
    while (end < in.limit() && in.get(end) != 0) {
      end++;
    }
    if (end == in.limit()) {
      throw new IllegalStateException("string without its terminating NUL");
    }
    String text = utf8(in, end - start);
    in.get(); // the NUL
    return text;
  }

  private static String utf8(ByteBuffer in, int length) {
    String text;
    if (in.hasArray()) {
      text =
          new String(in.array(), in.arrayOffset() + in.position(), length, StandardCharsets.UTF_8);
      in.position(in.position() + length);
    } else {
      var bytes = new byte[length];
      in.get(bytes);
      text = new String(bytes, StandardCharsets.UTF_8);
    }
    return text;
  }

  /** A server timestamp: microseconds since 2000-01-01 UTC. */
  static Instant timestamp(long pgMicros) {
    long micros = pgMicros + PG_EPOCH_MICROS;
    return Instant.ofEpochSecond(
        Math.floorDiv(micros, 1_000_000L), Math.floorMod(micros, 1_000_000L) * 1_000L);
  }

  /**
   * Parses a {@code timestamptz} in the text format of DateStyle ISO (which pgjdbc sets and insists
   * on): {@code 2026-01-02 03:04:05.123456+01}, offsets down to seconds ({@code +00:53:28}), years
   * beyond 9999, {@code BC}, {@code infinity} ({@link Instant#MAX}) and {@code -infinity} ({@link
   * Instant#MIN}). The offset is whatever the session's TimeZone made it; the instant is the same.
   */
  static Instant timestamptz(String text) {
    if (text.equals("infinity")) {
      return Instant.MAX;
    }
    if (text.equals("-infinity")) {
      return Instant.MIN;
    }
    try {
      String value = text;
      boolean bc = value.endsWith(" BC");
      if (bc) {
        value = value.substring(0, value.length() - 3);
      }
      int space = value.indexOf(' ');
      int firstDash = value.indexOf('-');
      int secondDash = value.indexOf('-', firstDash + 1);
      if (space < 0 || firstDash <= 0 || secondDash < 0 || secondDash > space) {
        throw new IllegalArgumentException("not an ISO timestamp");
      }
      int year = Integer.parseInt(value.substring(0, firstDash));
      int month = Integer.parseInt(value.substring(firstDash + 1, secondDash));
      int day = Integer.parseInt(value.substring(secondDash + 1, space));
      String rest = value.substring(space + 1);
      int sign = Math.max(rest.lastIndexOf('+'), rest.lastIndexOf('-'));
      if (sign < 0) {
        throw new IllegalArgumentException("no offset");
      }
      var time = time(rest.substring(0, sign));
      var offset = offset(rest.substring(sign));
      var date = LocalDate.of(bc ? 1 - year : year, month, day);
      return OffsetDateTime.of(date, time, offset).toInstant();
    } catch (RuntimeException e) {
      throw new IllegalStateException("not a timestamptz in DateStyle ISO: " + text, e);
    }
  }

  private static LocalTime time(String text) {
    String[] parts = text.split(":", -1);
    if (parts.length != 3) {
      throw new IllegalArgumentException("not HH:MM:SS");
    }
    String seconds = parts[2];
    int nanos = 0;
    int dot = seconds.indexOf('.');
    if (dot >= 0) {
      String fraction = seconds.substring(dot + 1);
      if (fraction.isEmpty() || fraction.length() > 9) {
        throw new IllegalArgumentException("bad fraction");
      }
      nanos = Integer.parseInt((fraction + "000000000").substring(0, 9));
      seconds = seconds.substring(0, dot);
    }
    return LocalTime.of(
        Integer.parseInt(parts[0]), Integer.parseInt(parts[1]), Integer.parseInt(seconds), nanos);
  }

  private static ZoneOffset offset(String text) {
    int sign = text.charAt(0) == '-' ? -1 : 1;
    String[] parts = text.substring(1).split(":", -1);
    int hours = Integer.parseInt(parts[0]);
    int minutes = parts.length > 1 ? Integer.parseInt(parts[1]) : 0;
    int seconds = parts.length > 2 ? Integer.parseInt(parts[2]) : 0;
    if (parts.length > 3) {
      throw new IllegalArgumentException("bad offset");
    }
    return ZoneOffset.ofHoursMinutesSeconds(sign * hours, sign * minutes, sign * seconds);
  }
}
