package io.labsos.statusstream.events.control;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.labsos.statusstream.events.entity.StatusEvent;
import io.labsos.statusstream.schema.control.Tls;
import java.lang.management.ManagementFactory;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.UUID;
import java.util.function.Consumer;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.postgresql.Driver;
import org.postgresql.PGProperty;

/**
 * {@link LogicalFeed} against a real PostgreSQL with {@code wal_level=logical}. Skipped unless
 * {@code LOGICAL_PG_URL} names one, e.g. {@code
 * jdbc:postgresql://127.0.0.1:55441/postgres?user=postgres}: a superuser (the test creates and
 * drops a database and a role of its own), on a server started with {@code -c wal_level=logical -c
 * max_wal_senders=20 -c max_replication_slots=20 -c wal_sender_timeout=5s}. The test that a server
 * without logical decoding is refused clearly also needs {@code NONLOGICAL_PG_URL}, a server with
 * {@code wal_level=replica}. {@code LOGICAL_FEED_MEASURE=1} adds the throughput measurement
 * (100,000 rows, printed and written to {@code target/logical-feed-measure.txt}).
 */
class LogicalFeedTest {

  static final String SCHEMA =
      """
      CREATE TABLE status_event_heads (project_id uuid PRIMARY KEY, last_id bigint NOT NULL);
      CREATE TABLE status_events (
        project_id uuid NOT NULL, id bigint NOT NULL, prev_id bigint NOT NULL, payload json NOT NULL,
        created_at timestamptz NOT NULL DEFAULT clock_timestamp(), PRIMARY KEY (project_id, id));
      """;
  static final String PUBLICATIONS =
      """
      CREATE PUBLICATION status_stream_events FOR TABLE status_events WITH (publish = 'insert');
      """;

  static Properties server;
  static String database;
  static final List<String> databases = new ArrayList<>();

  @BeforeAll
  static void createDatabase() throws SQLException {
    String url = System.getenv("LOGICAL_PG_URL");
    assumeTrue(url != null && !url.isBlank(), "LOGICAL_PG_URL is not set");
    server = Driver.parseURL(url, new Properties());
    assertThat(server).as("LOGICAL_PG_URL is a pgjdbc URL").isNotNull();
    database = createDatabase("status_feed_test", SCHEMA + PUBLICATIONS);
  }

  @AfterAll
  static void dropDatabases() throws SQLException {
    if (server == null) {
      return;
    }
    try (var admin = connect(server.getProperty("PGDBNAME"));
        var statement = admin.createStatement()) {
      for (var name : databases) {
        statement.execute("DROP DATABASE IF EXISTS " + name + " WITH (FORCE)");
      }
      statement.execute("DROP ROLE IF EXISTS status_feed_plain");
    }
  }

  @Test
  void deliversExactlyTheCommittedRowsInCommitOrderEachTransactionWhole() throws Exception {
    var a = UUID.randomUUID();
    var b = UUID.randomUUID();
    var c = UUID.randomUUID();
    var d = UUID.randomUUID();
    var e = UUID.randomUUID();
    String big = "{\"big\":\"" + "Grüße 🚀 ".repeat(8_000) + "\"}";
    assertThat(big.getBytes(StandardCharsets.UTF_8).length).isGreaterThan(100_000);

    try (var feed = LogicalFeed.open(settings());
        var ta = writer();
        var tb = writer();
        var tc = writer();
        var td = writer();
        var te = writer()) {
      // Started in the order a, b, c, d; they commit c, a, b; d rolls back.
      head(ta, a, 2);
      event(ta, a, 1, "{\"t\":\"a1\"}");
      head(tb, b, 1);
      event(tb, b, 1, "{\"t\":\"b1\"}");
      event(tc, c, 1, "{\"t\":\"c1\"}");
      event(ta, a, 2, "{\"t\":\"a2\"}");
      event(td, d, 1, "{\"t\":\"d1, rolled back\"}");
      event(tc, c, 2, "{\"t\":\"c2\"}");
      event(tc, c, 3, "{\"t\":\"c3\"}");

      assertThat(feed.poll(Duration.ofMillis(700))).as("nothing committed yet").isEmpty();

      tc.commit();
      ta.commit();
      td.rollback();
      tb.commit();
      // One large payload with multi-byte characters, in a transaction of its own.
      event(te, e, 1, big);
      te.commit();
      // Changes of the heads, and deletes from the log (the purge): not reported.
      try (var s = te.createStatement()) {
        s.execute("DELETE FROM status_events WHERE project_id = '" + a + "'");
        s.execute("DELETE FROM status_event_heads WHERE project_id = '" + a + "'");
        s.execute("UPDATE status_event_heads SET last_id = 5 WHERE project_id = '" + b + "'");
      }
      te.commit();
      // Only changes the feed does not report.
      try (var s = te.createStatement()) {
        s.execute("DELETE FROM status_events WHERE project_id = '" + c + "' AND id = 1");
      }
      te.commit();

      var received = receive(feed, 4, Duration.ofSeconds(20));
      received.addAll(feed.poll(Duration.ofSeconds(1)));

      var names = Map.of(a, "a", b, "b", c, "c", d, "d", e, "e");
      assertThat(received)
          .extracting(t -> describe(t, names))
          .containsExactly("c:1 c:2 c:3", "a:1 a:2", "b:1", "e:1");

      var payloads =
          received.stream().flatMap(t -> t.events().stream()).map(StatusEvent::json).toList();
      assertThat(payloads)
          .containsExactly(
              "{\"t\":\"c1\"}",
              "{\"t\":\"c2\"}",
              "{\"t\":\"c3\"}",
              "{\"t\":\"a1\"}",
              "{\"t\":\"a2\"}",
              "{\"t\":\"b1\"}",
              big);
      var a2 = received.get(1).events().get(1);
      assertThat(a2.prevId()).isEqualTo(1);
      var eRow = received.get(3).events().get(0);
      assertThat(eRow.createdAt()).isEqualTo(createdAt(e, 1));

      for (int i = 1; i < received.size(); i++) {
        assertThat(received.get(i).commitLsn())
            .isGreaterThanOrEqualTo(received.get(i - 1).endLsn());
        assertThat(received.get(i).committedAt())
            .isAfterOrEqualTo(received.get(i - 1).committedAt());
      }
      assertThat(feed.lsn()).isGreaterThanOrEqualTo(received.get(received.size() - 1).endLsn());
    }
  }

