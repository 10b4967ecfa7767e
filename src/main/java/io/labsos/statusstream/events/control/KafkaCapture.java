package io.labsos.statusstream.events.control;

import io.labsos.statusstream.events.entity.StatusEvent;
import java.sql.Connection;
import java.sql.SQLException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.apache.kafka.clients.consumer.ConsumerRecords;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.consumer.OffsetOutOfRangeException;
import org.apache.kafka.common.KafkaException;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.TimeoutException;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.eclipse.microprofile.metrics.Counter;

/**
 * {@code CHANGE_CAPTURE=kafka}: the log's entries arrive from the topic the relay publishes them to
 * ({@link Relay}), so an instance reads PostgreSQL only to fill a gap and to replay for resuming
 * clients, however many instances there are and however fast the log grows.
 *
 * <p>Every instance reads every partition, with no consumer group and no committed offset: it
 * starts at the end of each partition when it opens, and what came before is in the log, which the
 * listener reads next. A project's streams are spread over instances by the load balancer, so most
 * instances have streams in every partition; reading all of them costs each instance one fetch per
 * partition, and keeps no assignment to rebalance when streams come and go.
 *
 * <p>Nothing on the topic is trusted further than the log would be: a record that does not continue
 * its project's position makes the listener read the log ({@link Follower}); one that is not ours
 * is skipped. Silence is not trusted either: the relay ticks every partition every second, and a
 * partition without a record for {@link KafkaSettings#SILENCE} means the relay, a broker or the
 * topic is gone. Then, and when the topic no longer holds this instance's position, or its
 * partitions changed, the capture fails, and the listener opens it again and catches up from the
 * log: the same path as a lost database connection.
 */
final class KafkaCapture implements Capture {

  private final KafkaSettings settings;
  private final String clientId;
  private final Counter skipped;
  private volatile KafkaConsumer<byte[], byte[]> consumer;
  private final List<TopicPartition> partitions = new ArrayList<>();

  /** When each partition last gave a record (System.nanoTime). */
  private final Map<TopicPartition, Long> heard = new HashMap<>();

  /** Entries that arrived while {@link #open} waited for every partition's first tick. */
  private final List<StatusEvent> early = new ArrayList<>();

  private long nextPing;

  /** The listener's loop: the only thread that may use the consumer (it is not thread-safe). */
  private volatile Thread loop;

  /**
   * @param skipped counts records that are not ours (nothing the relay wrote)
   */
  KafkaCapture(KafkaSettings settings, String clientId, Counter skipped) {
    this.settings = settings;
    this.clientId = clientId;
    this.skipped = skipped;
  }

  @Override
  public void open(Connection log) throws SQLException {
    loop = Thread.currentThread();
    var opened =
        new KafkaConsumer<>(
            settings.consumer(clientId), new ByteArrayDeserializer(), new ByteArrayDeserializer());
    consumer = opened;
    try {
      var infos = opened.partitionsFor(settings.topic(), KafkaSettings.REQUEST);
      if (infos == null || infos.isEmpty()) {
        throw new CaptureFailed(
            CaptureFailed.TOPIC, "the topic " + settings.topic() + " does not exist (yet)", null);
      }
      infos.forEach(info -> partitions.add(new TopicPartition(info.topic(), info.partition())));
      opened.assign(partitions);
      opened.seekToEnd(partitions);
      for (var partition : partitions) {
        opened.position(partition, KafkaSettings.REQUEST);
      }
      awaitTicks(opened);
    } catch (TimeoutException e) {
      throw new CaptureFailed(
          CaptureFailed.BROKERS,
          "no Kafka broker of " + settings.brokers() + " answered within " + KafkaSettings.REQUEST,
          e);
    }
    nextPing = System.nanoTime() + KafkaSettings.SILENCE.toNanos();
  }

