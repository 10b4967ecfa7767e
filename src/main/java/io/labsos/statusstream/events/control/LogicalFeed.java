package io.labsos.statusstream.events.control;

import io.labsos.statusstream.schema.control.Database;
import io.labsos.statusstream.schema.control.Tls;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.security.SecureRandom;
import java.sql.Connection;
import java.sql.SQLException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.postgresql.PGConnection;
import org.postgresql.PGProperty;
import org.postgresql.ds.PGSimpleDataSource;
import org.postgresql.replication.LogSequenceNumber;
import org.postgresql.replication.PGReplicationStream;

/**
 * The committed inserts into the event log ({@code status_events}), in commit order, read from
 * PostgreSQL's write-ahead log through logical replication ({@code pgoutput}) instead of NOTIFY:
 * the connection under {@link LogicalCapture}.
 *
 * <p>Why this shape: each instance opens its own replication connection and creates a
 * <em>temporary</em> slot with a unique name. The server drops the slot when that connection ends,
 * so an instance that is gone never makes the server keep WAL for it. The price is that nothing
 * survives a reconnect: the event log stays the truth, and the listener must catch up from it by
 * its cursors after every {@link #open}. No event is lost in between if the listener opens the feed
 * <em>before</em> it reads the log: every transaction that commits after the slot's consistent
 * point ({@link #startLsn()}, reached before {@code open} returns) is streamed, every earlier one
 * is in the log when the catch-up reads it. Events the catch-up already delivered then arrive again
 * from the feed; the listener skips ids at or below its cursor.
 *
 * <p>{@link #poll} never blocks longer than its timeout (plus at most one socket timeout while a
 * message is half received) and returns whole transactions only: the server sends a transaction's
 * changes when it commits, and the feed hands them out once the Commit message arrived. A
 * transaction is held in memory until then, however large it is. While nothing arrives, {@code
 * poll} waits in one socket read (see {@link FeedSocketFactory}), not in pgjdbc's 1 ms polls. The
 * server decodes only WAL that is flushed: a writer with {@code synchronous_commit = off} shows up
 * here after the WAL writer flushed its commit (up to 3 x {@code wal_writer_delay}, 600 ms by
 * default), not at once as with NOTIFY. {@code poll} also keeps the connection alive: it
 * acknowledges what it delivered and asks the server for a reply every {@link
 * Settings#statusInterval()}, and fails when no reply came for {@link Settings#socketTimeout()}.
 * The feed has no thread of its own, so the caller must call {@code poll} at least every status
 * interval, and never leave it uncalled for as long as the server's {@code wal_sender_timeout} (60
 * s by default): the server then ends the connection, the next {@code poll} fails, and the caller
 * reconnects and catches up.
 *
 * <p>Failures: {@link #open} throws {@link CaptureUnavailable} when the server or the database
 * cannot do logical capture (wal_level, REPLICATION attribute, no free WAL sender or slot, missing
 * publication), with a message that says what is missing; any other {@link SQLException} is a
 * connection problem worth a retry. After {@code poll} threw, the feed is closed; open a new one.
 *
 * <p>Threading: one thread opens the feed and calls {@link #poll} (the listener's loop); {@link
 * #close()} may be called from any thread, also while {@code poll} runs, which then fails; {@link
 * #lsn()}, {@link #slotName()}, {@link #isClosed()} may be read from any thread.
 */
final class LogicalFeed implements AutoCloseable {

  /** After this many rows, {@code poll} returns even when more are waiting. */
  private static final int MAX_ROWS_PER_POLL = 10_000;

  /** Most entries, and characters of payload, a transaction may hold in memory. */
  static final int MAX_ENTRIES_PER_TRANSACTION = 10_000;

  static final long MAX_CHARS_PER_TRANSACTION = 8L << 20;

  private static final SecureRandom RANDOM = new SecureRandom();

  /**
   * How to reach the server and how patient to be.
   *
   * @param tls TLS as the listener's other connections use it
   * @param schema the schema of the event log: inserts into another schema's log are not read
   * @param publication the publication of that log's inserts
   * @param socketTimeout a read that takes longer, or a server that does not answer the feed's
   *     status updates for longer, counts as a dead connection
   * @param statusInterval how often the feed acknowledges progress and asks the server for a reply;
   *     well below the server's {@code wal_sender_timeout} and {@code socketTimeout}
   * @param slotCreationTimeout how long creating the slot may wait for the transactions that were
   *     writing when it began to end (the server needs that to find a consistent point)
   */
  record Settings(
      String host,
      int port,
      String database,
      String user,
      String password,
      Tls tls,
      Duration connectTimeout,
      Duration socketTimeout,
      Duration statusInterval,
      Duration slotCreationTimeout,
      String schema,
      String publication) {

    /**
     * The feed of the log in {@code schema} on the listener's database, with its socket timeout, a
     * 2 s status interval and a 30 s slot creation timeout.
     */
    static Settings of(Database database, String schema) {
      return new Settings(
          database.host(),
          database.port(),
          database.name(),
          database.user(),
          database.password(),
          database.tls(),
          Duration.ofSeconds(5),
          Duration.ofSeconds(database.socketTimeoutSeconds()),
          Duration.ofSeconds(2),
          Duration.ofSeconds(30),
          schema,
          Publication.name(schema));
    }
  }

