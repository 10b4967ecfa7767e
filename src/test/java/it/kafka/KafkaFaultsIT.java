package it.kafka;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import it.Db;
import it.Http;
import it.JarServer;
import it.KafkaBroker;
import it.ResumingClient;
import it.ServiceTest;
import java.net.URI;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.UUID;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code CHANGE_CAPTURE=kafka} against a real broker, while workers write: the broker restarts, the
 * relay's instance dies mid-batch, an instance falls behind the topic's retention, the topic is
 * deleted and re-created, the broker is not there when an instance starts. In each, every watcher
 * gets every event, in order, once, none later than {@link Traffic#LONGEST_WAIT}.
 */
class KafkaFaultsIT extends ServiceTest {

  private static final int PORT = 9187;
  private static final String TOPIC = "status-stream-events";

  @TempDir static Path work;

  private static final KafkaBroker broker = KafkaBroker.shared();

  private static List<ResumingClient> watch(URI server, List<UUID> projects) {
    var watchers = new ArrayList<ResumingClient>();
    for (var project : projects) {
      watchers.add(
          ResumingClient.watch(server.resolve("/api/projects/" + project + "/status"), "alice"));
    }
    watchers.forEach(ResumingClient::awaitConnected);
    return watchers;
  }

  private static void assertAllComplete(List<ResumingClient> watchers, List<UUID> projects) {
    for (int i = 0; i < projects.size(); i++) {
      Traffic.assertComplete(watchers.get(i), projects.get(i));
    }
  }

  private static JarServer instance(String... settings) {
    var java = Path.of(System.getProperty("java.home"), "bin", "java");
    return new JarServer(java, work, PORT, JarServer.trustingTestTokens(settings));
  }

  @Test
  void aBrokerRestartUnderLoadLosesNothing() throws Exception {
    broker.assumeControllable();
    try (var traffic = new Traffic(3, 1)) {
      var watchers = watch(uri(), traffic.projects());
      traffic.start();
      try {
        traffic.awaitWrites(30);
        broker.restart();
        traffic.awaitWrites(60);
        traffic.stop();
        assertAllComplete(watchers, traffic.projects());
      } finally {
        watchers.forEach(ResumingClient::close);
      }
    }
  }

  @Test
  void anotherInstanceTakesOverWhenTheRelaysInstanceIsKilledMidBatch() throws Exception {
    try (var other = instance().start();
        var traffic = new Traffic(3, 400)) {
      var watchers = watch(uri(), traffic.projects());
      traffic.start();
      try {
        makeRelay(other);
        traffic.awaitWrites(40);
        other.kill();
        await()
            .atMost(Duration.ofSeconds(10))
            .until(() -> relayPid().filter(pid -> !other.pids().contains(pid)).isPresent());
        traffic.awaitWrites(40);
        traffic.stop();
        assertAllComplete(watchers, traffic.projects());
      } finally {
        watchers.forEach(ResumingClient::close);
      }
    }
  }

  @Test
  void anInstanceThatFellBehindTheTopicsRetentionCatchesUpFromTheLog() throws Exception {
    try (var other = instance("KAFKA_RELAY", "false").start();
        var traffic = new Traffic(2, 1)) {
      var watchers = watch(other.uri("/"), traffic.projects());
      traffic.start();
      try {
        traffic.awaitWrites(10);
        other.suspend();
        try {
          traffic.awaitWrites(100);
          // Retention took everything the frozen instance had not read.
          broker.deleteRecordsToEnd(TOPIC);
          traffic.awaitWrites(10);
        } finally {
          other.resume();
        }
        traffic.awaitWrites(20);
        traffic.stop();
        assertAllComplete(watchers, traffic.projects());
      } finally {
        watchers.forEach(ResumingClient::close);
      }
    }
  }

  @Test
  void aTopicDeletedAndRecreatedLosesNothing() throws Exception {
    try (var traffic = new Traffic(3, 1)) {
      var watchers = watch(uri(), traffic.projects());
      traffic.start();
      try {
        traffic.awaitWrites(30);
        int partitions = broker.partitions(TOPIC);
        broker.deleteTopic(TOPIC);
        try {
          broker.createTopic(TOPIC, partitions + 2);
        } catch (RuntimeException e) {
          // The relay re-created it first, as it does when its topic is gone.
        }
        traffic.awaitWrites(60);
        traffic.stop();
        assertAllComplete(watchers, traffic.projects());
      } finally {
        watchers.forEach(ResumingClient::close);
      }
    }
  }

  @Test
  void anInstanceStartedWhileTheBrokerIsDownSaysWhyAndBecomesReadyWhenItIsBack() throws Exception {
    broker.assumeControllable();
    var project = Db.project("alice");
    var source = Db.source(project);
    broker.stop();
    try (var other = instance().launch()) {
      try {
        var ready = other.uri("/health/ready");
        await()
            .atMost(Duration.ofSeconds(90))
            .ignoreExceptions()
            .until(() -> Http.get(ready).body().contains("kafka: no broker answers"));
        assertThat(Http.get(ready).statusCode()).isEqualTo(503);
      } finally {
        broker.start();
      }
      other.awaitReady();
      try (var watcher =
          ResumingClient.watch(other.uri("/api/projects/" + project + "/status"), "alice")
              .awaitConnected()) {
        Db.setSourceStatus(source, "after the broker came");
        Traffic.assertComplete(watcher, project);
      }
    }
  }

  private URI uri() {
    return URI.create(base.toString());
  }

  /**
   * Makes the other instance the relay: the test's server, which started first, holds the lock; its
   * relay connection is ended until the other instance takes the lock (the test's server tries
   * again after a backoff, the other every second: either may win a round).
   */
  private static void makeRelay(JarServer other) {
    await()
        .atMost(Duration.ofSeconds(60))
        .pollInterval(Duration.ofMillis(500))
        .until(
            () -> {
              var holder = relayPid();
              if (holder.isPresent() && other.pids().contains(holder.get())) {
                return true;
              }
              Db.value(
                  Long.class,
                  "SELECT count(pg_terminate_backend(a.pid)) FROM pg_locks l"
                      + " JOIN pg_stat_activity a ON a.pid = l.pid"
                      + " WHERE l.locktype = 'advisory' AND l.granted"
                      + " AND a.application_name LIKE 'status-stream relay %'");
              return false;
            });
  }

  /** The process id of the instance that holds the relay's lock, if one does. */
  private static Optional<Long> relayPid() {
    var name =
        Db.value(
            String.class,
            "SELECT coalesce(max(a.application_name), '') FROM pg_locks l"
                + " JOIN pg_stat_activity a ON a.pid = l.pid"
                + " WHERE l.locktype = 'advisory' AND l.granted"
                + " AND a.application_name LIKE 'status-stream relay %'");
    return name.isEmpty()
        ? Optional.empty()
        : Optional.of(Long.parseLong(name.substring("status-stream relay ".length())));
  }
}
