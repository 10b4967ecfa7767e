package io.labsos.statusstream.events.control;

import io.labsos.statusstream.schema.control.Database;
import io.labsos.statusstream.schema.control.SchemaMigration;
import io.labsos.statusstream.schema.control.SchemaNotCurrent;
import jakarta.annotation.PreDestroy;
import jakarta.annotation.Resource;
import jakarta.enterprise.concurrent.ManagedExecutorService;
import jakarta.enterprise.concurrent.ManagedExecutors;
import jakarta.enterprise.concurrent.ManagedTask;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import jakarta.enterprise.event.Startup;
import jakarta.inject.Inject;
import java.sql.Connection;
import java.sql.SQLException;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.logging.Level;
import java.util.logging.Logger;
import org.eclipse.microprofile.metrics.Counter;
import org.eclipse.microprofile.metrics.Metadata;
import org.eclipse.microprofile.metrics.MetricRegistry;

/**
 * The one listener of this instance: a long-running task on a managed executor that holds one
 * unpooled connection to the log, opens the configured {@link Capture}, and hands what it reports
 * to the {@link LogFollower}, which fires the CDI events. Connections fail; the loop reconnects
 * with exponential backoff and jitter, and catches up from the log each time, so nothing depends on
 * a notification or a slot surviving.
 *
 * <p>Health, as the checks and the streams read it ({@link ListenerState}): connected and caught
 * up; how long it has been without its database; why it cannot work at all (a fixed text); when its
 * loop last moved. An attempt to connect that fails is the loop moving: only a loop stuck where it
 * should not be counts as not alive.
 */
@ApplicationScoped
public class ChangeListener {

  private static final Logger LOG = Logger.getLogger(ChangeListener.class.getName());
  private static final long UNAVAILABLE_RETRY_MILLIS = 10_000;

  /** How often a project the log does not show yet (a commit not visible yet) is read again. */
  private static final Duration PENDING_WAIT = Duration.ofMillis(100);

  @Inject SchemaMigration schema;
  @Inject Database database;
  @Inject LogFollower follower;
  @Inject MetricRegistry metrics;
  @Inject KafkaSettings kafka;

  @Resource(lookup = "concurrent/listener")
  ManagedExecutorService executor;

  @Inject EventSettings settings;

  private final ListenerState state = new ListenerState();
  private final CountDownLatch stopped = new CountDownLatch(1);
  private volatile boolean running = true;
  private volatile Connection connection;
  private volatile Capture capture;
  private Future<?> task;
  private Counter reconnects;
  private Counter foreignRecords;

