package io.labsos.statusstream.events.control;

import jakarta.annotation.PostConstruct;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Properties;
import java.util.Set;
import java.util.TreeMap;
import org.eclipse.microprofile.config.Config;
import org.eclipse.microprofile.config.inject.ConfigProperty;

/**
 * The settings of {@code CHANGE_CAPTURE=kafka}, each named once and checked here.
 *
 * <p>Kafka's own client settings come from the environment the way Kafka users write them: {@code
 * KAFKA_SECURITY_PROTOCOL=SASL_SSL} is the client property {@code security.protocol}, {@code
 * KAFKA_SASL_JAAS_CONFIG} is {@code sasl.jaas.config}, and so on for every {@code KAFKA_*} variable
 * but the service's own ({@link #OWN}). What the relay's guarantees rest on (acknowledgement by all
 * in-sync replicas, idempotence, no consumer group) is fixed; setting it is refused at start.
 */
@ApplicationScoped
public class KafkaSettings {

  /** The service's own settings: not client properties. */
  static final Set<String> OWN =
      Set.of(
          "KAFKA_TOPIC",
          "KAFKA_RELAY",
          "KAFKA_RELAY_CAPTURE",
          "KAFKA_TOPIC_PARTITIONS",
          "KAFKA_TOPIC_REPLICATION_FACTOR");

  /** Client properties the service sets itself: what at least once and order per project need. */
  private static final Set<String> FIXED =
      Set.of(
          "acks",
          "enable.idempotence",
          "group.id",
          "enable.auto.commit",
          "auto.offset.reset",
          "key.serializer",
          "value.serializer",
          "key.deserializer",
          "value.deserializer",
          "isolation.level");

  /** How often the relay proves to every partition that it publishes. */
  static final Duration TICK = Duration.ofSeconds(1);

  /** How long a partition may stay silent before an instance takes the relay for gone. */
  static final Duration SILENCE = Duration.ofSeconds(5);

  /** How long a request to the brokers may take before they count as unreachable. */
  static final Duration REQUEST = Duration.ofSeconds(5);

  @Inject Config config;

  @Inject
  @ConfigProperty(name = "KAFKA_BOOTSTRAP_SERVERS")
  Optional<String> bootstrapServers;

  @Inject
  @ConfigProperty(name = "KAFKA_TOPIC", defaultValue = "status-stream-events")
  String topic;

  /** Whether this instance competes to be the relay ({@code false}: it only consumes). */
  @Inject
  @ConfigProperty(name = "KAFKA_RELAY", defaultValue = "true")
  String relay;

  /** How the relay learns of new log entries: {@code notify} or {@code logical}. */
  @Inject
  @ConfigProperty(name = "KAFKA_RELAY_CAPTURE", defaultValue = "notify")
  String relayCapture;

  /** The partitions of the topic when the relay creates it (it never changes an existing one). */
  @Inject
  @ConfigProperty(name = "KAFKA_TOPIC_PARTITIONS", defaultValue = "12")
  String partitions;

  /** The replication factor of the topic the relay creates; empty: the brokers' default. */
  @Inject
  @ConfigProperty(name = "KAFKA_TOPIC_REPLICATION_FACTOR")
  Optional<String> replicationFactor;

  private final List<String> problems = new ArrayList<>();
  private final Map<String, String> client = new TreeMap<>();

  @PostConstruct
  void check() {
    if (bootstrapServers.map(String::isBlank).orElse(true)) {
      problems.add("KAFKA_BOOTSTRAP_SERVERS is required with CHANGE_CAPTURE=kafka");
    }
    if (topic.isBlank() || !topic.matches("[A-Za-z0-9._-]{1,249}")) {
      problems.add("KAFKA_TOPIC must be a Kafka topic name (letters, digits, '.', '_', '-')");
    }
    if (!relay.equals("true") && !relay.equals("false")) {
      problems.add("KAFKA_RELAY must be true or false");
    }
    if (!relayCapture.equals("notify") && !relayCapture.equals("logical")) {
      problems.add("KAFKA_RELAY_CAPTURE must be notify or logical");
    }
    if (positive(partitions) == 0) {
      problems.add("KAFKA_TOPIC_PARTITIONS must be a positive integer");
    }
    if (replicationFactor.isPresent() && positive(replicationFactor.get().trim()) == 0) {
      problems.add("KAFKA_TOPIC_REPLICATION_FACTOR must be a positive integer");
    }
    for (var name : config.getPropertyNames()) {
      if (name.startsWith("KAFKA_") && !OWN.contains(name)) {
        var property = name.substring("KAFKA_".length()).toLowerCase(Locale.ROOT).replace('_', '.');
        if (FIXED.contains(property)) {
          problems.add(name + " is set by the service (" + property + "): remove it");
        } else {
          config.getOptionalValue(name, String.class).ifPresent(v -> client.put(property, v));
        }
      }
    }
  }

