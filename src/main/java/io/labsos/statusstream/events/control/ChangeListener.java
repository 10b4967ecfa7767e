package io.labsos.statusstream.events.control;

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
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
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
import org.eclipse.microprofile.metrics.MetricRegistry;
import org.postgresql.PGConnection;

/**
 * The one LISTEN loop of this instance. It runs as a long-running task on a managed executor, holds
 * one unpooled connection, and turns each new row of the event log into a {@link StatusEvent}.
 * NOTIFY only says which project changed; the events themselves are read from the log after a
 * per-project cursor, so nothing is lost when notifications are (connection lost, server
 * restarted): the catch-up after every (re)connect reads what was missed.
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
  @Inject MetricRegistry metrics;

  @Resource(lookup = "concurrent/listener")
  ManagedExecutorService executor;

  /** How long one wait for notifications lasts before the connection is pinged. */
  @Inject
  @ConfigProperty(name = "LISTENER_WAIT_MILLIS", defaultValue = "5000")
  int waitMillis;

  /** The last event id delivered, per project; absent: the project got its first event later. */
  private final Map<UUID, Long> cursors = new ConcurrentHashMap<>();

  private final CountDownLatch stopped = new CountDownLatch(1);
  private volatile boolean running = true;
  private volatile boolean connected;
  private volatile boolean initialized;
  private volatile Connection connection;
  private volatile Instant lastProgress = Instant.now();
  private volatile String lastFailure = "not connected yet";
  private Future<?> task;
  private Counter reconnects;

  void start(@Observes Startup startup) {
    reconnects = metrics.counter("status_stream_listener_reconnects");
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
   * When the loop last proved it is not wedged: a wait returned, a batch was read, a retry slept.
   */
  public Instant lastProgress() {
    return lastProgress;
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
      lastProgress = Instant.now();
      var notifications = pg.getNotifications(waitMillis);
      lastProgress = Instant.now();
      if (notifications == null || notifications.length == 0) {
        // Proves the connection still answers; a dead path fails here within the socket timeout.
        try (var ping = c.createStatement()) {
          ping.execute("SELECT 1");
        }
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
   * a reconnect, every project whose head moved is read from its cursor.
   */
  private void catchUp(Connection c) throws SQLException {
    var heads = log.heads(c);
    if (!initialized) {
      cursors.putAll(heads);
      initialized = true;
      return;
    }
    var moved = new ArrayList<UUID>();
    for (var head : heads.entrySet()) {
      if (head.getValue() > cursors.getOrDefault(head.getKey(), 0L)) {
        moved.add(head.getKey());
      }
    }
    deliverNew(c, moved);
  }

  /**
   * Reads and fires what is new in the given projects: one query for up to {@value
   * #PROJECTS_PER_READ} projects, again for those that had a full batch.
   */
  private void deliverNew(Connection c, Collection<UUID> projects) throws SQLException {
    var pending = new ArrayList<>(projects);
    while (!pending.isEmpty()) {
      var group = pending.subList(0, Math.min(PROJECTS_PER_READ, pending.size()));
      var from = new LinkedHashMap<UUID, Long>();
      for (var project : group) {
        from.put(project, cursors.getOrDefault(project, 0L));
      }
      group.clear();
      var read = new HashMap<UUID, Integer>();
      for (var event : log.afterEach(c, from, BATCH)) {
        events.fire(event);
        cursors.put(event.projectId(), event.id());
        read.merge(event.projectId(), 1, Integer::sum);
      }
      lastProgress = Instant.now();
      read.forEach(
          (project, count) -> {
            if (count == BATCH) {
              pending.add(project);
            }
          });
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
      lastProgress = Instant.now();
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