  /** The server stopped answering: already says all there is to say. */
  private static final class Silent extends SQLException {
    private static final long serialVersionUID = 1L;

    Silent(String message) {
      super(message, "08006");
    }
  }

  private final Settings settings;
  private final Connection connection;
  private final PGReplicationStream stream;
  private final FeedSocketFactory.Watch watch;
  private final String slotName;
  private final int backendPid;
  private final LogSequenceNumber startLsn;
  private final PgOutput decoder = new PgOutput();
  private final TransactionAssembler assembler;
  private final long statusIntervalNanos;
  private final long deadAfterNanos;

  private volatile LogSequenceNumber lsn;
  private volatile boolean closed;
  private long lastStatusNanos;

  /** When the oldest status update not yet followed by any byte from the server was sent; or 0. */
  private long unansweredSinceNanos;

  private LogicalFeed(
      Settings settings,
      Connection connection,
      PGReplicationStream stream,
      FeedSocketFactory.Watch watch,
      String slotName,
      int backendPid,
      LogSequenceNumber startLsn) {
    this.settings = settings;
    this.connection = connection;
    this.stream = stream;
    this.watch = watch;
    this.slotName = slotName;
    this.backendPid = backendPid;
    this.startLsn = startLsn;
    this.lsn = startLsn;
    this.assembler =
        new TransactionAssembler(
            settings.schema(), MAX_ENTRIES_PER_TRANSACTION, MAX_CHARS_PER_TRANSACTION);
    this.statusIntervalNanos = settings.statusInterval().toNanos();
    this.deadAfterNanos = settings.socketTimeout().toNanos();
    this.lastStatusNanos = System.nanoTime();
  }

  /**
   * Connects, checks that the server can do logical capture, creates this instance's temporary slot
   * and starts streaming from it.
   *
   * @throws CaptureUnavailable when wal_level is not logical, the user lacks the REPLICATION
   *     attribute, no WAL sender or replication slot is free, or the publications are missing
   * @throws SQLException when the server cannot be reached, or the slot could not be created within
   *     {@link Settings#slotCreationTimeout()}
   */
  static LogicalFeed open(Settings settings) throws SQLException {
    var watch = new FeedSocketFactory.Watch();
    String key = FeedSocketFactory.register(watch);
    Connection connection;
    try {
      connection = connect(settings, key);
      watch.seal();
    } finally {
      FeedSocketFactory.unregister(key);
    }
    try {
      String walLevel = queryOne(connection, "SHOW wal_level");
      if (!"logical".equals(walLevel)) {
        throw new CaptureUnavailable(
            CaptureUnavailable.WAL_LEVEL,
            "logical capture needs wal_level=logical; the server has " + walLevel,
            "55000",
            null);
      }
      checkPublication(connection, settings);
      int pid = Integer.parseInt(queryOne(connection, "SELECT pg_backend_pid()"));
      var bytes = new byte[8];
      RANDOM.nextBytes(bytes);
      String slot = "status_stream_" + HexFormat.of().formatHex(bytes);
      var start = createSlot(connection, slot, settings);
      var stream =
          connection
              .unwrap(PGConnection.class)
              .getReplicationAPI()
              .replicationStream()
              .logical()
              .withSlotName(slot)
              .withSlotOption("proto_version", 1)
              .withSlotOption("publication_names", settings.publication())
              // pgjdbc's own status updates: only a fallback, the feed sends its own. pgjdbc also
              // lowers the socket timeout to this interval, and a read that times out half-way
              // through a message loses its start: so no shorter than the socket timeout.
              .withStatusInterval(
                  (int)
                      Math.max(
                          settings.statusInterval().toMillis(),
                          settings.socketTimeout().toMillis()),
                  TimeUnit.MILLISECONDS)
              .start();
      return new LogicalFeed(settings, connection, stream, watch, slot, pid, start);
    } catch (SQLException | RuntimeException e) {
      closeQuietly(connection);
      throw e;
    }
  }

