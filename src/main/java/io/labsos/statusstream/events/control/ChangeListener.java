package io.labsos.statusstream.events.control;

import io.labsos.statusstream.events.entity.ProjectReset;
import io.labsos.statusstream.events.entity.ProjectReset.Reason;
import io.labsos.statusstream.events.entity.StatusEvent;
import io.labsos.statusstream.schema.control.SchemaMigration;
import jakarta.annotation.PreDestroy;
import jakarta.annotation.Resource;
import jakarta.enterprise.concurrent.ManagedExecutorService;
import jakarta.enterprise.concurrent.ManagedExecutors;
import jakarta.enterprise.concurrent.ManagedTask;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Event;
import jakarta.enterprise.event.Observes;
import jakarta.enterprise.event.Startup;
import jakarta.inject.Inject;
import java.sql.Connection;
import java.sql.SQLException;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Future;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.logging.Level;
import java.util.logging.Logger;
import org.eclipse.microprofile.config.Config;
import org.eclipse.microprofile.config.inject.ConfigProperty;
import org.eclipse.microprofile.metrics.Counter;
import org.eclipse.microprofile.metrics.Metadata;
import org.eclipse.microprofile.metrics.MetricRegistry;
import org.postgresql.PGConnection;

/**
 * The one listener of this instance. It runs as a long-running task on a managed executor, holds
 * one unpooled connection, and turns each new row of the event log into a {@link StatusEvent}.
 *
 * <p>Two ways to learn of new rows ({@code CHANGE_CAPTURE}). {@code notify} (the default, any
 * PostgreSQL): the trigger NOTIFYs the project's id and the listener reads the log after the
 * project's cursor. {@code logical}: the trigger does not NOTIFY (whose commit lock serialises all
 * notifying writers); the inserts into the log arrive in commit order through logical replication
 * ({@link LogicalFeed}, a temporary slot of this instance's own). Either way the log is the truth:
 * after every (re)connect the listener catches up from it by its cursors, so nothing depends on a
 * notification or a slot surviving. Logical mode asked for and not possible (wal_level, rights,
 * slots) is reported, never replaced by notify: the instance stays not ready and says why.
 *
 * <p>Rows are read only for the projects that have streams on this instance ({@link #watch}); the
 * cursors of the others advance from their heads, so an instance's reads grow with what its own
 * clients get, not with every write to the database.
 *
 * <p>What the log says is checked, not assumed: when a project's head went back, its first new
 * event does not name the cursor as its predecessor, or its head is gone, the project's streams get
 * a {@link ProjectReset} instead of a silent gap. A failure while an event is handed on is the
 * delivery's, not the connection's: it is logged and counted once, the project's streams are reset,
 * and the loop goes on with the next event.
 *
 * <p>Threads: everything but {@link #watch}, {@link #unwatch} and the health getters runs on the
 * loop's own thread; the cursors are the loop's alone.
 */
@ApplicationScoped
public class ChangeListener {

  public static final String CHANNEL = "status_stream";
  private static final Logger LOG = Logger.getLogger(ChangeListener.class.getName());
  private static final int BATCH = 500;
  private static final int PROJECTS_PER_READ = 500;
  private static final long MAX_BACKOFF_MILLIS = 3_000;
  private static final long UNAVAILABLE_RETRY_MILLIS = 10_000;

  @Inject SchemaMigration schema;
  @Inject Database database;
  @Inject EventLog log;
  @Inject Event<StatusEvent> events;
  @Inject Event<ProjectReset> resets;
  @Inject MetricRegistry metrics;

  @Resource(lookup = "concurrent/listener")
  ManagedExecutorService executor;

  /** {@code notify} or {@code logical}: see the class comment. */
  @Inject
  @ConfigProperty(name = "CHANGE_CAPTURE", defaultValue = "notify")
  String capture;

  @Inject Config config;

  /** How long one wait for notifications lasts before the connection is pinged. */
  @Inject
  @ConfigProperty(name = "LISTENER_WAIT_MILLIS", defaultValue = "5000")
  int waitMillis;