  /** What is wrong with the settings, each with the setting's name; empty when they are valid. */
  public List<String> problems() {
    return List.copyOf(problems);
  }

  String topic() {
    return topic;
  }

  boolean relays() {
    return relay.equals("true");
  }

  boolean relayReadsLogically() {
    return relayCapture.equals("logical");
  }

  int partitions() {
    return positive(partitions);
  }

  /** The replication factor to create the topic with; empty for the brokers' default. */
  Optional<Short> replicationFactor() {
    return replicationFactor.map(factor -> (short) positive(factor.trim()));
  }

  /**
   * How this instance's clients introduce themselves to the brokers (their logs and quotas): the
   * role and the host's name, as orchestrators set it.
   */
  String clientId(String role) {
    var host = System.getenv("HOSTNAME");
    if (host == null || host.isBlank()) {
      try {
        host = java.net.InetAddress.getLocalHost().getHostName();
      } catch (java.net.UnknownHostException e) {
        host = "unknown";
      }
    }
    return "status-stream-" + role + "-" + host;
  }

  /** The brokers, for messages: operators need to know which ones did not answer. */
  String brokers() {
    return bootstrapServers.orElse("");
  }

  /**
   * The relay's producer: every entry acknowledged by all in-sync replicas, idempotent (a retry
   * never duplicates or reorders within a partition), and a send that cannot complete fails within
   * seconds instead of holding the relay.
   */
  Properties producer(String clientId) {
    var properties = common(clientId);
    properties.put("linger.ms", "0");
    properties.put("request.timeout.ms", String.valueOf(REQUEST.toMillis()));
    properties.put("delivery.timeout.ms", String.valueOf(REQUEST.toMillis() * 2));
    properties.put("max.block.ms", String.valueOf(REQUEST.toMillis()));
    properties.putAll(client);
    properties.put("acks", "all");
    properties.put("enable.idempotence", "true");
    return properties;
  }

  /**
   * An instance's consumer: no group and no committed offsets (every instance reads every partition
   * from where it opened: the log in PostgreSQL holds what came before), and a position the topic
   * no longer has is an error, never a silent jump.
   */
  Properties consumer(String clientId) {
    var properties = common(clientId);
    properties.put("fetch.max.wait.ms", "100");
    properties.put("metadata.max.age.ms", String.valueOf(SILENCE.toMillis()));
    properties.put("request.timeout.ms", String.valueOf(REQUEST.toMillis()));
    properties.put("default.api.timeout.ms", String.valueOf(REQUEST.toMillis()));
    properties.putAll(client);
    properties.put("enable.auto.commit", "false");
    properties.put("auto.offset.reset", "none");
    properties.put("isolation.level", "read_uncommitted");
    return properties;
  }

  /** The relay's administration of its topic: does it exist, with how many partitions. */
  Properties admin(String clientId) {
    var properties = common(clientId);
    properties.put("request.timeout.ms", String.valueOf(REQUEST.toMillis()));
    properties.put("default.api.timeout.ms", String.valueOf(REQUEST.toMillis()));
    properties.putAll(client);
    return properties;
  }

  private Properties common(String clientId) {
    var properties = new Properties();
    properties.put("bootstrap.servers", brokers());
    properties.put("client.id", clientId);
    properties.put("reconnect.backoff.max.ms", "1000");
    return properties;
  }

  private static int positive(String value) {
    try {
      int parsed = Integer.parseInt(value);
      return Math.max(parsed, 0);
    } catch (NumberFormatException e) {
      return 0;
    }
  }
}
