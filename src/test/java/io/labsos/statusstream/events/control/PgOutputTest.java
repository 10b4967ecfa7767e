package io.labsos.statusstream.events.control;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.labsos.statusstream.events.entity.StatusEvent;
import java.io.ByteArrayOutputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.UUID;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.postgresql.replication.LogSequenceNumber;

/**
 * The pgoutput decoder and the feed's transaction assembly, on message bytes built by hand after
 * the protocol description (PostgreSQL's "Logical Replication Message Formats", version 1).
 */
class PgOutputTest {

  static final int EVENTS_OID = 16_401;
  static final int HEADS_OID = 16_390;
  static final int OTHER_EVENTS_OID = 16_391;
  static final int OTHER_OID = 16_500;
  static final int UUID_TYPE = 2950;
  static final int INT8_TYPE = 20;
  static final int JSON_TYPE = 114;
  static final int TIMESTAMPTZ_TYPE = 1184;
  static final int TEXT_TYPE = 25;

  static final UUID P1 = UUID.fromString("6f1c2b9e-8a0d-4c4e-9a51-3c9f0e4d2b7a");
  static final UUID P2 = UUID.fromString("0b6a8c55-1e0f-4d5b-8f1e-2c8b2a1d9e43");

  /** 2026-01-02T03:04:05.123456Z in microseconds since 2000-01-01. */
  static final long COMMIT_MICROS = (1_767_323_045_123_456L - 946_684_800_000_000L);

  static final Object UNCHANGED = new Object();

  final PgOutput decoder = new PgOutput();
  final TransactionAssembler assembler = new TransactionAssembler("public", 100, 100_000);

  @Test
  void beginAndCommit() {
    var begin = (PgOutput.Begin) decode(begin(0x1_0000_2000L, 0xFFFF_FFF0));
    assertThat(begin.finalLsn()).isEqualTo(0x1_0000_2000L);
    assertThat(begin.committedAt()).isEqualTo(Instant.parse("2026-01-02T03:04:05.123456Z"));
    assertThat(begin.xid()).isEqualTo(0xFFFF_FFF0L); // unsigned

    var commit = (PgOutput.Commit) decode(commit(0x1_0000_2000L, 0x1_0000_2030L));
    assertThat(commit.flags()).isZero();
    assertThat(commit.commitLsn()).isEqualTo(0x1_0000_2000L);
    assertThat(commit.endLsn()).isEqualTo(0x1_0000_2030L);
    assertThat(commit.committedAt()).isEqualTo(Instant.parse("2026-01-02T03:04:05.123456Z"));
  }

  @Test
  void relationDescribesColumnsInTheirOrder() {
    var relation = (PgOutput.Relation) decode(eventsRelation(EVENTS_COLUMNS));
    assertThat(relation.oid()).isEqualTo(EVENTS_OID);
    assertThat(relation.namespace()).isEqualTo("public");
    assertThat(relation.name()).isEqualTo("status_events");
    assertThat(relation.replicaIdentity()).isEqualTo('d');
    assertThat(relation.columns())
        .containsExactly(
            new PgOutput.Column("project_id", true, UUID_TYPE, -1),
            new PgOutput.Column("id", true, INT8_TYPE, -1),
            new PgOutput.Column("prev_id", false, INT8_TYPE, -1),
            new PgOutput.Column("payload", false, JSON_TYPE, -1),
            new PgOutput.Column("created_at", false, TIMESTAMPTZ_TYPE, -1));
    assertThat(relation.position("payload")).isEqualTo(3);
    assertThat(relation.position("nope")).isEqualTo(-1);
  }

  @Test
  void insertMapsValuesByName() {
    decode(eventsRelation(EVENTS_COLUMNS));
    var insert =
        (PgOutput.Insert)
            decode(insert(EVENTS_OID, P1, "7", "6", "{\"a\":1}", "2026-01-02 03:04:05.5+00"));
    assertThat(insert.relation().name()).isEqualTo("status_events");
    assertThat(insert.row().text("id")).isEqualTo("7");
    assertThat(insert.row().text("prev_id")).isEqualTo("6");
    assertThat(insert.row().text("payload")).isEqualTo("{\"a\":1}");
    assertThat(insert.row().text("project_id")).isEqualTo(P1.toString());
    assertThatThrownBy(() -> insert.row().text("nope"))
        .hasMessageContaining("public.status_events as published has no column nope");
  }