  /**
   * The transactions committed since the last call, in commit order, each whole; empty when none
   * committed within {@code timeout}. Returns as soon as at least one transaction arrived and
   * nothing more is waiting on the connection (or {@value #MAX_ROWS_PER_POLL} rows are ready).
   * Transactions that changed nothing the feed reports are acknowledged but not returned.
   *
   * @throws SQLException when the connection failed, the server ended the stream, or the stream
   *     carried something undecodable; the feed is closed then
   */
  List<TransactionAssembler.Transaction> poll(Duration timeout) throws SQLException {
    if (closed) {
      throw new SQLException("the logical feed is closed", "08003");
    }
    long deadline = System.nanoTime() + timeout.toNanos();
    var ready = new ArrayList<TransactionAssembler.Transaction>();
    LogSequenceNumber committed = null;
    int rows = 0;
    try {
      while (true) {
        sendStatusWhenDue();
        ByteBuffer message = stream.readPending();
        if (message != null) {
          var done = assembler.accept(decoder.decode(message));
          if (done != null) {
            committed = done.endLsn();
            if (!done.isEmpty()) {
              ready.add(done);
              rows += done.size();
            }
            if (rows >= MAX_ROWS_PER_POLL) {
              break;
            }
          }
          continue;
        }
        // Everything the server sent so far is read: judge its silence only now.
        failWhenUnanswered();
        if (ready.isEmpty() && !assembler.inTransaction()) {
          committed = later(committed, stream.getLastReceiveLSN());
        }
        if (!ready.isEmpty()) {
          break;
        }
        long now = System.nanoTime();
        long left = Math.min(deadline - now, lastStatusNanos + statusIntervalNanos - now);
        if (deadline - now <= 0) {
          break;
        }
        // Nothing waiting. Wait for the next byte, but no longer than the next status update.
        watch.awaitReadable((int) Math.min(Integer.MAX_VALUE, (left + 999_999) / 1_000_000));
      }
    } catch (SQLException e) {
      throw failed(e);
    } catch (IOException e) {
      throw failed(new SQLException("reading the replication connection failed", "08006", e));
    } catch (RuntimeException e) {
      throw failed(
          new SQLException(
              "undecodable message on the replication stream: " + e.getMessage(), "XX000", e));
    }
    if (committed != null && committed.asLong() > lsn.asLong()) {
      lsn = committed;
      stream.setAppliedLSN(committed);
      stream.setFlushedLSN(committed);
    }
    return ready;
  }

  /**
   * The later of the two; a keepalive's position (the last one received, when nothing is pending)
   * may be acknowledged: every transaction committed before it has been handed out.
   */
  private static LogSequenceNumber later(LogSequenceNumber a, LogSequenceNumber b) {
    if (b == null || b.asLong() == LogSequenceNumber.INVALID_LSN.asLong()) {
      return a;
    }
    return a == null || b.asLong() > a.asLong() ? b : a;
  }

  /** Acknowledges what was delivered and asks the server for a reply, every status interval. */
  private void sendStatusWhenDue() throws SQLException {
    long now = System.nanoTime();
    if (now - lastStatusNanos >= statusIntervalNanos) {
      stream.setAppliedLSN(lsn);
      stream.setFlushedLSN(lsn);
      stream.forceUpdateStatus(); // asks the server to reply at once
      lastStatusNanos = now;
      if (unansweredSinceNanos == 0) {
        unansweredSinceNanos = now;
      }
    }
  }

  /** Fails when the server sent nothing for a socket timeout although asked to reply. */
  private void failWhenUnanswered() throws SQLException {
    if (unansweredSinceNanos == 0) {
      return;
    }
    if (watch.lastReadNanos() - unansweredSinceNanos >= 0) {
      unansweredSinceNanos = 0;
      return;
    }
    long silent = System.nanoTime() - unansweredSinceNanos;
    if (deadAfterNanos > 0 && silent > deadAfterNanos) {
      throw new Silent(
          "the server sent nothing for "
              + Duration.ofNanos(silent).toSeconds()
              + " s although the feed asked for a reply every "
              + settings.statusInterval().toMillis()
              + " ms: the replication connection is presumed dead");
    }
  }

  private SQLException failed(SQLException e) {
    boolean wasClosed = closed;
    close();
    if (wasClosed) {
      return new SQLException("the logical feed was closed", "08003", e);
    }
    if ("42704".equals(e.getSQLState())) { // the publication dropped while streaming
      return new CaptureUnavailable(
          CaptureUnavailable.PUBLICATION,
          "logical capture lost its publication: " + firstLine(e),
          e.getSQLState(),
          e);
    }
    if (e instanceof Silent) {
      return e;
    }
    return new SQLException(
        "the logical replication connection failed: " + causes(e), e.getSQLState(), e);
  }

