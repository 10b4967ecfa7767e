package scripts;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import it.KafkaBroker;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.config.ConfigResource;
import org.apache.kafka.common.serialization.LongDeserializer;
import org.apache.kafka.common.serialization.LongSerializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * bin/kafka with a real broker of its own (port 59192, target/kafka-script-test, made afresh), not
 * the suite's: started once for the class, it is restarted under load and stopped at the end.
 */
class KafkaScriptTest {

  private static final int PORT = 59192;
  private static final Path ROOT = Path.of("").toAbsolutePath();
  private static final Path DIR = ROOT.resolve("target/kafka-script-test");

  /**
   * The JDK 25 under /usr/lib/jvm, where there is one: the restart brings the broker up on it, so
   * that both JDKs run it on the same data, without a start more.
   */
  private static final Optional<Path> OTHER_JDK = jdk25();

  private static KafkaBroker broker;

  private static Optional<Path> jdk25() {
    try (var jvms = Files.list(Path.of("/usr/lib/jvm"))) {
      return jvms.filter(p -> p.getFileName().toString().contains("25"))
          .filter(p -> Files.isExecutable(p.resolve("bin/java")))
          .findFirst();
    } catch (IOException e) {
      return Optional.empty();
    }
  }

  @BeforeAll
  static void start() throws IOException {
    broker = new KafkaBroker(ROOT, DIR.toString(), PORT);
    broker.stop(); // one left by an interrupted run
    remove(DIR);
    assertThat(broker.script("start")).contains("running on 127.0.0.1:" + PORT);
  }

  /** Stopping ends the broker and keeps its data. */
  @AfterAll
  static void stop() throws Exception {
    if (broker == null) {
      return;
    }
    broker.close();
    var pid = pid();
    broker.stop();
    // Until PID 1 reaps it, the ended JVM is a zombie, which Java counts as alive.
    await()
        .atMost(Duration.ofSeconds(10))
        .until(() -> ProcessHandle.of(pid).filter(ProcessHandle::isAlive).isEmpty());
    assertThat(run("status").exit()).isEqualTo(3);
    assertThat(DIR.resolve("data/meta.properties")).exists();
    assertThat(DIR.resolve("kafka.pid")).doesNotExist();
  }

  private record Run(int exit, String output) {}

  private static Run run(String action) throws Exception {
    return run(action, Map.of());
  }

  private static Run run(String action, Map<String, String> env) throws Exception {
    var builder =
        new ProcessBuilder(ROOT.resolve("bin/kafka").toString(), action).redirectErrorStream(true);
    builder.environment().put("LOCAL_KAFKA_DIR", DIR.toString());
    builder.environment().put("LOCAL_KAFKA_PORT", String.valueOf(PORT));
    builder.environment().putAll(env);
    var process = builder.start();
    var output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertThat(process.waitFor(60, TimeUnit.SECONDS)).isTrue();
    return new Run(process.exitValue(), output);
  }

  private static long pid() throws IOException {
    return Long.parseLong(Files.readString(DIR.resolve("kafka.pid")).trim());
  }

  @Test
  void startingARunningBrokerChangesNothingAndStatusAndEnvSayWhereItListens() throws Exception {
    var pid = pid();
    assertThat(broker.script("start")).contains("already running");
    assertThat(pid()).isEqualTo(pid);
    var status = run("status");
    assertThat(status.exit()).isZero();
    assertThat(status.output()).contains("running on 127.0.0.1:" + PORT);
    assertThat(run("env").output().trim())
        .isEqualTo("export KAFKA_BOOTSTRAP_SERVERS=127.0.0.1:" + PORT);
  }

  @Test
  void listensOnLoopbackOnlyAndCreatesNoTopicOnFirstUse() throws Exception {
    var admin = broker.admin();
    var cluster = admin.describeCluster();
    assertThat(cluster.nodes().get(30, TimeUnit.SECONDS))
        .singleElement()
        .satisfies(
            node -> assertThat(node.host() + ":" + node.port()).isEqualTo("127.0.0.1:" + PORT));
    assertThat(cluster.clusterId().get(30, TimeUnit.SECONDS))
        .isEqualTo(Files.readString(DIR.resolve("cluster-id")).trim());

    var node = new ConfigResource(ConfigResource.Type.BROKER, "1");
    var config = admin.describeConfigs(List.of(node)).all().get(30, TimeUnit.SECONDS).get(node);
    assertThat(config.get("listeners").value())
        .isEqualTo("PLAINTEXT://127.0.0.1:" + PORT + ",CONTROLLER://127.0.0.1:" + (PORT + 1));
    assertThat(config.get("auto.create.topics.enable").value()).isEqualTo("false");
    assertThat(config.get("min.insync.replicas").value()).isEqualTo("1");
    assertThat(config.get("offsets.topic.replication.factor").value()).isEqualTo("1");
  }