  @Test
  void multiInsertTransactionIsDeliveredWholeAtItsCommit() {
    assertThat(feed(begin(0x3000, 77))).isNull();
    assertThat(feed(eventsRelation(EVENTS_COLUMNS))).isNull();
    assertThat(feed(insert(EVENTS_OID, P1, "1", "0", "{\"n\":1}", "2026-01-02 03:04:05+00")))
        .isNull();
    assertThat(feed(insert(EVENTS_OID, P1, "2", "1", "{\"n\":2}", "2026-01-02 03:04:06+00")))
        .isNull();
    assertThat(feed(insert(EVENTS_OID, P2, "1", "0", "{\"n\":3}", "2026-01-02 03:04:07+00")))
        .isNull();

    var done = feed(commit(0x3000, 0x3028));

    assertThat(done.xid()).isEqualTo(77);
    assertThat(done.commitLsn()).isEqualTo(LogSequenceNumber.valueOf(0x3000));
    assertThat(done.endLsn()).isEqualTo(LogSequenceNumber.valueOf(0x3028));
    assertThat(done.committedAt()).isEqualTo(Instant.parse("2026-01-02T03:04:05.123456Z"));
    assertThat(done.skipped()).isEmpty();
    assertThat(done.events())
        .containsExactly(
            new StatusEvent(P1, 1, 0, "{\"n\":1}", Instant.parse("2026-01-02T03:04:05Z")),
            new StatusEvent(P1, 2, 1, "{\"n\":2}", Instant.parse("2026-01-02T03:04:06Z")),
            new StatusEvent(P2, 1, 0, "{\"n\":3}", Instant.parse("2026-01-02T03:04:07Z")));
  }

  @Test
  void relationResentWithAnotherColumnOrderIsFollowed() {
    feed(begin(0x4000, 1));
    feed(eventsRelation(EVENTS_COLUMNS));
    feed(insert(EVENTS_OID, P1, "1", "0", "{}", "2026-01-02 03:04:05+00"));
    var first = feed(commit(0x4000, 0x4010));

    // The table was rebuilt (say: columns dropped and added again): same relation id, new order,
    // and a column this feed does not know about.
    String[][] reordered = {
      {"payload", "0"},
      {"created_at", "0"},
      {"note", "0"},
      {"id", "1"},
      {"project_id", "1"},
      {"prev_id", "0"}
    };
    feed(begin(0x5000, 2));
    feed(eventsRelation(reordered));
    feed(
        insertRaw(
            EVENTS_OID, "{\"x\":2}", "2026-01-02 03:04:09+00", null, "2", P1.toString(), "1"));
    var second = feed(commit(0x5000, 0x5010));

    assertThat(first.events()).extracting(StatusEvent::id).containsExactly(1L);
    assertThat(second.events())
        .containsExactly(
            new StatusEvent(P1, 2, 1, "{\"x\":2}", Instant.parse("2026-01-02T03:04:09Z")));
  }

  @Test
  void nullsAreNullsAndRequiredColumnsRefuseThem() {
    decode(eventsRelation(EVENTS_COLUMNS));
    var insert =
        (PgOutput.Insert)
            decode(insertRaw(EVENTS_OID, P1.toString(), "1", "0", null, "2026-01-02 03:04:05+00"));
    assertThat(insert.row().isNull("payload")).isTrue();
    assertThat(insert.row().text("payload")).isNull();
    assertThatThrownBy(() -> insert.row().required("payload"))
        .hasMessage("column payload of public.status_events is null");

    feed(begin(0x6000, 3));
    assertThatThrownBy(
            () ->
                feed(
                    insertRaw(EVENTS_OID, P1.toString(), "1", "0", null, "2026-01-02 03:04:05+00")))
        .isInstanceOf(IllegalStateException.class)
        .hasMessageContaining("payload");
  }

  @Test
  void multiByteUtf8SurvivesAlsoInASlicedBuffer() {
    String payload = "{\"msg\":\"Grüße, 日本語, emoji 🚀, ĳ\"}";
    assertThat(payload.getBytes(StandardCharsets.UTF_8).length).isGreaterThan(payload.length());
    decode(eventsRelation(EVENTS_COLUMNS));
    // pgjdbc hands out a slice of the whole CopyData message: the array has an offset.
    var whole = insert(EVENTS_OID, P1, "1", "0", payload, "2026-01-02 03:04:05+00");
    var framed = ByteBuffer.allocate(whole.remaining() + 25);
    framed.put(new byte[25]).put(whole).flip().position(25);
    var insert = (PgOutput.Insert) decoder.decode(framed.slice());
    assertThat(insert.row().text("payload")).isEqualTo(payload);
  }