  @Test
  void followsTheColumnsByNameWhenTheTableChanges() throws Exception {
    var base = settings();
    String own = createDatabase("status_feed_columns", SCHEMA + PUBLICATIONS);
    var project = UUID.randomUUID();
    try (var feed = LogicalFeed.open(in(base, own));
        var w = connect(own)) {
      w.createStatement()
          .execute(
              "INSERT INTO status_events (project_id, id, prev_id, payload) VALUES ('"
                  + project
                  + "', 1, 0, '{\"n\":1}')");
      // prev_id moves to the end, a column the feed does not know comes before it.
      w.createStatement()
          .execute(
              "ALTER TABLE status_events DROP COLUMN prev_id;"
                  + " ALTER TABLE status_events ADD COLUMN note text;"
                  + " ALTER TABLE status_events ADD COLUMN prev_id bigint NOT NULL DEFAULT 0");
      w.createStatement()
          .execute(
              "INSERT INTO status_events (note, prev_id, payload, id, project_id) VALUES"
                  + " ('ignored', 1, '{\"n\":2}', 2, '"
                  + project
                  + "')");
      var received = receive(feed, 2, Duration.ofSeconds(10));
      assertThat(received)
          .flatExtracting(TransactionAssembler.Transaction::events)
          .extracting(e -> e.id() + "/" + e.prevId() + " " + e.json())
          .containsExactly("1/0 {\"n\":1}", "2/1 {\"n\":2}");
    }
  }