  /**
   * Opens only once the relay is seen publishing to every partition: until then, entries committed
   * now might never arrive, and the listener must not count as caught up.
   */
  private void awaitTicks(KafkaConsumer<byte[], byte[]> opened) {
    long deadline = System.nanoTime() + KafkaSettings.SILENCE.toNanos();
    while (heard.size() < partitions.size()) {
      if (System.nanoTime() > deadline) {
        throw new CaptureFailed(
            CaptureFailed.RELAY,
            "no relay published to "
                + (partitions.size() - heard.size())
                + " of the "
                + partitions.size()
                + " partitions of "
                + settings.topic()
                + " within "
                + KafkaSettings.SILENCE
                + " (is an instance with KAFKA_RELAY=true running?)",
            null);
      }
      early.addAll(take(opened.poll(Duration.ofMillis(200))));
    }
  }

  @Override
  public Changes poll(Connection log, Duration wait) throws SQLException {
    if (!early.isEmpty()) {
      var entries = List.copyOf(early);
      early.clear();
      return new Changes(entries, Map.of(), false);
    }
    List<StatusEvent> entries;
    try {
      var upTo = wait.compareTo(KafkaSettings.TICK) < 0 ? wait : KafkaSettings.TICK;
      entries = take(consumer.poll(upTo));
    } catch (OffsetOutOfRangeException e) {
      throw new CaptureFailed(
          CaptureFailed.RETENTION,
          "the topic "
              + settings.topic()
              + " no longer holds this instance's position (retention, or the topic was re-created)",
          e);
    }
    checkHeard();
    if (System.nanoTime() - nextPing > 0) {
      // The log's connection is idle meanwhile: a dead path shows here, not at the next gap.
      try (var ping = log.createStatement()) {
        ping.execute("SELECT 1");
      }
      nextPing = System.nanoTime() + KafkaSettings.SILENCE.toNanos();
      checkPartitions();
    }
    return entries.isEmpty() ? Changes.NONE : new Changes(entries, Map.of(), false);
  }

  private List<StatusEvent> take(ConsumerRecords<byte[], byte[]> records) {
    var entries = new ArrayList<StatusEvent>(records.count());
    long now = System.nanoTime();
    for (var record : records) {
      heard.put(new TopicPartition(record.topic(), record.partition()), now);
      if (TopicRecords.isTick(record)) {
        continue;
      }
      var event = TopicRecords.event(record);
      if (event == null) {
        skipped.inc();
      } else {
        entries.add(event);
      }
    }
    return entries;
  }

  private void checkHeard() {
    long now = System.nanoTime();
    for (var partition : partitions) {
      long last = heard.getOrDefault(partition, 0L);
      if (now - last > KafkaSettings.SILENCE.toNanos()) {
        throw new CaptureFailed(
            CaptureFailed.RELAY,
            "partition "
                + partition
                + " gave nothing for "
                + KafkaSettings.SILENCE
                + ", not even the relay's tick: the relay, a broker or the topic is gone",
            null);
      }
    }
  }

  /** A topic re-created with other partitions keeps some projects where this one does not look. */
  private void checkPartitions() {
    try {
      var infos = consumer.partitionsFor(settings.topic(), KafkaSettings.REQUEST);
      if (infos != null && !infos.isEmpty() && infos.size() != partitions.size()) {
        throw new CaptureFailed(
            CaptureFailed.PARTITIONS,
            "the topic "
                + settings.topic()
                + " has "
                + infos.size()
                + " partitions now, not "
                + partitions.size(),
            null);
      }
    } catch (KafkaException e) {
      // Unreachable brokers show as silence: checkHeard says so with its own reason.
    }
  }

  @Override
  public void close() {
    var current = consumer;
    if (current == null) {
      return;
    }
    if (Thread.currentThread() != loop) {
      // The listener stops: the loop's poll ends with a WakeupException, and the loop closes.
      current.wakeup();
      return;
    }
    consumer = null;
    current.close(Duration.ZERO);
  }
}