  @Test
  void changesOfOtherTablesAndOtherKindsAreParsedAndIgnored() {
    feed(begin(0x8000, 5));
    feed(type(90_001, "public", "mood"));
    feed(origin(0x7777, "upstream"));
    feed(
        relation(
            OTHER_OID,
            "public",
            "jobs",
            'f',
            new String[][] {{"id", "1"}, {"progress", "0"}, {"blob", "0"}}));
    feed(insertRaw(OTHER_OID, "1", "0.5", "x"));
    feed(
        update(
            OTHER_OID, 'O', new Object[] {"1", "0.5", "x"}, new Object[] {"1", "0.7", UNCHANGED}));
    feed(deleteKey(OTHER_OID, "1", null, null));
    feed(truncate(2, 3, OTHER_OID, EVENTS_OID));
    feed(eventsRelation(EVENTS_COLUMNS));
    feed(
        update(
            EVENTS_OID,
            'N',
            null,
            new Object[] {P1.toString(), "1", "0", "{}", "2026-01-02 03:04:05+00"}));
    feed(headsRelation());
    feed(insertRaw(HEADS_OID, P1.toString(), "1"));
    feed(deleteKey(HEADS_OID, P2.toString(), null));
    feed(relation(OTHER_EVENTS_OID, "tenant_b", "status_events", 'd', EVENTS_COLUMNS));
    feed(insert(OTHER_EVENTS_OID, P1, "1", "0", "{}", "2026-01-02 03:04:05+00"));
    var done = feed(commit(0x8000, 0x8040));
    assertThat(done.isEmpty()).as("nothing of this deployment's log").isTrue();
  }

  @Test
  void updateWithUnchangedToast() {
    decode(relation(OTHER_OID, "", "jobs", 'd', new String[][] {{"id", "1"}, {"blob", "0"}}));
    var update =
        (PgOutput.Update)
            decode(update(OTHER_OID, 'K', new Object[] {"1", null}, new Object[] {"1", UNCHANGED}));
    assertThat(update.relation().qualifiedName()).isEqualTo("jobs");
    assertThat(update.oldIsKey()).isTrue();
    assertThat(update.old().text("id")).isEqualTo("1");
    assertThat(update.old().isNull("blob")).isTrue();
    assertThat(update.row().isUnchangedToast("blob")).isTrue();
    assertThat(update.row().isNull("blob")).isFalse();
    assertThatThrownBy(() -> update.row().text("blob"))
        .hasMessageContaining("not sent (unchanged)");

    var plain = (PgOutput.Update) decode(update(OTHER_OID, 'N', null, new Object[] {"2", "new"}));
    assertThat(plain.old()).isNull();
    assertThat(plain.row().text("blob")).isEqualTo("new");
  }

  @Test
  void truncateTypeOriginAndLogicalMessage() {
    var truncate = (PgOutput.Truncate) decode(truncate(2, 3, OTHER_OID, EVENTS_OID));
    assertThat(truncate.relationIds()).containsExactly(OTHER_OID, EVENTS_OID);
    assertThat(truncate.cascade()).isTrue();
    assertThat(truncate.restartIdentity()).isTrue();

    var type = (PgOutput.Type) decode(type(90_001, "public", "mood"));
    assertThat(type).isEqualTo(new PgOutput.Type(90_001, "public", "mood"));

    var origin = (PgOutput.Origin) decode(origin(0x7777, "upstream"));
    assertThat(origin).isEqualTo(new PgOutput.Origin(0x7777, "upstream"));

    var message =
        (PgOutput.LogicalMessage)
            decode(
                new Msg('M')
                    .i8(1)
                    .i64(0x9999)
                    .str("status")
                    .i32(3)
                    .raw(new byte[] {1, 2, 3})
                    .buffer());
    assertThat(message.transactional()).isTrue();
    assertThat(message.prefix()).isEqualTo("status");
    assertThat(message.content()).containsExactly(1, 2, 3);
  }

