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
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Future;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.logging.Level;
import java.util.logging.Logger;
import org.eclipse.microprofile.config.inject.ConfigProperty;
import org.eclipse.microprofile.metrics.Counter;
import org.eclipse.microprofile.metrics.Metadata;
import org.eclipse.microprofile.metrics.MetricRegistry;
import org.postgresql.PGConnection;

/**
 * The one LISTEN loop of this instance. It runs as a long-running task on a managed executor, holds
 * one unpooled connection, and turns each new row of the event log into a {@link StatusEvent}.
 * NOTIFY only says which project changed; the events themselves are read from the log after a
 * per-project cursor, so nothing is lost when notifications are (connection lost, server
 * restarted): the catch-up after every (re)connect reads what was missed.
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

  @Inject SchemaMigration schema;
  @Inject Database database;
  @Inject EventLog log;
  @Inject Event<StatusEvent> events;
  @Inject Event<ProjectReset> resets;
  @Inject MetricRegistry metrics;

  @Resource(lookup = "concurrent/listener")
  ManagedExecutorService executor;

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
  private volatile Instant lastProgress = Instant.now();
  private volatile Instant disconnectedSince = Instant.now();
  private volatile String lastFailure = "not connected yet";
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
    try {
      while (running) {
        try {
          schema.ensureMigrated();
          try (var c = database.openUnpooled()) {
            connection = c;
            try (var listen = c.createStatement()) {
              listen.execute("LISTEN " + CHANNEL);
            }
            catchUp(c);
            connected = true;
            if (failures > 0) {
              reconnects.inc();
              LOG.info("Listener reconnected and caught up after " + failures + " failed attempts");
            }
            failures = 0;
            listen(c);
          }
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

  private void listen(Connection c) throws SQLException {
    var pg = c.unwrap(PGConnection.class);
    while (running) {
      var notifications = pg.getNotifications(waitMillis);
      lastProgress = Instant.now();
      if (notifications == null || notifications.length == 0) {
        // Proves the connection still answers; a dead path fails here within the socket timeout.
        try (var ping = c.createStatement()) {
          ping.execute("SELECT 1");
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
