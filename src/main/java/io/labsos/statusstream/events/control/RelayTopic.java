package io.labsos.statusstream.events.control;

import io.labsos.statusstream.events.entity.ProjectReset.Reason;
import io.labsos.statusstream.events.entity.StatusEvent;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.common.errors.TopicExistsException;
import org.apache.kafka.common.errors.UnknownTopicOrPartitionException;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.eclipse.microprofile.metrics.Counter;

/**
 * The relay's side of the topic: sends each entry a {@link Follower} hands on, and knows which of
 * them the brokers acknowledged. A send that failed fails the relay's turn at the next {@link
 * #checkSends} or {@link #acknowledged}; what it had sent is republished by the next turn.
 *
 * <p>Threads: the relay's loop, but the producer's callbacks, which only note a failure.
 */
final class RelayTopic implements Follower.Delivery, AutoCloseable {

  private final KafkaProducer<byte[], byte[]> producer;
  private final KafkaSettings settings;
  private final String relay;
  private final Counter published;

  /** The last id sent of each project since the last {@link #acknowledged}. */
  private final Map<UUID, Long> sent = new HashMap<>();

  private final AtomicReference<Exception> failure = new AtomicReference<>();

  RelayTopic(KafkaSettings settings, String relay, Counter published) {
    this.producer =
        new KafkaProducer<>(
            settings.producer(relay), new ByteArraySerializer(), new ByteArraySerializer());
    this.settings = settings;
    this.relay = relay;
    this.published = published;
  }

  /**
   * Creates the topic when it does not exist, with {@code KAFKA_TOPIC_PARTITIONS} partitions; an
   * existing topic is never changed (its partitions, replication and retention are the operator's).
   */
  void ensureExists() {
    try (var admin = Admin.create(settings.admin(relay + "-admin"))) {
      try {
        admin
            .describeTopics(java.util.List.of(settings.topic()))
            .allTopicNames()
            .get(KafkaSettings.REQUEST.toMillis(), TimeUnit.MILLISECONDS);
      } catch (ExecutionException e) {
        if (!(e.getCause() instanceof UnknownTopicOrPartitionException)) {
          throw e;
        }
        create(admin);
      }
    } catch (ExecutionException | java.util.concurrent.TimeoutException e) {
      throw new CaptureFailed(
          CaptureFailed.BROKERS,
          "the relay could not describe the topic "
              + settings.topic()
              + " on "
              + settings.brokers()
              + ": "
              + (e.getCause() == null ? e : e.getCause()),
          e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new CaptureFailed(CaptureFailed.BROKERS, "interrupted", e);
    }
  }

  private void create(Admin admin)
      throws InterruptedException, ExecutionException, java.util.concurrent.TimeoutException {
    var topic =
        new NewTopic(
            settings.topic(), Optional.of(settings.partitions()), settings.replicationFactor());
    try {
      admin
          .createTopics(java.util.List.of(topic))
          .all()
          .get(KafkaSettings.REQUEST.toMillis(), TimeUnit.MILLISECONDS);
      java.util.logging.Logger.getLogger(RelayTopic.class.getName())
          .info(
              "Created the topic "
                  + settings.topic()
                  + " with "
                  + settings.partitions()
                  + " partitions");
    } catch (ExecutionException e) {
      if (!(e.getCause() instanceof TopicExistsException)) {
        throw e;
      }
    }
  }

  @Override
  public void deliver(StatusEvent event) {
    producer.send(
        TopicRecords.entry(settings.topic(), event),
        (metadata, exception) -> {
          if (exception != null) {
            failure.compareAndSet(null, exception);
          }
        });
    sent.put(event.projectId(), event.id());
    published.inc();
  }

  /** The project's log went back: the relay's position goes back with it. */
  @Override
  public void reset(UUID project, long position, Reason reason) {
    sent.put(project, position);
  }

  /** Proves to every partition that the relay publishes ({@link TopicRecords#tick}). */
  void tick() {
    for (var partition : producer.partitionsFor(settings.topic())) {
      producer.send(
          TopicRecords.tick(settings.topic(), partition.partition(), relay),
          (metadata, exception) -> {
            if (exception != null) {
              failure.compareAndSet(null, exception);
            }
          });
    }
  }

  /** Fails the relay's turn if a send failed. */
  void checkSends() {
    var failed = failure.get();
    if (failed != null) {
      throw new CaptureFailed(
          CaptureFailed.BROKERS, "a send to " + settings.topic() + " failed: " + failed, failed);
    }
  }

  /**
   * Waits until the brokers acknowledged every send, and returns the positions they reached since
   * the last call (then forgotten here).
   */
  Map<UUID, Long> acknowledged() {
    producer.flush();
    checkSends();
    var positions = Map.copyOf(sent);
    sent.clear();
    return positions;
  }

  @Override
  public void close() {
    // Unacknowledged sends are not waited for: their positions were never recorded.
    producer.close(Duration.ZERO);
  }
}
