package io.labsos.statusstream.events.control;

import io.labsos.statusstream.settings.SettingsCheck;
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
import java.util.TreeSet;
import java.util.function.Function;
import org.eclipse.microprofile.config.Config;
import org.eclipse.microprofile.config.inject.ConfigProperty;

/**
 * The settings of {@code CHANGE_CAPTURE=kafka}, each named once and checked here. Each is a
 * MicroProfile Config property whose environment variable is the name the README documents ({@code
 * kafka.topic} is {@code KAFKA_TOPIC}).
 *
 * <p>Kafka's own client settings come the way Kafka users write them: {@code
 * KAFKA_SECURITY_PROTOCOL=SASL_SSL} in the environment, or {@code kafka.security.protocol=SASL_SSL}
 * in a properties file, is the client property {@code security.protocol}; {@code
 * KAFKA_SASL_JAAS_CONFIG} is {@code sasl.jaas.config}; and so on for every {@code KAFKA_*} variable
 * and {@code kafka.*} property but the service's own ({@link #OWN}). Where both forms are given,
 * MicroProfile Config's order of sources decides (the environment before a properties file). What
 * the relay's guarantees rest on (acknowledgement by all in-sync replicas, idempotence, no consumer
 * group) is fixed; setting it is refused at start.
 */
@ApplicationScoped
public class KafkaSettings {

  /** The service's own settings: not client properties. */
  static final Set<String> OWN =
      Set.of(
          "kafka.bootstrap.servers",
          "kafka.topic",
          "kafka.relay",
          "kafka.relay.capture",
          "kafka.topic.partitions",
          "kafka.topic.replication.factor");

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
  @ConfigProperty(name = "kafka.bootstrap.servers")
  Optional<String> bootstrapServers;

  @Inject
  @ConfigProperty(name = "kafka.topic", defaultValue = "status-stream-events")
  String topicText;

  /** Whether this instance competes to be the relay ({@code false}: it only consumes). */
  @Inject
  @ConfigProperty(name = "kafka.relay", defaultValue = "true")
  String relayText;

  /** How the relay learns of new log entries: {@code notify} or {@code logical}. */
  @Inject
  @ConfigProperty(name = "kafka.relay.capture", defaultValue = "notify")
  String relayCaptureText;

  /** The partitions of the topic when the relay creates it (it never changes an existing one). */
  @Inject
  @ConfigProperty(name = "kafka.topic.partitions", defaultValue = "12")
  String partitionsText;

  /** The replication factor of the topic the relay creates; empty: the brokers' default. */
  @Inject
  @ConfigProperty(name = "kafka.topic.replication.factor")
  Optional<String> replicationFactorText;

  private List<String> problems = List.of();
  private Map<String, String> client = Map.of();
  private String topic = "status-stream-events";
  private boolean relay = true;
  private boolean relayReadsLogically;
  private int partitions = 12;
  private Optional<Short> replicationFactor = Optional.empty();

  @PostConstruct
  void init() {
    check(config.getPropertyNames(), name -> config.getOptionalValue(name, String.class));
  }

  /**
   * Checks the settings, and takes the client properties from the configuration's names.
   *
   * @param names every name the configuration has
   * @param values the value of a name, by MicroProfile Config's rules (a {@code kafka.x.y} name
   *     finds {@code KAFKA_X_Y} in the environment)
   */
  void check(Iterable<String> names, Function<String, Optional<String>> values) {
    var check = new SettingsCheck();
    if (bootstrapServers.map(String::isBlank).orElse(true)) {
      check.refuse("kafka.bootstrap.servers", "is required with CHANGE_CAPTURE=kafka");
    }
    topic = topicText.strip();
    if (!topic.matches("[A-Za-z0-9._-]{1,249}")) {
      check.refuse("kafka.topic", "must be a Kafka topic name (letters, digits, '.', '_', '-')");
    }
    relay = check.oneOf("kafka.relay", relayText, List.of("true", "false"), "true").equals("true");
    relayReadsLogically =
        check
            .oneOf("kafka.relay.capture", relayCaptureText, List.of("notify", "logical"), "notify")
            .equals("logical");
    partitions = check.whole("kafka.topic.partitions", partitionsText, 1, Integer.MAX_VALUE, 12);
    replicationFactor =
        replicationFactorText.map(
            factor ->
                (short)
                    check.whole("kafka.topic.replication.factor", factor, 1, Short.MAX_VALUE, 1));
    var found = new ArrayList<>(check.problems());
    client = clientProperties(names, values, found);
    problems = List.copyOf(found);
  }

  /**
   * The Kafka client properties the configuration names: {@code x.y} for each {@code KAFKA_X_Y} and
   * each {@code kafka.x.y} but the service's own. One the service sets itself is refused.
   */
  private static Map<String, String> clientProperties(
      Iterable<String> names, Function<String, Optional<String>> values, List<String> problems) {
    var client = new TreeMap<String, String>();
    var refused = new TreeSet<String>();
    for (var name : names) {
      String dotted;
      if (name.startsWith("KAFKA_")) {
        dotted = name.toLowerCase(Locale.ROOT).replace('_', '.');
      } else if (name.startsWith("kafka.")) {
        dotted = name;
      } else {
        continue;
      }
      var property = dotted.substring("kafka.".length());
      if (OWN.contains(dotted) || property.isEmpty()) {
        continue;
      }
      if (FIXED.contains(property)) {
        refused.add(
            SettingsCheck.variable(dotted)
                + " is set by the service ("
                + property
                + "): remove it");
      } else {
        values.apply(dotted).ifPresent(v -> client.put(property, v));
      }
    }
    problems.addAll(refused);
    return Map.copyOf(client);
  }

  /** What is wrong with the settings, each with the setting's name; empty when they are valid. */
  public List<String> problems() {
    return problems;
  }

  String topic() {
    return topic;
  }

  boolean relays() {
    return relay;
  }

  boolean relayReadsLogically() {
    return relayReadsLogically;
  }

  int partitions() {
    return partitions;
  }

  /** The replication factor to create the topic with; empty for the brokers' default. */
  Optional<Short> replicationFactor() {
    return replicationFactor;
  }

  /** The client properties given as settings, by their Kafka names. */
  Map<String, String> clientProperties() {
    return client;
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
}