  /** The slot's consistent point: every transaction committed after it is streamed. */
  LogSequenceNumber startLsn() {
    return startLsn;
  }

  /**
   * Where the feed stands: the end of the last transaction it delivered (or skipped as empty), or
   * {@link #startLsn()} before any. This is what it acknowledges to the server.
   */
  LogSequenceNumber lsn() {
    return lsn;
  }

  /** The temporary slot's name, {@code status_stream_} and 16 random hex digits. */
  String slotName() {
    return slotName;
  }

  /** The server process (walsender) of this feed's connection. */
  int backendPid() {
    return backendPid;
  }

  /** Bytes received on the replication connection so far. */
  long bytesReceived() {
    return watch.bytesRead();
  }

  boolean isClosed() {
    return closed;
  }

  /**
   * Ends the connection; the server drops the temporary slot as its WAL sender exits (shortly
   * after, not before this returns). Never blocks on the server; idempotent.
   */
  @Override
  public void close() {
    if (closed) {
      return;
    }
    closed = true;
    closeQuietly(connection);
  }

  private static Connection connect(Settings settings, String socketKey) throws SQLException {
    var ds = dataSource(settings);
    ds.setTcpKeepAlive(true);
    ds.setProperty(PGProperty.LOGIN_TIMEOUT, "10");
    ds.setProperty(PGProperty.REPLICATION, "database");
    ds.setProperty(PGProperty.ASSUME_MIN_SERVER_VERSION, "10");
    ds.setProperty(PGProperty.PREFER_QUERY_MODE, "simple");
    ds.setProperty(PGProperty.SOCKET_FACTORY, FeedSocketFactory.class.getName());
    ds.setProperty(PGProperty.SOCKET_FACTORY_ARG, socketKey);
    try {
      return ds.getConnection();
    } catch (SQLException e) {
      String message = String.valueOf(e.getMessage());
      if (("42501".equals(e.getSQLState()) || "28000".equals(e.getSQLState()))
          && (message.contains("replication") || message.contains("WAL sender"))) {
        throw new CaptureUnavailable(
            CaptureUnavailable.REPLICATION,
            "logical capture needs a user with the REPLICATION attribute (ALTER ROLE "
                + settings.user()
                + " REPLICATION) or a superuser; the server said: "
                + firstLine(e),
            e.getSQLState(),
            e);
      }
      if ("53300".equals(e.getSQLState()) && message.contains("(currently 0)")) {
        // No WAL senders at all: wal_level is minimal, or replication is switched off.
        throw new CaptureUnavailable(
            CaptureUnavailable.WAL_LEVEL,
            "logical capture needs wal_level=logical; the server has "
                + walLevelOf(settings)
                + ", and max_wal_senders=0",
            e.getSQLState(),
            e);
      }
      if ("53300".equals(e.getSQLState()) && message.contains("max_wal_senders")) {
        throw new CaptureUnavailable(
            CaptureUnavailable.WAL_SENDER,
            "logical capture needs a free WAL sender, and all max_wal_senders are in use;"
                + " the server said: "
                + firstLine(e),
            e.getSQLState(),
            e);
      }
      throw e;
    }
  }

  /** An ordinary connection's settings: the feed's database, user, name and timeouts. */
  private static PGSimpleDataSource dataSource(Settings settings) {
    var ds = new PGSimpleDataSource();
    ds.setServerNames(new String[] {settings.host()});
    ds.setPortNumbers(new int[] {settings.port()});
    ds.setDatabaseName(settings.database());
    ds.setUser(settings.user());
    ds.setPassword(settings.password());
    ds.setApplicationName("status-stream-feed");
    settings.tls().applyTo(ds);
    ds.setTcpKeepAlive(true);
    ds.setConnectTimeout(seconds(settings.connectTimeout()));
    ds.setSocketTimeout(seconds(settings.socketTimeout()));
    return ds;
  }

  /** The server's wal_level, read on an ordinary connection; "unknown" if that fails too. */
  private static String walLevelOf(Settings settings) {
    try (var connection = dataSource(settings).getConnection()) {
      return queryOne(connection, "SHOW wal_level");
    } catch (SQLException e) {
      return "an unknown wal_level (" + firstLine(e) + ")";
    }
  }