  @Test
  void refusesWhatItCannotParseExactly() {
    decode(eventsRelation(EVENTS_COLUMNS));
    var good = insert(EVENTS_OID, P1, "1", "0", "{}", "2026-01-02 03:04:05+00");

    var longer = ByteBuffer.allocate(good.remaining() + 1).put(good.duplicate()).put((byte) 0);
    assertThatThrownBy(() -> decoder.decode(longer.flip()))
        .hasMessage("pgoutput message 'I' has 1 unexpected bytes");

    var shorter = good.duplicate().limit(good.limit() - 3);
    assertThatThrownBy(() -> decoder.decode(shorter)).hasMessageContaining("length");

    var cut = good.duplicate().limit(10);
    assertThatThrownBy(() -> decoder.decode(cut)).hasMessageContaining("truncated");

    assertThatThrownBy(() -> decode(new Msg('Z').buffer()))
        .hasMessage("unknown pgoutput message 'Z'");
    assertThatThrownBy(() -> decode(new Msg('S').i32(1).i8(1).buffer()))
        .hasMessageContaining("not part of protocol version 1");
    assertThatThrownBy(() -> decode(ByteBuffer.allocate(0))).hasMessage("empty pgoutput message");
    assertThatThrownBy(() -> decode(insertRaw(OTHER_OID, "1")))
        .hasMessage("pgoutput message 'I' for relation 16500 before its Relation message");
    assertThatThrownBy(() -> decode(insertRaw(EVENTS_OID, "1", "2")))
        .hasMessage("tuple of public.status_events has 2 columns, its Relation message 5");
    assertThatThrownBy(() -> decode(new Msg('I').i32(EVENTS_OID).i8('N').i16(5).i8('x').buffer()))
        .hasMessageContaining("unknown kind 'x'");
    assertThatThrownBy(() -> decode(new Msg('I').i32(EVENTS_OID).i8('K').i16(0).buffer()))
        .hasMessageContaining("has 'K' where 'N' goes");
    assertThatThrownBy(() -> decode(new Msg('O').i64(1).raw(new byte[] {'a', 'b'}).buffer()))
        .hasMessageContaining("terminating NUL");
  }

  @Test
  void assemblerRefusesMessagesOutOfOrder() {
    decode(eventsRelation(EVENTS_COLUMNS));
    assertThatThrownBy(() -> feed(insert(EVENTS_OID, P1, "1", "0", "{}", "2026-01-02 03:04:05+00")))
        .hasMessage("Insert outside of a transaction");
    assertThatThrownBy(() -> feed(commit(0x10, 0x20)))
        .hasMessage("Commit outside of a transaction");

    feed(begin(0x100, 9));
    assertThatThrownBy(() -> feed(begin(0x200, 10)))
        .hasMessage("Begin of transaction 10 inside transaction 9");
    assertThatThrownBy(() -> feed(commit(0x200, 0x210)))
        .hasMessage("Commit at 0/200 ends the transaction that began for 0/100");
  }

  @ParameterizedTest
  @CsvSource(
      delimiter = '|',
      value = {
        "2026-01-02 03:04:05+00 | 2026-01-02T03:04:05Z",
        "2026-01-02 03:04:05.1+00 | 2026-01-02T03:04:05.100Z",
        "2026-01-02 03:04:05.123456+01 | 2026-01-02T02:04:05.123456Z",
        "2026-01-02 03:04:05.5-03:30 | 2026-01-02T06:34:05.500Z",
        "1890-01-01 00:00:00+00:53:28 | 1889-12-31T23:06:32Z",
        "12345-06-07 08:09:10+00 | +12345-06-07T08:09:10Z",
        "0044-03-15 12:00:00+00 BC | -0043-03-15T12:00:00Z",
        "infinity | +1000000000-12-31T23:59:59.999999999Z",
        "-infinity | -1000000000-01-01T00:00:00Z"
      })
  void timestamptzInIsoStyle(String text, String instant) {
    assertThat(PgOutput.timestamptz(text)).isEqualTo(Instant.parse(instant));
  }

  @ParameterizedTest
  @CsvSource(
      delimiter = '|',
      value = {"2026-01-02T03:04:05Z", "01/02/2026 03:04:05 UTC", "2026-01-02 03:04:05", "x"})
  void timestamptzInAnotherStyleIsRefused(String text) {
    assertThatThrownBy(() -> PgOutput.timestamptz(text))
        .isInstanceOf(IllegalStateException.class)
        .hasMessageStartingWith("not a timestamptz in DateStyle ISO");
  }

  // --- messages, built as the server would send them ---

  static final String[][] EVENTS_COLUMNS = {
    {"project_id", "1"}, {"id", "1"}, {"prev_id", "0"}, {"payload", "0"}, {"created_at", "0"}
  };

