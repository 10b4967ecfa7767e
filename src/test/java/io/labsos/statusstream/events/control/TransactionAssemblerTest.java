package io.labsos.statusstream.events.control;

import static io.labsos.statusstream.events.control.PgOutputTest.EVENTS_COLUMNS;
import static io.labsos.statusstream.events.control.PgOutputTest.EVENTS_OID;
import static io.labsos.statusstream.events.control.PgOutputTest.begin;
import static io.labsos.statusstream.events.control.PgOutputTest.commit;
import static io.labsos.statusstream.events.control.PgOutputTest.eventsRelation;
import static io.labsos.statusstream.events.control.PgOutputTest.insert;
import static org.assertj.core.api.Assertions.assertThat;

import java.nio.ByteBuffer;
import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.api.Test;

/** Whole transactions from decoded messages, in bounded memory whatever a writer commits. */
class TransactionAssemblerTest {

  final PgOutput decoder = new PgOutput();

  TransactionAssembler.Transaction feed(TransactionAssembler assembler, ByteBuffer message) {
    return assembler.accept(decoder.decode(message));
  }

  @Test
  void aTransactionPastTheBoundKeepsOnlyEachProjectsHighestId() {
    var assembler = new TransactionAssembler("public", 3, 1_000_000);
    var a = UUID.randomUUID();
    var b = UUID.randomUUID();
    feed(assembler, eventsRelation(EVENTS_COLUMNS));
    feed(assembler, begin(0x1000, 1));
    for (int i = 1; i <= 5; i++) {
      feed(
          assembler,
          insert(
              EVENTS_OID,
              i % 2 == 0 ? b : a,
              "" + i,
              "" + (i - 1),
              "{}",
              "2026-01-02 03:04:05+00"));
    }
    var done = feed(assembler, commit(0x1000, 0x1010));
    assertThat(done.events()).isEmpty();
    assertThat(done.skipped()).isEqualTo(Map.of(a, 5L, b, 4L));
    assertThat(done.skippedAll()).isFalse();

    // The next transaction is held whole again.
    feed(assembler, begin(0x2000, 2));
    feed(assembler, insert(EVENTS_OID, a, "6", "5", "{}", "2026-01-02 03:04:05+00"));
    var next = feed(assembler, commit(0x2000, 0x2010));
    assertThat(next.events()).hasSize(1);
    assertThat(next.skipped()).isEmpty();
  }

  @Test
  void payloadSizeIsBoundedToo() {
    var assembler = new TransactionAssembler("public", 1_000, 100);
    var a = UUID.randomUUID();
    feed(assembler, eventsRelation(EVENTS_COLUMNS));
    feed(assembler, begin(0x1000, 1));
    var big = "{\"x\":\"" + "y".repeat(200) + "\"}";
    feed(assembler, insert(EVENTS_OID, a, "1", "0", big, "2026-01-02 03:04:05+00"));
    var done = feed(assembler, commit(0x1000, 0x1010));
    assertThat(done.events()).isEmpty();
    assertThat(done.skipped()).isEqualTo(Map.of(a, 1L));
  }

  @Test
  void tooManyProjectsToNameSaysEverythingMayHaveMoved() {
    var assembler = new TransactionAssembler("public", 1, 1_000_000);
    feed(assembler, eventsRelation(EVENTS_COLUMNS));
    feed(assembler, begin(0x1000, 1));
    for (int i = 0; i <= TransactionAssembler.MAX_PROJECTS; i++) {
      feed(
          assembler,
          insert(EVENTS_OID, UUID.randomUUID(), "1", "0", "{}", "2026-01-02 03:04:05+00"));
    }
    var done = feed(assembler, commit(0x1000, 0x1010));
    assertThat(done.skippedAll()).isTrue();
    assertThat(done.skipped()).isEmpty();
    assertThat(done.isEmpty()).isFalse();
  }
}