  @Test
  void closeFromAnotherThreadEndsAWaitingPoll() throws Exception {
    var feed = LogicalFeed.open(settings());
    var closer =
        new Thread(
            () -> {
              try {
                Thread.sleep(500);
              } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
              }
              feed.close();
            });
    closer.start();
    long start = System.nanoTime();
    assertThatThrownBy(() -> feed.poll(Duration.ofSeconds(10)))
        .isInstanceOf(SQLException.class)
        .hasMessage("the logical feed was closed");
    assertThat(Duration.ofNanos(System.nanoTime() - start)).isLessThan(Duration.ofSeconds(3));
    closer.join();
    awaitSlotGone(feed.slotName());
  }

  @Test
  void temporarySlotIsThereWhileOpenAndGoneAfterClose() throws Exception {
    String slot;
    try (var feed = LogicalFeed.open(settings())) {
      slot = feed.slotName();
      assertThat(slot).matches("status_stream_[0-9a-f]{16}");
      try (var admin = connect(database);
          var rows =
              admin
                  .createStatement()
                  .executeQuery(
                      "SELECT temporary, active, active_pid, plugin, slot_type, database"
                          + " FROM pg_replication_slots WHERE slot_name = '"
                          + slot
                          + "'")) {
        assertThat(rows.next()).as("slot exists").isTrue();
        assertThat(rows.getBoolean("temporary")).isTrue();
        assertThat(rows.getBoolean("active")).isTrue();
        assertThat(rows.getInt("active_pid")).isEqualTo(feed.backendPid());
        assertThat(rows.getString("plugin")).isEqualTo("pgoutput");
        assertThat(rows.getString("slot_type")).isEqualTo("logical");
        assertThat(rows.getString("database")).isEqualTo(database);
      }
      try (var admin = connect(database);
          var rows =
              admin
                  .createStatement()
                  .executeQuery("SELECT ssl FROM pg_stat_ssl WHERE pid = " + feed.backendPid())) {
        rows.next();
        System.out.println("LogicalFeedTest: feed connection uses TLS: " + rows.getBoolean(1));
      }
      try (var other = LogicalFeed.open(settings())) {
        assertThat(other.slotName()).isNotEqualTo(slot);
      }
    }
    awaitSlotGone(slot);
  }

  @Test
  void staysConnectedThroughIdlenessLongerThanTheWalSenderTimeout() throws Exception {
    Duration walSenderTimeout = walSenderTimeout();
    assumeTrue(
        walSenderTimeout.compareTo(Duration.ofSeconds(10)) <= 0,
        "the server's wal_sender_timeout should be at most 10 s for this test");
    var project = UUID.randomUUID();
    var threads = ManagementFactory.getThreadMXBean();
    try (var feed = LogicalFeed.open(settings());
        var w = writer()) {
      event(w, project, 1, "{\"n\":1}");
      w.commit();
      assertThat(receive(feed, 1, Duration.ofSeconds(10))).hasSize(1);
      var delivered = feed.lsn();

      long cpuBefore = threads.getCurrentThreadCpuTime();
      long until = System.nanoTime() + Duration.ofSeconds(30).toNanos();
      while (System.nanoTime() < until) {
        assertThat(feed.poll(Duration.ofSeconds(1))).isEmpty();
      }
      long idleCpuMicros = (threads.getCurrentThreadCpuTime() - cpuBefore) / 1_000;
      System.out.printf(
          "LogicalFeedTest: 30 s of idle polling used %.1f ms CPU (%.2f %% of a core)%n",
          idleCpuMicros / 1000.0, idleCpuMicros / 300_000.0);

      try (var admin = connect(database);
          var rows =
              admin
                  .createStatement()
                  .executeQuery(
                      "SELECT active_pid, confirmed_flush_lsn FROM pg_replication_slots"
                          + " WHERE slot_name = '"
                          + feed.slotName()
                          + "'")) {
        assertThat(rows.next()).isTrue();
        assertThat(rows.getInt(1)).as("the same WAL sender").isEqualTo(feed.backendPid());
        assertThat(org.postgresql.replication.LogSequenceNumber.valueOf(rows.getString(2)))
            .as("acknowledged")
            .isGreaterThanOrEqualTo(delivered);
      }

      event(w, project, 2, "{\"n\":2}");
      w.commit();
      assertThat(receive(feed, 1, Duration.ofSeconds(10)))
          .extracting(t -> t.events().get(0).id())
          .containsExactly(2L);
    }
  }

  @Test
  void failsWhenNotPolledForLongerThanTheWalSenderTimeout() throws Exception {
    Duration walSenderTimeout = walSenderTimeout();
    assumeTrue(
        walSenderTimeout.compareTo(Duration.ofSeconds(10)) <= 0, "wal_sender_timeout > 10 s");
    var feed = LogicalFeed.open(settings());
    feed.poll(Duration.ofMillis(100));
    Thread.sleep(walSenderTimeout.plusSeconds(3).toMillis());
    var failure = catchPollFailure(feed, Duration.ofSeconds(10));
    System.out.println("LogicalFeedTest: not polled for too long: " + failure);
    assertThat((Throwable) failure)
        .hasMessageStartingWith("the logical replication connection failed");
    assertThat(feed.isClosed()).isTrue();
    assertThatThrownBy(() -> feed.poll(Duration.ZERO)).hasMessage("the logical feed is closed");
    awaitSlotGone(feed.slotName());
  }

  @Test
  void failsAtOnceWhenTheServerEndsTheConnection() throws Exception {
    try (var feed = LogicalFeed.open(settings());
        var admin = connect(database)) {
      assertThat(feed.poll(Duration.ofMillis(200))).isEmpty();
      admin.createStatement().execute("SELECT pg_terminate_backend(" + feed.backendPid() + ")");
      long start = System.nanoTime();
      var failure = catchPollFailure(feed, Duration.ofSeconds(10));
      System.out.println("LogicalFeedTest: WAL sender terminated: " + failure);
      assertThat(Duration.ofNanos(System.nanoTime() - start)).isLessThan(Duration.ofSeconds(3));
      assertThat((Throwable) failure)
          .hasMessageStartingWith("the logical replication connection failed");
      awaitSlotGone(feed.slotName());
    }
  }

  @Test
  void noticesADeadNetworkPathWithinTheSocketTimeout() throws Exception {
    var direct = settings();
    try (var proxy = new FreezableProxy(55443, direct.host(), direct.port())) {
      var settings =
          new LogicalFeed.Settings(
              "127.0.0.1",
              proxy.port(),
              direct.database(),
              direct.user(),
              direct.password(),
              direct.tls(),
              Duration.ofSeconds(5),
              Duration.ofSeconds(3),
              Duration.ofMillis(500),
              Duration.ofSeconds(10),
              "public",
              Publication.BASE);
      try (var feed = LogicalFeed.open(settings)) {
        long until = System.nanoTime() + Duration.ofSeconds(4).toNanos();
        while (System.nanoTime() < until) {
          feed.poll(Duration.ofMillis(500)); // alive: the server answers every status update
        }
        proxy.freeze();
        long frozenAt = System.nanoTime();
        var failure = catchPollFailure(feed, Duration.ofSeconds(15));
        var after = Duration.ofNanos(System.nanoTime() - frozenAt);
        System.out.println("LogicalFeedTest: dead path noticed after " + after + ": " + failure);
        assertThat((Throwable) failure).hasMessageContaining("presumed dead");
        assertThat(after).isBetween(Duration.ofSeconds(3), Duration.ofSeconds(6));
      }
    }
  }

  @Test
  void aCallerAwayLongerThanTheSocketTimeoutIsNotTakenForADeadServer() throws Exception {
    Duration walSenderTimeout = walSenderTimeout();
    assumeTrue(walSenderTimeout.compareTo(Duration.ofSeconds(4)) >= 0, "wal_sender_timeout < 4 s");
    var base = settings();
    var quick =
        new LogicalFeed.Settings(
            base.host(),
            base.port(),
            base.database(),
            base.user(),
            base.password(),
            base.tls(),
            base.connectTimeout(),
            Duration.ofSeconds(2),
            Duration.ofMillis(300),
            base.slotCreationTimeout(),
            "public",
            Publication.BASE);
    try (var feed = LogicalFeed.open(quick)) {
      for (int i = 0; i < 3; i++) {
        Thread.sleep(400);
        feed.poll(Duration.ZERO); // sends a status update, hardly waits for the reply
        Thread.sleep(walSenderTimeout.toMillis() - 1_500); // more than the socket timeout
        feed.poll(Duration.ZERO); // finds the reply that came meanwhile
      }
      assertThat(feed.isClosed()).isFalse();
    }
  }

  @Test
  void publicationDroppedWhileStreaming() throws Exception {
    var base = settings();
    String own = createDatabase("status_feed_dropped", SCHEMA + PUBLICATIONS);
    try (var feed = LogicalFeed.open(in(base, own));
        var w = connect(own)) {
      w.createStatement().execute("DROP PUBLICATION status_stream_events");
      w.createStatement()
          .execute(
              "INSERT INTO status_events (project_id, id, prev_id, payload) VALUES ('"
                  + UUID.randomUUID()
                  + "', 1, 0, '{}')");
      var failure = catchPollFailure(feed, Duration.ofSeconds(10));
      System.out.println("LogicalFeedTest: publication dropped while streaming: " + failure);
      // PostgreSQL 15 reports it at the next change it decodes.
      assertThat((Throwable) failure)
          .isInstanceOf(CaptureUnavailable.class)
          .hasMessage(
              "logical capture lost its publication:"
                  + " ERROR: publication \"status_stream_events\" does not exist");
    }
  }

  @Test
  void slotCreationGivesUpCleanlyWhileAWriterStaysOpen() throws Exception {
    var base = settings();
    var impatient =
        new LogicalFeed.Settings(
            base.host(),
            base.port(),
            base.database(),
            base.user(),
            base.password(),
            base.tls(),
            base.connectTimeout(),
            base.socketTimeout(),
            base.statusInterval(),
            Duration.ofSeconds(2),
            "public",
            Publication.BASE);
    int sendersBefore = walSenders();
    try (var w = writer()) {
      event(w, UUID.randomUUID(), 1, "{}"); // holds a transaction id until it ends
      long start = System.nanoTime();
      assertThatThrownBy(() -> LogicalFeed.open(impatient))
          .isInstanceOf(SQLException.class)
          .isNotInstanceOf(CaptureUnavailable.class)
          .hasMessageStartingWith("creating the replication slot took longer than 2 s");
      assertThat(Duration.ofNanos(System.nanoTime() - start)).isLessThan(Duration.ofSeconds(6));
      w.rollback();
    }
    await(() -> walSenders() <= sendersBefore, "the WAL sender of the failed attempt ends");
    assertThat(slots("status_stream_%")).isZero();
  }

  @Test
  void refusesAServerWithoutLogicalDecoding() throws Exception {
    String url = System.getenv("NONLOGICAL_PG_URL");
    assumeTrue(url != null && !url.isBlank(), "NONLOGICAL_PG_URL is not set");
    var other = Driver.parseURL(url, new Properties());
    var settings =
        new LogicalFeed.Settings(
            other.getProperty("PGHOST"),
            Integer.parseInt(other.getProperty("PGPORT")),
            other.getProperty("PGDBNAME"),
            other.getProperty("user", "postgres"),
            other.getProperty("password", ""),
            Tls.DEFAULT,
            Duration.ofSeconds(5),
            Duration.ofSeconds(10),
            Duration.ofSeconds(1),
            Duration.ofSeconds(10),
            "public",
            Publication.BASE);
    String walLevel;
    try (var c = DriverManager.getConnection(url);
        var rows = c.createStatement().executeQuery("SHOW wal_level")) {
      rows.next();
      walLevel = rows.getString(1);
    }
    assumeTrue(!walLevel.equals("logical"), "NONLOGICAL_PG_URL has wal_level=logical");
    // With wal_level=minimal, max_wal_senders must be 0: the feed cannot even connect.
    assertThatThrownBy(() -> LogicalFeed.open(settings))
        .isInstanceOf(CaptureUnavailable.class)
        .hasMessage(
            "logical capture needs wal_level=logical; the server has "
                + walLevel
                + (walLevel.equals("minimal") ? ", and max_wal_senders=0" : ""))
        .satisfies(e -> System.out.println("LogicalFeedTest: " + e.getMessage()));
  }

  @Test
  void refusesAUserWithoutTheReplicationAttribute() throws Exception {
    try (var admin = connect(database)) {
      admin.createStatement().execute("DROP ROLE IF EXISTS status_feed_plain");
      admin.createStatement().execute("CREATE ROLE status_feed_plain LOGIN");
    }
    var base = settings();
    var plain =
        new LogicalFeed.Settings(
            base.host(),
            base.port(),
            base.database(),
            "status_feed_plain",
            "",
            base.tls(),
            base.connectTimeout(),
            base.socketTimeout(),
            base.statusInterval(),
            base.slotCreationTimeout(),
            "public",
            Publication.BASE);
    assertThatThrownBy(() -> LogicalFeed.open(plain))
        .isInstanceOf(CaptureUnavailable.class)
        .hasMessageStartingWith(
            "logical capture needs a user with the REPLICATION attribute (ALTER ROLE"
                + " status_feed_plain REPLICATION) or a superuser; the server said: ")
        .satisfies(e -> System.out.println("LogicalFeedTest: " + e.getMessage()));

    // The REPLICATION attribute is all it takes; no superuser needed.
    try (var admin = connect(database)) {
      admin.createStatement().execute("ALTER ROLE status_feed_plain REPLICATION");
    }
    var project = UUID.randomUUID();
    try (var feed = LogicalFeed.open(plain);
        var w = writer()) {
      event(w, project, 1, "{}");
      w.commit();
      assertThat(receive(feed, 1, Duration.ofSeconds(10)))
          .flatExtracting(TransactionAssembler.Transaction::events)
          .extracting(StatusEvent::projectId)
          .containsExactly(project);
    }
  }

  @Test
  void refusesADatabaseWithoutItsPublication() throws Exception {
    var base = settings();
    String bare = createDatabase("status_feed_bare", SCHEMA);
    assertThatThrownBy(() -> LogicalFeed.open(in(base, bare)))
        .isInstanceOf(CaptureUnavailable.class)
        .hasMessage(
            "logical capture needs the publication status_stream_events of the inserts into"
                + " public.status_events in database "
                + bare
                + ", and it is missing");

    String wrong =
        createDatabase(
            "status_feed_wrong",
            SCHEMA
                + "CREATE PUBLICATION status_stream_events FOR TABLE status_events"
                + " WITH (publish = 'delete');");
    assertThatThrownBy(() -> LogicalFeed.open(in(base, wrong)))
        .isInstanceOf(CaptureUnavailable.class)
        .hasMessageEndingWith("and it does not publish the inserts into public.status_events");
    assertThat(slots("status_stream_%")).isZero();
  }

  @Test
  void refusesWhenAllWalSendersAreTaken() throws Exception {
    var hogs = new ArrayList<Connection>();
    try {
      SQLException refused = null;
      for (int i = 0; i < 200 && refused == null; i++) {
        try {
          hogs.add(replicationConnection());
        } catch (SQLException e) {
          refused = e;
        }
      }
      assertThat((Throwable) refused).as("the server ran out of WAL senders").isNotNull();
      assertThatThrownBy(() -> LogicalFeed.open(settings()))
          .isInstanceOf(CaptureUnavailable.class)
          .hasMessageStartingWith(
              "logical capture needs a free WAL sender, and all max_wal_senders are in use;"
                  + " the server said: ")
          .hasMessageContaining("max_wal_senders")
          .satisfies(e -> System.out.println("LogicalFeedTest: " + e.getMessage()));
    } finally {
      for (var hog : hogs) {
        hog.close();
      }
    }
  }

  @Test
  void refusesWhenAllReplicationSlotsAreTaken() throws Exception {
    var taken = new ArrayList<String>();
    try (var admin = connect(database)) {
      int max;
      try (var rows = admin.createStatement().executeQuery("SHOW max_replication_slots")) {
        rows.next();
        max = Integer.parseInt(rows.getString(1));
      }
      for (int i = slots("%"); i < max; i++) {
        String name = "status_feed_hog_" + i;
        admin
            .createStatement()
            .execute("SELECT pg_create_physical_replication_slot('" + name + "')");
        taken.add(name);
      }
      try {
        assertThatThrownBy(() -> LogicalFeed.open(settings()))
            .isInstanceOf(CaptureUnavailable.class)
            .hasMessageStartingWith(
                "logical capture needs a free replication slot, and none is"
                    + " (max_replication_slots); the server said: ")
            .satisfies(e -> System.out.println("LogicalFeedTest: " + e.getMessage()));
      } finally {
        for (var name : taken) {
          admin.createStatement().execute("SELECT pg_drop_replication_slot('" + name + "')");
        }
      }
    }
  }

  /**
   * Throughput of decoding and delivery, and the WAL sender's CPU per row, for 100,000 rows of
   * about 300 bytes of payload: as one transaction (the server decodes it at its commit, so the
   * time from the commit to the last row is the decoding and delivery alone), as 1,000 transactions
   * of 100 rows, and as the triggers write them (one transaction per event, which also moves the
   * project's head). The feed is polled while the rows are written: left alone for longer than
   * {@code wal_sender_timeout}, its connection would be ended by the server. Then the latency from
   * a commit to its delivery, for single events written one at a time.
   */
  @Test
  void measure() throws Exception {
    assumeTrue(System.getenv("LOGICAL_FEED_MEASURE") != null, "LOGICAL_FEED_MEASURE is not set");
    var report = new StringBuilder();
    Consumer<String> out =
        line -> {
          System.out.println("LogicalFeedTest: " + line);
          report.append(line).append('\n');
        };
    String payload =
        "{\"type\" : \"progress_update\", \"jobId\" : \"4f8e2a60-3c1b-4a57-9d0e-2b7c5e8f1a93\","
            + " \"progress\" : {\"stage\" : \"extract\", \"current\" : 3, \"total\" : 10,"
            + " \"message\" : \"Reading papers: "
            + "x".repeat(110)
            + "\", \"timestamp\" : 1767323045678}}";
    out.accept("payload bytes: " + payload.getBytes(StandardCharsets.UTF_8).length);
    int rows = 100_000;
    measureOnce(
        out,
        "1 transaction x 100,000 rows",
        rows,
        "INSERT INTO status_events (project_id, id, prev_id, payload)"
            + " SELECT gen_random_uuid(), i, i - 1, '"
            + payload
            + "' FROM generate_series(1, "
            + rows
            + ") i");
    measureOnce(
        out,
        "1,000 transactions x 100 rows",
        rows,
        "DO $$ DECLARE p uuid := gen_random_uuid(); BEGIN"
            + " FOR t IN 0..999 LOOP"
            + " INSERT INTO status_events (project_id, id, prev_id, payload)"
            + " SELECT p, t * 100 + i, t * 100 + i - 1, '"
            + payload
            + "' FROM generate_series(1, 100) i;"
            + " COMMIT; END LOOP; END $$");
    measureOnce(
        out,
        "100,000 transactions x 1 row, each also updating its head (as the triggers write)",
        rows,
        "DO $$ DECLARE p uuid := gen_random_uuid(); n bigint; BEGIN"
            + " INSERT INTO status_event_heads VALUES (p, 0); COMMIT;"
            + " FOR t IN 1.."
            + rows
            + " LOOP"
            + " UPDATE status_event_heads SET last_id = last_id + 1 WHERE project_id = p"
            + " RETURNING last_id INTO n;"
            + " INSERT INTO status_events (project_id, id, prev_id, payload) VALUES (p, n, n - 1, '"
            + payload
            + "'); COMMIT; END LOOP; END $$");
    measureLatency(out, payload, 300, "on");
    measureLatency(out, payload, 100, "off");
    Files.writeString(Path.of("target", "logical-feed-measure.txt"), report);
  }

  private void measureOnce(Consumer<String> out, String label, int rows, String write)
      throws Exception {
    var threads = ManagementFactory.getThreadMXBean();
    try (var feed = LogicalFeed.open(settings())) {
      long senderBefore = cpuMicros(feed.backendPid());
      long bytesBefore = feed.bytesReceived();
      long cpuBefore = threads.getCurrentThreadCpuTime();
      var written = new java.util.concurrent.CompletableFuture<Long>();
      long start = System.nanoTime();
      var writer =
          new Thread(
              () -> {
                try (var w = connect(database);
                    var s = w.createStatement()) {
                  s.execute("SET synchronous_commit = off");
                  s.execute(write);
                  written.complete(System.nanoTime());
                } catch (Throwable e) {
                  written.completeExceptionally(e);
                }
              });
      writer.start();
      int received = 0;
      int transactions = 0;
      long firstRow = 0;
      long deadline = start + Duration.ofMinutes(5).toNanos();
      while (received < rows && System.nanoTime() < deadline) {
        for (var t : feed.poll(Duration.ofMillis(500))) {
          if (firstRow == 0) {
            firstRow = System.nanoTime();
          }
          received += t.events().size();
          transactions++;
        }
      }
      long end = System.nanoTime();
      long writtenAt = written.get();
      long clientCpu = (threads.getCurrentThreadCpuTime() - cpuBefore) / 1_000;
      long senderCpu = cpuMicros(feed.backendPid()) - senderBefore;
      long bytes = feed.bytesReceived() - bytesBefore;
      assertThat(received).isEqualTo(rows);
      out.accept(label + ":");
      out.accept(
          String.format(
              "  written in %d ms (%.0f rows/s); all %d rows in %d transactions delivered %d ms"
                  + " after the writing began (%.0f rows/s), %d ms after it ended (%.0f rows/s)%s",
              (writtenAt - start) / 1_000_000,
              rows / ((writtenAt - start) / 1e9),
              received,
              transactions,
              (end - start) / 1_000_000,
              rows / ((end - start) / 1e9),
              (end - writtenAt) / 1_000_000,
              rows / ((end - writtenAt) / 1e9),
              transactions == 1
                  ? ""
                  : String.format(
                      "; first to last row %d ms (%.0f rows/s)",
                      (end - firstRow) / 1_000_000, rows / ((end - firstRow) / 1e9))));
      out.accept(
          String.format(
              "  WAL sender CPU %.2f s = %.1f us/row; feed thread CPU %.2f s = %.1f us/row;"
                  + " %.0f bytes/row received",
              senderCpu / 1e6,
              senderCpu / (double) rows,
              clientCpu / 1e6,
              clientCpu / (double) rows,
              bytes / (double) rows));
    }
  }

  private void measureLatency(
      Consumer<String> out, String payload, int count, String synchronousCommit) throws Exception {
    var project = UUID.randomUUID();
    var committed = new java.util.concurrent.ConcurrentHashMap<Long, Long>();
    var latencies = new ArrayList<Long>();
    try (var feed = LogicalFeed.open(settings())) {
      var writer =
          new Thread(
              () -> {
                try (var w = writer()) {
                  w.createStatement().execute("SET synchronous_commit = " + synchronousCommit);
                  w.commit();
                  for (long id = 1; id <= count; id++) {
                    event(w, project, id, payload);
                    w.commit();
                    committed.put(id, System.nanoTime());
                    Thread.sleep(10);
                  }
                } catch (Exception e) {
                  throw new IllegalStateException(e);
                }
              });
      writer.start();
      long deadline = System.nanoTime() + Duration.ofMinutes(2).toNanos();
      while (latencies.size() < count && System.nanoTime() < deadline) {
        for (var t : feed.poll(Duration.ofMillis(500))) {
          long now = System.nanoTime();
          for (var e : t.events()) {
            Long at = committed.get(e.id());
            // The commit's return may reach the writer after the row reached the feed.
            latencies.add(at == null ? 0 : Math.max(0, now - at));
          }
        }
      }
      writer.join();
    }
    latencies.sort(null);
    out.accept(
        String.format(
            "latency from commit() returning to delivery by poll, %d single-event transactions"
                + " 10 ms apart, synchronous_commit %s: p50 %.2f ms, p99 %.2f ms, max %.2f ms",
            latencies.size(),
            synchronousCommit,
            latencies.get(latencies.size() / 2) / 1e6,
            latencies.get(latencies.size() * 99 / 100) / 1e6,
            latencies.get(latencies.size() - 1) / 1e6));
  }

  // --- helpers ---

  static LogicalFeed.Settings settings() {
    return new LogicalFeed.Settings(
        server.getProperty("PGHOST"),
        Integer.parseInt(server.getProperty("PGPORT")),
        database,
        server.getProperty("user", "postgres"),
        server.getProperty("password", ""),
        Tls.DEFAULT,
        Duration.ofSeconds(5),
        Duration.ofSeconds(10),
        Duration.ofSeconds(1),
        Duration.ofSeconds(10),
        "public",
        Publication.BASE);
  }

  static LogicalFeed.Settings in(LogicalFeed.Settings settings, String database) {
    return new LogicalFeed.Settings(
        settings.host(),
        settings.port(),
        database,
        settings.user(),
        settings.password(),
        settings.tls(),
        settings.connectTimeout(),
        settings.socketTimeout(),
        settings.statusInterval(),
        settings.slotCreationTimeout(),
        "public",
        Publication.BASE);
  }

  static String createDatabase(String prefix, String schema) throws SQLException {
    var bytes = new byte[4];
    new SecureRandom().nextBytes(bytes);
    String name = prefix + "_" + HexFormat.of().formatHex(bytes);
    try (var admin = connect(server.getProperty("PGDBNAME"))) {
      admin.createStatement().execute("CREATE DATABASE " + name);
      databases.add(name);
    }
    try (var db = connect(name)) {
      db.createStatement().execute(schema);
    }
    return name;
  }

  static Connection connect(String db) throws SQLException {
    var props = new Properties();
    props.setProperty("user", server.getProperty("user", "postgres"));
    props.setProperty("password", server.getProperty("password", ""));
    return DriverManager.getConnection(
        "jdbc:postgresql://"
            + server.getProperty("PGHOST")
            + ":"
            + server.getProperty("PGPORT")
            + "/"
            + db,
        props);
  }

  static Connection replicationConnection() throws SQLException {
    var props = new Properties();
    props.setProperty("user", server.getProperty("user", "postgres"));
    props.setProperty("password", server.getProperty("password", ""));
    PGProperty.REPLICATION.set(props, "database");
    PGProperty.ASSUME_MIN_SERVER_VERSION.set(props, "10");
    PGProperty.PREFER_QUERY_MODE.set(props, "simple");
    return DriverManager.getConnection(
        "jdbc:postgresql://"
            + server.getProperty("PGHOST")
            + ":"
            + server.getProperty("PGPORT")
            + "/"
            + database,
        props);
  }

  static Connection writer() throws SQLException {
    var c = connect(database);
    c.setAutoCommit(false);
    return c;
  }

  static void head(Connection c, UUID project, long lastId) throws SQLException {
    try (var s = c.prepareStatement("INSERT INTO status_event_heads VALUES (?, ?)")) {
      s.setObject(1, project);
      s.setLong(2, lastId);
      s.executeUpdate();
    }
  }

  static void event(Connection c, UUID project, long id, String payload) throws SQLException {
    try (var s =
        c.prepareStatement(
            "INSERT INTO status_events (project_id, id, prev_id, payload) VALUES (?, ?, ?, ?::json)")) {
      s.setObject(1, project);
      s.setLong(2, id);
      s.setLong(3, id - 1);
      s.setString(4, payload);
      s.executeUpdate();
    }
  }

  static Instant createdAt(UUID project, long id) throws SQLException {
    try (var c = connect(database);
        var s =
            c.prepareStatement(
                "SELECT created_at FROM status_events WHERE project_id = ? AND id = ?")) {
      s.setObject(1, project);
      s.setLong(2, id);
      try (var rows = s.executeQuery()) {
        rows.next();
        return rows.getObject(1, java.time.OffsetDateTime.class).toInstant();
      }
    }
  }

  static List<TransactionAssembler.Transaction> receive(
      LogicalFeed feed, int count, Duration within) throws SQLException {
    var received = new ArrayList<TransactionAssembler.Transaction>();
    long deadline = System.nanoTime() + within.toNanos();
    while (received.size() < count && System.nanoTime() < deadline) {
      received.addAll(feed.poll(Duration.ofMillis(500)));
    }
    return received;
  }

  static SQLException catchPollFailure(LogicalFeed feed, Duration within) {
    long deadline = System.nanoTime() + within.toNanos();
    while (System.nanoTime() < deadline) {
      try {
        feed.poll(Duration.ofMillis(200));
      } catch (SQLException e) {
        return e;
      }
    }
    throw new AssertionError("poll did not fail within " + within);
  }

  static String describe(TransactionAssembler.Transaction t, Map<UUID, String> names) {
    var parts = new ArrayList<String>();
    for (var event : t.events()) {
      parts.add(names.getOrDefault(event.projectId(), "?") + ":" + event.id());
    }
    return parts.stream().collect(Collectors.joining(" "));
  }

  static Duration walSenderTimeout() throws SQLException {
    try (var c = connect(database);
        var rows =
            c.createStatement()
                .executeQuery(
                    "SELECT setting::int FROM pg_settings WHERE name = 'wal_sender_timeout'")) {
      rows.next();
      return Duration.ofMillis(rows.getInt(1));
    }
  }

  static int walSenders() throws SQLException {
    try (var c = connect(database);
        var rows =
            c.createStatement()
                .executeQuery(
                    "SELECT count(*) FROM pg_stat_activity WHERE backend_type = 'walsender'")) {
      rows.next();
      return rows.getInt(1);
    }
  }

  static int slots(String like) throws SQLException {
    try (var c = connect(database);
        var rows =
            c.createStatement()
                .executeQuery(
                    "SELECT count(*) FROM pg_replication_slots WHERE slot_name LIKE '"
                        + like
                        + "'")) {
      rows.next();
      return rows.getInt(1);
    }
  }

  static void awaitSlotGone(String slot) throws Exception {
    await(() -> slots(slot) == 0, "slot " + slot + " is dropped");
  }

  interface Check {
    boolean holds() throws Exception;
  }

  static void await(Check check, String what) throws Exception {
    long deadline = System.nanoTime() + Duration.ofSeconds(15).toNanos();
    while (!check.holds()) {
      if (System.nanoTime() > deadline) {
        throw new AssertionError("not within 15 s: " + what);
      }
      Thread.sleep(100);
    }
  }

  /** User and system CPU of a server process so far, from /proc (clock ticks of 10 ms). */
  static long cpuMicros(int pid) throws Exception {
    String stat = Files.readString(Path.of("/proc", String.valueOf(pid), "stat"));
    String[] fields = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
    long ticks = Long.parseLong(fields[11]) + Long.parseLong(fields[12]);
    return ticks * 10_000;
  }
}