  void start(@Observes Startup startup) {
    reconnects = metrics.counter("status_stream_listener_reconnects");
    var refused = new ArrayList<>(settings.problems());
    if ("kafka".equals(settings.capture())) {
      refused.addAll(kafka.problems());
    }
    if (!refused.isEmpty()) {
      var problem = String.join("; ", refused);
      state.impossible(problem, problem);
      LOG.severe(problem + ": the listener does not start, the instance stays not ready");
      stopped.countDown();
      return;
    }
    var unusable = database.problem().or(schema::problem);
    if (unusable.isPresent()) {
      // Database and SchemaMigration say why, once, at start.
      state.impossible(unusable.get(), unusable.get());
      stopped.countDown();
      return;
    }
    if ("kafka".equals(settings.capture())) {
      foreignRecords =
          metrics.counter(
              Metadata.builder()
                  .withName("status_stream_kafka_foreign_records")
                  .withDescription("Records on the topic that are not the relay's, skipped")
                  .build());
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
    var current = capture;
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

  /** Connected, capturing and caught up with the log. */
  public boolean isConnected() {
    return state.connected();
  }

  public String lastFailure() {
    return state.lastFailure();
  }

  /**
   * Why the listener cannot work as configured (logical capture not possible, an unknown capture
   * mode), as a fixed text that names no host, user or database: what readiness may show anyone.
   */
  public Optional<String> problem() {
    return state.problem();
  }

  /**
   * How long the listener has been without its database (zero while connected): what ends the
   * streams of an instance that cannot get back to its database.
   */
  public Duration unavailableFor() {
    return state.unavailableFor();
  }

  /** When the loop last moved: a round trip to the database, or an attempt to connect. */
  public Instant lastProgress() {
    return state.lastProgress();
  }

  /** Starts reading the project's rows: it has a stream here. */
  public void watch(UUID project) {
    follower.watch(project);
  }

  /** Stops reading the project's rows: its last stream here ended. */
  public void unwatch(UUID project) {
    follower.unwatch(project);
  }

  private void run() {
    int failures = 0;
    String impossible = null;
    try {
      while (running) {
        try (var opened = newCapture()) {
          schema.ensureCurrent();
          state.moved();
          try (var c = database.openUnpooled()) {
            connection = c;
            capture = opened;
            opened.open(c);
            follower.catchUp(c);
            state.up();
            if (failures > 0) {
              reconnects.inc();
              LOG.info("Listener reconnected and caught up after " + failures + " failed attempts");
            }
            failures = 0;
            impossible = null;
            follow(c, opened);
          }
        } catch (CaptureUnavailable e) {
          state.impossible(e.reason(), e.getMessage());
          if (!e.getMessage().equals(impossible)) {
            impossible = e.getMessage();
            LOG.warning("CHANGE_CAPTURE=" + settings.capture() + " is not possible: " + impossible);
          }
          sleep(UNAVAILABLE_RETRY_MILLIS);
        } catch (SchemaNotCurrent e) {
          // A migration step that has not run yet, or failed: not worth a retry every few seconds.
          state.lost(e.reason());
          if (!e.getMessage().equals(impossible)) {
            impossible = e.getMessage();
            LOG.warning(
                e.getMessage()
                    + "; the instance stays not ready and checks again every "
                    + UNAVAILABLE_RETRY_MILLIS / 1000
                    + " s");
          }
          sleep(UNAVAILABLE_RETRY_MILLIS);
        } catch (SQLException | RuntimeException e) {
          if (!running) {
            break;
          }
          failures++;
          if (e instanceof CaptureFailed failed) {
            state.lost(describe(e), failed.reason());
          } else {
            state.lost(describe(e));
          }
          long delay = Backoff.millis(failures);
          LOG.log(
              failures == 1 ? Level.WARNING : Level.INFO,
              "Listener connection lost or unavailable ({0}); retry {1} in {2} ms",
              new Object[] {state.lastFailure(), failures, delay});
          sleep(delay);
        } finally {
          connection = null;
          capture = null;
        }
      }
    } finally {
      state.lost("stopped");
      stopped.countDown();
    }
  }

  private Capture newCapture() {
    if ("logical".equals(settings.capture())) {
      return new LogicalCapture(schemaName -> LogicalFeed.Settings.of(database, schemaName));
    }
    if ("kafka".equals(settings.capture())) {
      return new KafkaCapture(kafka, kafka.clientId("instance"), foreignRecords);
    }
    return new NotifyCapture();
  }

  private void follow(Connection c, Capture opened) throws SQLException {
    var wait = settings.listenerWait();
    while (running) {
      var changes = opened.poll(c, follower.hasPending() ? PENDING_WAIT : wait);
      state.moved();
      if (!changes.isEmpty() || follower.hasPending()) {
        follower.apply(c, changes);
        state.moved();
      }
    }
  }

  /** The first line of the failure: enough for an operator, short enough for a health check. */
  private static String describe(Exception e) {
    var message = String.valueOf(e.getMessage()).lines().findFirst().orElse("");
    return e.getClass().getSimpleName() + ": " + message;
  }

  private void sleep(long millis) {
    Backoff.sleep(millis, () -> running);
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