  /** The last event id delivered (or skipped over), per project. Written by the loop only. */
  private final Map<UUID, Long> cursors = new ConcurrentHashMap<>();

  /** Projects with streams on this instance: the only ones whose rows are read. */
  private final Set<UUID> watched = ConcurrentHashMap.newKeySet();

  private final CountDownLatch stopped = new CountDownLatch(1);
  private volatile boolean running = true;
  private volatile boolean connected;
  private volatile boolean initialized;
  private volatile Connection connection;
  private volatile LogicalFeed feed;
  private volatile Instant lastProgress = Instant.now();
  private volatile Instant disconnectedSince = Instant.now();
  private volatile String lastFailure = "not connected yet";

  /** Why the listener cannot work at all (not a passing outage), as a fixed text; or null. */
  private volatile String problem;

  private Future<?> task;
  private Counter reconnects;
  private Counter rowsRead;
  private Counter deliveryFailures;
  private Counter rewinds;

  void start(@Observes Startup startup) {
    reconnects = metrics.counter("status_stream_listener_reconnects");
    rowsRead =
        metrics.counter(
            Metadata.builder()
                .withName("status_stream_listener_events_read")
                .withDescription("Events the listener read from the log (projects with streams)")
                .build());
    deliveryFailures =
        metrics.counter(
            Metadata.builder()
                .withName("status_stream_delivery_failures")
                .withDescription("Events whose delivery failed on this instance")
                .build());
    rewinds =
        metrics.counter(
            Metadata.builder()
                .withName("status_stream_history_rewinds")
                .withDescription("Times a project's log did not continue what was delivered")
                .build());
    metrics.gauge(
        Metadata.builder()
            .withName("status_stream_listener_projects")
            .withDescription("Projects whose position the listener keeps")
            .build(),
        cursors,
        Map::size);
    if (!"notify".equals(capture) && !logical()) {
      lastFailure = "CHANGE_CAPTURE must be notify or logical";
      problem = lastFailure;
      LOG.severe(lastFailure + ": the listener does not start, the instance stays not ready");
      stopped.countDown();
      return;
    }
    Runnable loop = this::run;
    task =
        executor.submit(
            ManagedExecutors.managedTask(
                loop,
                Map.of(
                    ManagedTask.LONGRUNNING_HINT,
                    "true",
                    ManagedTask.IDENTITY_NAME,
                    "status-stream change listener"),
                null));
  }

