package io.labsos.statusstream.events.control;

import io.labsos.statusstream.schema.control.Database;
import io.labsos.statusstream.schema.control.SchemaMigration;
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
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.logging.Level;
import java.util.logging.Logger;
import org.eclipse.microprofile.metrics.Counter;
import org.eclipse.microprofile.metrics.Metadata;
import org.eclipse.microprofile.metrics.MetricRegistry;

/**
 * {@code CHANGE_CAPTURE=kafka}: publishes the log to the topic, from exactly one instance at a
 * time. Every instance with {@code KAFKA_RELAY=true} runs this loop; the one that holds the relay's
 * PostgreSQL advisory lock publishes, the others try again every second. The lock belongs to the
 * relay's connection, so it is free the moment that instance dies or loses its database, and
 * another one takes over within a second or two.
 *
 * <p>It reads the log as an instance's listener does ({@code KAFKA_RELAY_CAPTURE}: {@link
 * NotifyCapture} or {@link LogicalCapture}, through a {@link Follower} that reads every project),
 * and starts from {@link RelayPositions}: what earlier relays had published and the brokers had
 * acknowledged. Each second it waits for the brokers to acknowledge everything sent (all in-sync
 * replicas), records how far each project got, and ticks every partition ({@link TopicRecords}). A
 * send that fails ends its turn: the connection closes, the lock is free, and the next relay, maybe
 * this one again, republishes from the recorded positions. So every entry is published at least
 * once, in order per project; instances drop what they already have.
 */
@ApplicationScoped
public class Relay {

  private static final Logger LOG = Logger.getLogger(Relay.class.getName());
  private static final long UNAVAILABLE_RETRY_MILLIS = 10_000;

  /** How often an instance that does not relay asks for the lock. */
  private static final long STANDBY_MILLIS = 1_000;

  /** How soon a project the log does not show yet (a commit not visible yet) is read again. */
  private static final Duration PENDING_WAIT = Duration.ofMillis(100);

  @Inject KafkaSettings settings;
  @Inject Database database;
  @Inject SchemaMigration schema;
  @Inject EventLog log;
  @Inject MetricRegistry metrics;

  @Resource(lookup = "concurrent/listener")
  ManagedExecutorService executor;

  @Inject EventSettings events;

  private final CountDownLatch stopped = new CountDownLatch(1);
  private volatile boolean running = true;
  private volatile boolean active;
  private volatile Connection connection;
  private volatile Capture capture;
  private Future<?> task;
  private Counter published;
  private Counter rowsRead;
  private Counter rewinds;

  void start(@Observes Startup startup) {
    if (!"kafka".equals(events.capture())
        || !settings.relays()
        || !events.problems().isEmpty()
        || !settings.problems().isEmpty()
        || database.problem().or(schema::problem).isPresent()) {
      // Not Kafka mode, or settings the listener reports (it does not start either).
      stopped.countDown();
      return;
    }
    published =
        metrics.counter(
            Metadata.builder()
                .withName("status_stream_relay_published")
                .withDescription("Log entries this instance published to Kafka as the relay")
                .build());
    rowsRead = metrics.counter("status_stream_relay_events_read");
    rewinds = metrics.counter("status_stream_relay_rewinds");
    metrics.gauge(
        Metadata.builder()
            .withName("status_stream_relay_active")
            .withDescription("1 while this instance is the relay that publishes the log to Kafka")
            .build(),
        this,
        relay -> relay.active ? 1 : 0);
    Runnable loop = this::run;
    task =
        executor.submit(
            ManagedExecutors.managedTask(
                loop,
                Map.of(
                    ManagedTask.LONGRUNNING_HINT,
                    "true",
                    ManagedTask.IDENTITY_NAME,
                    "status-stream relay"),
                null));
  }