  private static void checkPublication(Connection connection, Settings settings)
      throws SQLException {
    String problem;
    try (var query =
        connection.prepareStatement(
            "SELECT p.pubinsert, EXISTS (SELECT 1 FROM pg_publication_tables t"
                + " WHERE t.pubname = p.pubname AND t.schemaname = ? AND t.tablename = ?)"
                + " FROM pg_publication p WHERE p.pubname = ?")) {
      query.setString(1, settings.schema());
      query.setString(2, TransactionAssembler.EVENTS_TABLE);
      query.setString(3, settings.publication());
      try (var rows = query.executeQuery()) {
        if (!rows.next()) {
          problem = "it is missing";
        } else if (!rows.getBoolean(1) || !rows.getBoolean(2)) {
          problem =
              "it does not publish the inserts into "
                  + settings.schema()
                  + "."
                  + TransactionAssembler.EVENTS_TABLE;
        } else {
          return;
        }
      }
    }
    throw new CaptureUnavailable(
        CaptureUnavailable.PUBLICATION,
        "logical capture needs the publication "
            + settings.publication()
            + " of the inserts into "
            + settings.schema()
            + "."
            + TransactionAssembler.EVENTS_TABLE
            + " in database "
            + settings.database()
            + ", and "
            + problem,
        "55000",
        null);
  }

  private static LogSequenceNumber createSlot(Connection connection, String slot, Settings settings)
      throws SQLException {
    int waitSeconds = seconds(settings.slotCreationTimeout());
    // The query timeout cancels the command on the server, which then drops the half-made slot.
    // A socket timeout would only drop our end and leave a WAL sender waiting on the server.
    connection.setNetworkTimeout(
        Runnable::run,
        (int) (settings.slotCreationTimeout().toMillis() + settings.socketTimeout().toMillis()));
    try (var statement = connection.createStatement()) {
      statement.setQueryTimeout(waitSeconds);
      statement.execute(
          "CREATE_REPLICATION_SLOT " + slot + " TEMPORARY LOGICAL pgoutput NOEXPORT_SNAPSHOT");
      try (var rows = statement.getResultSet()) {
        if (rows == null || !rows.next()) {
          throw new SQLException("CREATE_REPLICATION_SLOT returned no row", "XX000");
        }
        return LogSequenceNumber.valueOf(rows.getString("consistent_point"));
      }
    } catch (SQLException e) {
      String message = String.valueOf(e.getMessage());
      if ("57014".equals(e.getSQLState())) {
        throw new SQLException(
            "creating the replication slot took longer than "
                + waitSeconds
                + " s: the server waits for every transaction that was writing when it began"
                + " to end (see pg_stat_activity for long or idle-in-transaction sessions)",
            e.getSQLState(),
            e);
      }
      if (message.contains("max_replication_slots") || message.contains("replication slots")) {
        throw new CaptureUnavailable(
            CaptureUnavailable.SLOT,
            "logical capture needs a free replication slot, and none is (max_replication_slots);"
                + " the server said: "
                + firstLine(e),
            e.getSQLState(),
            e);
      }
      if (message.contains("wal_level")) {
        throw new CaptureUnavailable(
            CaptureUnavailable.WAL_LEVEL,
            "logical capture needs wal_level=logical; the server said: " + firstLine(e),
            e.getSQLState(),
            e);
      }
      throw e;
    } finally {
      if (!connection.isClosed()) {
        connection.setNetworkTimeout(Runnable::run, (int) settings.socketTimeout().toMillis());
      }
    }
  }

  private static String queryOne(Connection connection, String sql) throws SQLException {
    try (var statement = connection.createStatement();
        var rows = statement.executeQuery(sql)) {
      rows.next();
      return rows.getString(1);
    }
  }

  private static int seconds(Duration duration) {
    return (int) Math.max(0, (duration.toMillis() + 999) / 1000);
  }

  /** The first line of the failure and of each cause, e.g. "... reading from copy: EOF". */
  private static String causes(Throwable e) {
    var text = new StringBuilder();
    for (Throwable t = e; t != null && text.length() < 300; t = t.getCause()) {
      String line = String.valueOf(t.getMessage()).lines().findFirst().orElse("");
      if (t != e) {
        text.append(": ");
      }
      text.append(t.getMessage() == null ? t.getClass().getSimpleName() : line);
    }
    return text.toString();
  }

  private static String firstLine(SQLException e) {
    return String.valueOf(e.getMessage()).lines().findFirst().orElse("");
  }

  private static void closeQuietly(Connection connection) {
    try {
      connection.close();
    } catch (SQLException ignored) {
      // Best effort: the server ends the WAL sender (and drops the slot) when the socket closes.
    }
  }
}
