package it;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.logging.Level;
import java.util.logging.Logger;
import java.util.stream.Collectors;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.admin.OffsetSpec;
import org.apache.kafka.clients.admin.RecordsToDelete;
import org.apache.kafka.clients.admin.TopicDescription;
import org.apache.kafka.common.TopicPartition;

/**
 * The Kafka broker the tests talk to over the wire, and what they do to it: stop, start and restart
 * it (through bin/kafka, with the folder and port the run started it with), and manage topics with
 * Kafka's own {@link Admin} client.
 *
 * <p>{@link #shared()} is the suite's broker: {@code it.kafka.bootstrap} (KAFKA_BOOTSTRAP_SERVERS,
 * by default bin/kafka's 127.0.0.1:59092), run by bin/kafka in {@code it.kafka.dir} on {@code
 * it.kafka.port} (LOCAL_KAFKA_DIR and LOCAL_KAFKA_PORT; bin/test sets all three). A broker whose
 * address is not the one bin/kafka serves on that port is someone else's: the tests that stop and
 * start it are skipped ({@link #assumeControllable()}).
 */
public final class KafkaBroker implements AutoCloseable {

  private static final Duration WAIT = Duration.ofSeconds(60);

  /** Kafka's clients log each of their settings at INFO, a hundred lines per client: not here. */
  private static final Logger KAFKA_LOGS = Logger.getLogger("org.apache.kafka");

  static {
    KAFKA_LOGS.setLevel(Level.WARNING);
  }

  private static KafkaBroker shared;

  private final Path root;
  private final String bootstrapServers;
  private final String dir;
  private final int port;
  private Admin admin;

  /** The broker bin/kafka runs from the checkout {@code root} in {@code dir} on {@code port}. */
  public KafkaBroker(Path root, String dir, int port) {
    this(root, "127.0.0.1:" + port, dir, port);
  }

  private KafkaBroker(Path root, String bootstrapServers, String dir, int port) {
    this.root = root;
    this.bootstrapServers = bootstrapServers;
    this.dir = dir;
    this.port = port;
  }

  /** The suite's broker, from the system properties the pom sets; its admin client is kept. */
  public static synchronized KafkaBroker shared() {
    if (shared == null) {
      shared =
          new KafkaBroker(
              Path.of(System.getProperty("it.basedir", ".")),
              System.getProperty("it.kafka.bootstrap", "127.0.0.1:59092"),
              System.getProperty("it.kafka.dir", "target/kafka"),
              Integer.parseInt(System.getProperty("it.kafka.port", "59092")));
    }
    return shared;
  }

  /** The value for a client's {@code bootstrap.servers}, and for KAFKA_BOOTSTRAP_SERVERS. */
  public String bootstrapServers() {
    return bootstrapServers;
  }

  /** Whether bin/kafka runs this broker, so that the tests may stop and start it. */
  public boolean controllable() {
    return !dir.isBlank()
        && List.of("127.0.0.1:" + port, "localhost:" + port).contains(bootstrapServers);
  }

  /** Skips the test unless bin/kafka runs this broker. */
  public void assumeControllable() {
    assumeTrue(
        controllable(),
        "the broker at " + bootstrapServers + " is not bin/kafka's: cannot stop and start it");
  }

  /** Starts the broker (nothing when it runs) and returns once it answers requests. */
  public void start() {
    script("start");
  }

  /** Stops the broker, SIGTERM first, and returns once it has ended; its data stays. */
  public void stop() {
    script("stop");
  }

  /** Stops and starts the broker with the same data, and returns once it answers again. */
  public void restart() {
    script("restart");
  }

  /** Runs bin/kafka with an action (start, stop, restart, status, env) and returns its output. */
  public String script(String action) {
    assumeControllable();
    try {
      var output = Files.createTempFile("bin-kafka-", ".out");
      try {
        var builder =
            new ProcessBuilder(root.resolve("bin/kafka").toString(), action)
                .redirectErrorStream(true)
                .redirectOutput(output.toFile());
        builder.environment().put("LOCAL_KAFKA_DIR", dir);
        builder.environment().put("LOCAL_KAFKA_PORT", String.valueOf(port));
        var process = builder.start();
        // Up to bin/kafka's own limits: 90 s to start, 30 s to stop before SIGKILL.
        if (!process.waitFor(3, TimeUnit.MINUTES)) {
          process.destroyForcibly();
          throw new IllegalStateException("bin/kafka " + action + " did not end");
        }
        if (process.exitValue() != 0) {
          throw new IllegalStateException(
              "bin/kafka " + action + " failed:\n" + Files.readString(output));
        }
        return Files.readString(output);
      } finally {
        Files.deleteIfExists(output);
      }
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(e);
    }
  }