  /**
   * Every record the broker acknowledged while it was restarted under a steady load is there
   * afterwards, once, in order per partition; the producer's retries carry it over the gap.
   */
  @Test
  void acknowledgedRecordsSurviveARestartUnderLoad() throws Exception {
    var topic = "restart";
    broker.createTopic(topic, 3);
    var clusterId = Files.readString(DIR.resolve("cluster-id"));
    var pid = pid();
    var acknowledged = new ConcurrentHashMap<Long, Long>();
    var failures = new ConcurrentLinkedQueue<Exception>();
    var settings = broker.clientSettings();
    settings.put(ProducerConfig.ACKS_CONFIG, "all");
    settings.put(ProducerConfig.DELIVERY_TIMEOUT_MS_CONFIG, 60_000);
    settings.put(ProducerConfig.REQUEST_TIMEOUT_MS_CONFIG, 5_000);
    try (var producer =
        new KafkaProducer<String, Long>(settings, new StringSerializer(), new LongSerializer())) {
      CompletableFuture<Void> restart = null;
      long afterRestart = 0;
      for (long i = 0; afterRestart < 100; i++) {
        long value = i;
        producer.send(
            new ProducerRecord<>(topic, "key-" + (i % 7), value),
            (metadata, error) -> {
              if (error != null) {
                failures.add(error);
              } else {
                acknowledged.put(value, metadata.offset());
              }
            });
        if (i == 100) {
          restart = CompletableFuture.runAsync(() -> restartOn(OTHER_JDK));
        }
        if (restart != null && restart.isDone()) {
          restart.join();
          afterRestart++;
        }
        Thread.sleep(5);
      }
      producer.flush();
    }
    assertThat(failures).isEmpty();
    var restarted = pid();
    assertThat(restarted).as("a new broker process").isNotEqualTo(pid);
    OTHER_JDK.ifPresent(
        jdk ->
            assertThat(ProcessHandle.of(restarted).flatMap(p -> p.info().command()))
                .hasValue(jdk.resolve("bin/java").toString()));
    assertThat(Files.readString(DIR.resolve("cluster-id"))).isEqualTo(clusterId);

    var read = readAll(topic);
    assertThat(read.values().stream().flatMap(List::stream).sorted())
        .containsExactlyElementsOf(acknowledged.keySet().stream().sorted().toList());
    for (var partition : read.values()) {
      assertThat(partition).isSortedAccordingTo(Comparator.naturalOrder());
    }
  }

  private static void restartOn(Optional<Path> jdk) {
    try {
      var restart =
          run("restart", jdk.map(j -> Map.of("JAVA_HOME", j.toString())).orElse(Map.of()));
      assertThat(restart.exit()).as(restart.output()).isZero();
    } catch (Exception e) {
      throw new IllegalStateException(e);
    }
  }

  /** Each partition's values, in offset order. */
  private static Map<Integer, List<Long>> readAll(String topic) {
    var ends = broker.endOffsets(topic);
    var settings = broker.clientSettings();
    settings.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
    var values = new HashMap<Integer, List<Long>>();
    try (var consumer =
        new KafkaConsumer<String, Long>(
            settings, new StringDeserializer(), new LongDeserializer())) {
      consumer.assign(ends.keySet());
      consumer.seekToBeginning(ends.keySet());
      await()
          .atMost(Duration.ofSeconds(30))
          .until(
              () -> {
                for (var record : consumer.poll(Duration.ofMillis(200))) {
                  values
                      .computeIfAbsent(record.partition(), p -> new ArrayList<>())
                      .add(record.value());
                }
                return ends.keySet().stream().allMatch(p -> consumer.position(p) >= ends.get(p));
              });
    }
    return values;
  }

  @Test
  void topicsAreCreatedEmptiedAndDeleted() throws Exception {
    var topic = "helpers";
    broker.createTopic(topic, 2);
    assertThat(broker.topicExists(topic)).isTrue();
    assertThat(broker.partitions(topic)).isEqualTo(2);
    var settings = broker.clientSettings();
    try (var producer =
        new KafkaProducer<String, Long>(settings, new StringSerializer(), new LongSerializer())) {
      for (long i = 0; i < 10; i++) {
        producer.send(new ProducerRecord<>(topic, (int) (i % 2), "key", i));
      }
    }
    assertThat(broker.endOffsets(topic))
        .containsOnly(
            Map.entry(new TopicPartition(topic, 0), 5L),
            Map.entry(new TopicPartition(topic, 1), 5L));

    var ends = broker.deleteRecordsToEnd(topic);
    assertThat(broker.startOffsets(topic)).isEqualTo(ends);

    broker.deleteTopic(topic);
    assertThat(broker.topicExists(topic)).isFalse();
    broker.createTopic(topic, 4);
    assertThat(broker.partitions(topic)).isEqualTo(4);
    assertThat(broker.endOffsets(topic).values()).containsOnly(0L);
  }

  private static void remove(Path folder) throws IOException {
    if (!Files.exists(folder)) {
      return;
    }
    try (Stream<Path> files = Files.walk(folder)) {
      for (var file : files.sorted(Comparator.reverseOrder()).toList()) {
        Files.deleteIfExists(file);
      }
    }
  }
}