  @PreDestroy
  void stop() {
    running = false;
    var current = feed;
    if (current != null) {
      current.close();
    }
    closeQuietly(connection);
    if (task != null) {
      task.cancel(true);
    }
    try {
      stopped.await(10, TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  /** Connected, listening and caught up with the log. */
  public boolean isConnected() {
    return connected;
  }

  public String lastFailure() {
    return lastFailure;
  }

  /**
   * Why the listener cannot work as configured (logical capture not possible, an unknown capture
   * mode), as a fixed text that names no host, user or database: what readiness may show anyone.
   */
  public Optional<String> problem() {
    return Optional.ofNullable(problem);
  }

  /**
   * How long the listener has been without its connection (zero while connected): what ends the
   * streams of an instance that cannot get back to its database.
   */
  public Duration unavailableFor() {
    return connected ? Duration.ZERO : Duration.between(disconnectedSince, Instant.now());
  }

  /**
   * When the loop last completed a round trip to the database: a wait that returned, a read, a
   * ping. Retrying a connection that fails is not progress.
   */
  public Instant lastProgress() {
    return lastProgress;
  }

  /** Starts reading the project's rows: it has a stream here. */
  public void watch(UUID project) {
    watched.add(project);
  }

  /** Stops reading the project's rows: its last stream here ended. */
  public void unwatch(UUID project) {
    watched.remove(project);
  }

  private void run() {
    int failures = 0;
    String unavailable = null;
    try {
      while (running) {
        try {
          schema.ensureMigrated();
          try (var c = database.openUnpooled()) {
            connection = c;
            if (logical()) {
              prepareLogicalCapture(c);
              try (var opened = LogicalFeed.open(LogicalFeed.Settings.from(this::setting))) {
                feed = opened;
                notifyOff(c);
                catchUp(c);
                failures = connected(failures);
                unavailable = null;
                consume(c, opened);
              } finally {
                feed = null;
              }
            } else {
              try (var listen = c.createStatement()) {
                listen.execute("LISTEN " + CHANNEL);
              }
              notifyOn(c);
              catchUp(c);
              failures = connected(failures);
              listen(c);
            }
          }
        } catch (LogicalFeed.CaptureUnavailable e) {
          // Not a connection problem: the database cannot do what was asked. Said once per reason,
          // and retried slowly, in case an operator fixes it.
          connected = false;
          lastFailure = e.getMessage();
          problem = e.reason();
          if (!e.getMessage().equals(unavailable)) {
            unavailable = e.getMessage();
            LOG.warning("CHANGE_CAPTURE=logical is not possible: " + unavailable);
          }
          sleep(UNAVAILABLE_RETRY_MILLIS);
        } catch (SQLException | RuntimeException e) {
          if (connected) {
            disconnectedSince = Instant.now();
          }
          connected = false;
          if (!running) {
            break;
          }
          failures++;
          lastFailure = describe(e);
          long delay = backoffMillis(failures);
          LOG.log(
              failures == 1 ? Level.WARNING : Level.INFO,
              "Listener connection lost or unavailable ({0}); retry {1} in {2} ms",
              new Object[] {lastFailure, failures, delay});
          sleep(delay);
        } finally {
          connection = null;
        }
      }
    } finally {
      connected = false;
      stopped.countDown();
    }
  }

  private int connected(int failures) {
    connected = true;
    problem = null;
    if (failures > 0) {
      reconnects.inc();
      LOG.info("Listener reconnected and caught up after " + failures + " failed attempts");
    }
    return 0;
  }

  private boolean logical() {
    return "logical".equals(capture);
  }

  private Optional<String> setting(String name) {
    return config.getOptionalValue(name, String.class);
  }

  private void listen(Connection c) throws SQLException {
    var pg = c.unwrap(PGConnection.class);
    while (running) {
      var notifications = pg.getNotifications(waitMillis);
      lastProgress = Instant.now();
      if (notifications == null || notifications.length == 0) {
        // Proves the connection still answers (a dead path fails here within the socket
        // timeout), and that the triggers still NOTIFY: an instance in logical mode turns that
        // off; this one then turns it on again and reads what it was not told of.
        if (notifyOn(c)) {
          catchUp(c);
        }
        lastProgress = Instant.now();
        continue;
      }
      Set<UUID> projects = new LinkedHashSet<>();
      for (var n : notifications) {
        try {
          projects.add(UUID.fromString(n.getParameter()));
        } catch (IllegalArgumentException ignored) {
          // Not ours: another writer used the channel. The log is the truth, nothing to read.
        }
      }
      deliverNew(c, projects);
    }
  }

  /**
   * Makes sure the triggers NOTIFY. Returns whether they did not: some instance runs with {@code
   * CHANGE_CAPTURE=logical} (all instances should use one mode).
   */
  private boolean notifyOn(Connection c) throws SQLException {
    try (var update = c.createStatement()) {
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

  /**
   * Logical capture needs the publications of the log: created here, once, if missing (that needs
   * the CREATE right on the database).
   */
  private void prepareLogicalCapture(Connection c) throws SQLException {
    for (var publication :
        Map.of(
                LogicalFeed.EVENTS_PUBLICATION,
                "FOR TABLE status_events WITH (publish = 'insert')",
                LogicalFeed.HEADS_PUBLICATION,
                "FOR TABLE status_event_heads WITH (publish = 'delete')")
            .entrySet()) {
      try (var exists = c.prepareStatement("SELECT 1 FROM pg_publication WHERE pubname = ?")) {
        exists.setString(1, publication.getKey());
        try (var rows = exists.executeQuery()) {
          if (rows.next()) {
            continue;
          }
        }
      }
      var create = "CREATE PUBLICATION " + publication.getKey() + " " + publication.getValue();
      try (var statement = c.createStatement()) {
        statement.execute(create);
        LOG.info("Created the publication " + publication.getKey() + " for logical capture");
      } catch (SQLException e) {
        throw new LogicalFeed.CaptureUnavailable(
            LogicalFeed.CaptureUnavailable.PUBLICATIONS,
            "logical capture needs the publication "
                + publication.getKey()
                + ", and creating it failed ("
                + String.valueOf(e.getMessage()).lines().findFirst().orElse("")
                + "); create it as a user with CREATE on the database: "
                + create,
            "42501",
            e);
      }
    }
    lastProgress = Instant.now();
  }

  /** Once the feed is open, the triggers need not NOTIFY (their commit lock is what it avoids). */
  private void notifyOff(Connection c) throws SQLException {
    try (var update = c.createStatement()) {
      update.executeUpdate("UPDATE status_stream_capture SET notify = false WHERE notify");
    }
  }

  /**
   * Logical mode: the log's inserts and the deleted heads, whole transactions in commit order. The
   * log connection is pinged when the feed is quiet, so a dead path shows there too.
   */
  private void consume(Connection c, LogicalFeed feed) throws SQLException {
    while (running) {
      var transactions = feed.poll(Duration.ofMillis(waitMillis));
      lastProgress = Instant.now();
      if (transactions.isEmpty()) {
        try (var ping = c.createStatement()) {
          ping.execute("SELECT 1");
        }
        lastProgress = Instant.now();
        continue;
      }
      for (var transaction : transactions) {
        for (var row : transaction.events()) {
          accept(row.toStatusEvent());
        }
        for (var project : transaction.deletedHeads()) {
          if (cursors.remove(project) != null) {
            reset(project, 0, Reason.DELETED);
          }
        }
      }
    }
  }

  /** One inserted event, in commit order: fired if its project has streams here. */
  private void accept(StatusEvent event) {
    var project = event.projectId();
    var cursor = cursors.get(project);
    if (cursor != null && event.id() <= cursor) {
      return; // the catch-up after the feed opened delivered it already
    }
    if (watched.contains(project)) {
      long from = cursor == null ? 0 : cursor;
      if (event.prevId() != from) {
        rewound(project, event.prevId());
      }
      fire(event);
    }
    cursors.put(project, event.id());
  }

  /**
   * Reads what was committed while we were not listening. The first time, every existing project
   * starts at its head (there is nobody to deliver history to: streams replay it themselves); after
   * a reconnect, every project whose head differs from its cursor, or is gone, is read.
   */
  private void catchUp(Connection c) throws SQLException {
    var heads = log.heads(c);
    lastProgress = Instant.now();
    if (!initialized) {
      cursors.putAll(heads);
      initialized = true;
      return;
    }
    var moved = new ArrayList<UUID>();
    for (var cursor : cursors.entrySet()) {
      if (!cursor.getValue().equals(heads.get(cursor.getKey()))) {
        moved.add(cursor.getKey());
      }
    }
    for (var head : heads.keySet()) {
      if (!cursors.containsKey(head)) {
        moved.add(head);
      }
    }
    deliverNew(c, moved);
  }

  /**
   * Brings the given projects' cursors to their heads: the rows of watched projects are read and
   * fired (one query for up to {@value #PROJECTS_PER_READ} projects, again for those that had a
   * full batch); the others just take their head, read before they are checked for streams, so a
   * stream that starts meanwhile finds everything after that head in the log or gets it from here.
   */
  private void deliverNew(Connection c, Collection<UUID> projects) throws SQLException {
    var pending = new ArrayList<UUID>();
    var others = new ArrayList<UUID>();
    for (var project : projects) {
      (watched.contains(project) ? pending : others).add(project);
    }
    if (!others.isEmpty()) {
      var heads = log.heads(c, others);
      lastProgress = Instant.now();
      for (var project : others) {
        if (watched.contains(project)) {
          pending.add(project);
        } else {
          moveTo(project, heads.get(project));
        }
      }
    }
    while (!pending.isEmpty()) {
      var group = pending.subList(0, Math.min(PROJECTS_PER_READ, pending.size()));
      var from = new LinkedHashMap<UUID, Long>();
      for (var project : group) {
        from.put(project, cursors.getOrDefault(project, 0L));
      }
      group.clear();
      var reads = log.afterEach(c, from, BATCH);
      lastProgress = Instant.now();
      for (var read : reads) {
        rowsRead.inc(read.events().size());
        if (deliver(read, from.get(read.project())) == BATCH) {
          pending.add(read.project());
        }
      }
    }
  }

  /** An unwatched project's cursor takes its head; a project without one is forgotten. */
  private void moveTo(UUID project, Long head) {
    if (head == null) {
      cursors.remove(project);
    } else {
      cursors.put(project, head);
    }
  }

  /** Fires what one read found after {@code cursor}; returns the number of events read. */
  private int deliver(EventLog.Read read, long cursor) {
    var project = read.project();
    if (read.head() == null) {
      if (cursors.remove(project) != null) {
        reset(project, 0, Reason.DELETED);
      }
      return 0;
    }
    if (read.events().isEmpty()) {
      if (read.head() != cursor) {
        // The head went back (a restore, a failover), or what followed the cursor was purged.
        rewound(project, read.head());
      }
      return 0;
    }
    var first = read.events().get(0);
    if (first.prevId() != cursor) {
      rewound(project, first.prevId());
    }
    for (var event : read.events()) {
      fire(event);
      cursors.put(project, event.id());
    }
    return read.events().size();
  }

  private void rewound(UUID project, long position) {
    rewinds.inc();
    LOG.log(
        Level.WARNING,
        "The log of project {0} does not continue event {1}; its streams resync at {2}",
        new Object[] {project, cursors.get(project), position});
    cursors.put(project, position);
    reset(project, position, Reason.REWOUND);
  }

  /** Hands an event on; a failure there is the delivery's, never the connection's. */
  private void fire(StatusEvent event) {
    try {
      events.fire(event);
    } catch (RuntimeException e) {
      deliveryFailures.inc();
      LOG.log(
          Level.WARNING,
          "Delivering event "
              + event.id()
              + " of project "
              + event.projectId()
              + " failed; its streams end and resume from the log",
          e);
      reset(event.projectId(), event.id(), Reason.DELIVERY_FAILED);
    }
  }

  private void reset(UUID project, long position, Reason reason) {
    try {
      resets.fire(new ProjectReset(project, position, reason));
    } catch (RuntimeException e) {
      deliveryFailures.inc();
      LOG.log(Level.WARNING, "Resetting the streams of project " + project + " failed", e);
    }
  }

  /** The first line of the failure: enough for an operator, short enough for a health check. */
  private static String describe(Exception e) {
    var message = String.valueOf(e.getMessage()).lines().findFirst().orElse("");
    return e.getClass().getSimpleName() + ": " + message;
  }

  private static long backoffMillis(int failures) {
    long base = Math.min(MAX_BACKOFF_MILLIS, 250L << Math.min(failures - 1, 10));
    return base / 2 + ThreadLocalRandom.current().nextLong(base / 2 + 1);
  }

  private void sleep(long millis) {
    long until = System.currentTimeMillis() + millis;
    while (running && System.currentTimeMillis() < until) {
      try {
        Thread.sleep(Math.min(200, Math.max(1, until - System.currentTimeMillis())));
      } catch (InterruptedException e) {
        if (!running) {
          return;
        }
      }
    }
  }

  private static void closeQuietly(Connection c) {
    if (c != null) {
      try {
        c.close();
      } catch (SQLException ignored) {
        // Closing is best effort: the loop notices a dead connection by itself.
      }
    }
  }
}