  @PreDestroy
  void stop() {
    running = false;
    var current = capture;
    if (current != null) {
      current.close();
    }
    if (task != null) {
      task.cancel(true);
    }
    try {
      stopped.await(10, TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  /** Whether this instance publishes the log now. */
  public boolean isActive() {
    return active;
  }

  private void run() {
    int failures = 0;
    String impossible = null;
    try {
      while (running) {
        boolean wasActive = false;
        try (var c = database.openUnpooled()) {
          connection = c;
          schema.ensureCurrent();
          if (!lead(c)) {
            continue;
          }
          active = true;
          wasActive = true;
          LOG.info("This instance is the relay: it publishes the log to " + settings.topic());
          failures = 0;
          impossible = null;
          publish(c);
        } catch (CaptureUnavailable e) {
          if (!e.getMessage().equals(impossible)) {
            impossible = e.getMessage();
            LOG.warning("The relay cannot read the log (KAFKA_RELAY_CAPTURE): " + impossible);
          }
          Backoff.sleep(UNAVAILABLE_RETRY_MILLIS, () -> running);
        } catch (SQLException | RuntimeException e) {
          if (!running) {
            break;
          }
          failures++;
          // After a turn that failed, longer than a standby's interval: if the cause is this
          // instance's (its path to the brokers), another instance takes over.
          long delay = Math.max(Backoff.millis(failures), wasActive ? 2 * STANDBY_MILLIS : 0);
          LOG.log(
              failures == 1 ? Level.WARNING : Level.INFO,
              "The relay failed ({0}); it tries again in {1} ms",
              new Object[] {firstLine(e), delay});
          Backoff.sleep(delay, () -> running);
        } finally {
          if (active) {
            LOG.info("This instance is no longer the relay");
          }
          active = false;
          connection = null;
        }
      }
    } finally {
      stopped.countDown();
    }
  }

  /** Waits for the relay's lock; false when the instance stops first. */
  private boolean lead(Connection c) throws SQLException {
    try (var name = c.createStatement()) {
      // Which process holds the lock, for operators looking at pg_stat_activity and pg_locks.
      name.execute(
          "SET application_name = 'status-stream relay " + ProcessHandle.current().pid() + "'");
    }
    try (var lock =
        c.prepareStatement(
            "SELECT pg_try_advisory_lock(hashtextextended('status-stream relay '"
                + " || current_schema(), 0))")) {
      while (running) {
        try (var rows = lock.executeQuery()) {
          rows.next();
          if (rows.getBoolean(1)) {
            return true;
          }
        }
        Backoff.sleep(STANDBY_MILLIS, () -> running);
      }
    }
    return false;
  }

  /** One turn as the relay: until the instance stops or something fails. */
  private void publish(Connection c) throws SQLException {
    try (var source = newCapture();
        var topic = new RelayTopic(settings, settings.clientId("relay"), published)) {
      capture = source;
      topic.ensureExists();
      source.open(c);
      var follower = new Follower(log, topic, project -> true, rowsRead, rewinds);
      var positions = RelayPositions.load(c);
      if (positions.isEmpty()) {
        // The first relay of this database: the log's history is replayed from PostgreSQL, the
        // topic starts at the heads.
        positions = log.heads(c);
        RelayPositions.save(c, positions);
      } else {
        RelayPositions.forgetGone(c);
      }
      follower.startAt(positions);
      follower.catchUp(c);
      long nextTick = System.nanoTime();
      while (running) {
        if (System.nanoTime() - nextTick >= 0) {
          RelayPositions.save(c, topic.acknowledged());
          topic.tick();
          nextTick = System.nanoTime() + KafkaSettings.TICK.toNanos();
        }
        var untilTick = Duration.ofNanos(Math.max(1_000_000, nextTick - System.nanoTime()));
        var changes =
            source.poll(c, follower.hasPending() ? min(PENDING_WAIT, untilTick) : untilTick);
        if (!changes.isEmpty() || follower.hasPending()) {
          follower.apply(c, changes);
        }
        topic.checkSends();
      }
      RelayPositions.save(c, topic.acknowledged());
    } finally {
      capture = null;
    }
  }

  private Capture newCapture() {
    if (settings.relayReadsLogically()) {
      return new LogicalCapture(schemaName -> LogicalFeed.Settings.of(database, schemaName));
    }
    return new NotifyCapture();
  }

  private static Duration min(Duration a, Duration b) {
    return a.compareTo(b) < 0 ? a : b;
  }

  private static String firstLine(Exception e) {
    var message = String.valueOf(e.getMessage()).lines().findFirst().orElse("");
    return e.getClass().getSimpleName() + ": " + message;
  }
}