  /** The settings every client of this broker needs. */
  public Map<String, Object> clientSettings() {
    return new HashMap<>(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers));
  }

  /**
   * An admin client of this broker, made on first use and kept until {@link #close()}; it
   * reconnects by itself after a restart.
   */
  public synchronized Admin admin() {
    if (admin == null) {
      var settings = clientSettings();
      settings.put(AdminClientConfig.REQUEST_TIMEOUT_MS_CONFIG, 10_000);
      settings.put(AdminClientConfig.DEFAULT_API_TIMEOUT_MS_CONFIG, 30_000);
      settings.put(AdminClientConfig.CLIENT_ID_CONFIG, "it-kafka-broker");
      admin = Admin.create(settings);
    }
    return admin;
  }

  /** Waits until the broker answers a metadata request, e.g. after a restart by other means. */
  public void awaitReachable(Duration timeout) {
    await()
        .atMost(timeout)
        .pollInterval(Duration.ofMillis(200))
        .ignoreExceptions()
        .until(() -> !admin().describeCluster().nodes().get(5, TimeUnit.SECONDS).isEmpty());
  }

  /** Creates a topic with one replica and waits until each partition has its leader. */
  public void createTopic(String topic, int partitions) {
    createTopic(topic, partitions, Map.of());
  }

  /** Creates a topic with one replica and these topic settings (e.g. retention.ms). */
  public void createTopic(String topic, int partitions, Map<String, String> settings) {
    get(
        admin()
            .createTopics(List.of(new NewTopic(topic, partitions, (short) 1).configs(settings)))
            .all());
    await()
        .atMost(WAIT)
        .pollInterval(Duration.ofMillis(100))
        .ignoreExceptions()
        .until(
            () ->
                describe(topic).partitions().size() == partitions
                    && describe(topic).partitions().stream().allMatch(p -> p.leader() != null));
  }

  /**
   * Deletes a topic and returns once the broker no longer knows it (a new one may take its name).
   */
  public void deleteTopic(String topic) {
    get(admin().deleteTopics(List.of(topic)).all());
    await()
        .atMost(WAIT)
        .pollInterval(Duration.ofMillis(100))
        .ignoreExceptions()
        .until(() -> !topicExists(topic));
  }

  public boolean topicExists(String topic) {
    return get(admin().listTopics().names()).contains(topic);
  }

  public int partitions(String topic) {
    return describe(topic).partitions().size();
  }

  /** The offset the next record of each partition gets. */
  public Map<TopicPartition, Long> endOffsets(String topic) {
    return offsets(topic, OffsetSpec.latest());
  }

  /** The offset of the first record each partition still has (more than 0 after retention). */
  public Map<TopicPartition, Long> startOffsets(String topic) {
    return offsets(topic, OffsetSpec.earliest());
  }

  /**
   * Deletes every record the topic has now, as retention would: each partition then starts at its
   * end offset, which is returned. A consumer behind it gets OFFSET_OUT_OF_RANGE.
   */
  public Map<TopicPartition, Long> deleteRecordsToEnd(String topic) {
    var ends = endOffsets(topic);
    var deletions =
        ends.entrySet().stream()
            .collect(
                Collectors.toMap(
                    Map.Entry::getKey, e -> RecordsToDelete.beforeOffset(e.getValue())));
    get(admin().deleteRecords(deletions).all());
    return ends;
  }

  private Map<TopicPartition, Long> offsets(String topic, OffsetSpec spec) {
    var request =
        describe(topic).partitions().stream()
            .collect(Collectors.toMap(p -> new TopicPartition(topic, p.partition()), p -> spec));
    return get(admin().listOffsets(request).all()).entrySet().stream()
        .collect(Collectors.toMap(Map.Entry::getKey, e -> e.getValue().offset()));
  }

  private TopicDescription describe(String topic) {
    return get(admin().describeTopics(List.of(topic)).topicNameValues().get(topic));
  }

  private static <T> T get(Future<T> future) {
    try {
      return future.get(WAIT.toSeconds(), TimeUnit.SECONDS);
    } catch (ExecutionException e) {
      throw new IllegalStateException(e.getCause().getMessage(), e.getCause());
    } catch (TimeoutException e) {
      throw new IllegalStateException("no answer from the broker within " + WAIT, e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(e);
    }
  }

  @Override
  public synchronized void close() {
    if (admin != null) {
      admin.close(Duration.ofSeconds(5));
      admin = null;
    }
  }
}