  PgOutput.Message decode(ByteBuffer buffer) {
    return decoder.decode(buffer);
  }

  TransactionAssembler.Transaction feed(ByteBuffer buffer) {
    return assembler.accept(decoder.decode(buffer));
  }

  static ByteBuffer begin(long finalLsn, int xid) {
    return new Msg('B').i64(finalLsn).i64(COMMIT_MICROS).i32(xid).buffer();
  }

  static ByteBuffer commit(long commitLsn, long endLsn) {
    return new Msg('C').i8(0).i64(commitLsn).i64(endLsn).i64(COMMIT_MICROS).buffer();
  }

  static ByteBuffer origin(long lsn, String name) {
    return new Msg('O').i64(lsn).str(name).buffer();
  }

  static ByteBuffer type(int oid, String namespace, String name) {
    return new Msg('Y').i32(oid).str(namespace).str(name).buffer();
  }

  static ByteBuffer eventsRelation(String[][] columns) {
    return relation(EVENTS_OID, "public", "status_events", 'd', columns);
  }

  static ByteBuffer headsRelation() {
    return relation(
        HEADS_OID,
        "public",
        "status_event_heads",
        'd',
        new String[][] {{"project_id", "1"}, {"last_id", "0"}});
  }

  /** Columns as {name, key flag}; the type follows from the name. */
  static ByteBuffer relation(
      int oid, String namespace, String name, char identity, String[][] columns) {
    var msg = new Msg('R').i32(oid).str(namespace).str(name).i8(identity).i16(columns.length);
    for (var column : columns) {
      int type =
          switch (column[0]) {
            case "project_id" -> UUID_TYPE;
            case "id", "prev_id", "last_id" -> INT8_TYPE;
            case "payload" -> JSON_TYPE;
            case "created_at" -> TIMESTAMPTZ_TYPE;
            default -> TEXT_TYPE;
          };
      msg.i8(Integer.parseInt(column[1])).str(column[0]).i32(type).i32(-1);
    }
    return msg.buffer();
  }

  static ByteBuffer insert(
      int oid, UUID project, String id, String prevId, String payload, String createdAt) {
    return insertRaw(oid, project.toString(), id, prevId, payload, createdAt);
  }

  static ByteBuffer insertRaw(int oid, Object... values) {
    return new Msg('I').i32(oid).i8('N').tuple(values).buffer();
  }

  static ByteBuffer update(int oid, char oldKind, Object[] old, Object[] values) {
    var msg = new Msg('U').i32(oid);
    if (old != null) {
      msg.i8(oldKind).tuple(old);
    }
    return msg.i8('N').tuple(values).buffer();
  }

  static ByteBuffer deleteKey(int oid, Object... key) {
    return new Msg('D').i32(oid).i8('K').tuple(key).buffer();
  }

  static ByteBuffer truncate(int count, int options, int... oids) {
    var msg = new Msg('T').i32(count).i8(options);
    for (int oid : oids) {
      msg.i32(oid);
    }
    return msg.buffer();
  }

  /** Big-endian message bytes, as the server writes them. */
  static final class Msg {
    private final ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    private final DataOutputStream out = new DataOutputStream(bytes);

    Msg(char kind) {
      i8(kind);
    }

    Msg i8(int value) {
      return write(() -> out.writeByte(value));
    }

    Msg i16(int value) {
      return write(() -> out.writeShort(value));
    }

    Msg i32(int value) {
      return write(() -> out.writeInt(value));
    }

    Msg i64(long value) {
      return write(() -> out.writeLong(value));
    }

    Msg raw(byte[] value) {
      return write(() -> out.write(value));
    }

    Msg str(String value) {
      return raw(value.getBytes(StandardCharsets.UTF_8)).i8(0);
    }

    /** TupleData: null is 'n', {@link #UNCHANGED} is 'u', anything else 't' and its text. */
    Msg tuple(Object... values) {
      i16(values.length);
      for (Object value : values) {
        if (value == null) {
          i8('n');
        } else if (value == UNCHANGED) {
          i8('u');
        } else {
          var text = value.toString().getBytes(StandardCharsets.UTF_8);
          i8('t').i32(text.length).raw(text);
        }
      }
      return this;
    }

    ByteBuffer buffer() {
      return ByteBuffer.wrap(bytes.toByteArray());
    }

    private Msg write(IoAction action) {
      try {
        action.run();
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      }
      return this;
    }

    interface IoAction {
      void run() throws IOException;
    }
  }
}
