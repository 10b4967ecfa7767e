package io.labsos.statusstream.events.control;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;

class KafkaSettingsTest {

  /** Settings with brokers and the defaults the annotations give. */
  private static KafkaSettings settings() {
    var settings = new KafkaSettings();
    settings.bootstrapServers = Optional.of("kafka-0:9092,kafka-1:9092");
    settings.topicText = "status-stream-events";
    settings.relayText = "true";
    settings.relayCaptureText = "notify";
    settings.partitionsText = "12";
    settings.replicationFactorText = Optional.empty();
    return settings;
  }

  /** Checks the settings against a configuration of these names and values. */
  private static KafkaSettings checked(KafkaSettings settings, Map<String, String> configuration) {
    settings.check(configuration.keySet(), property -> lookup(configuration, property));
    return settings;
  }

  /**
   * A property's value as MicroProfile Config finds it here: the environment's variable first (its
   * source ranks above a properties file's), then the property itself.
   */
  private static Optional<String> lookup(Map<String, String> configuration, String property) {
    var value = configuration.get(property.replace('.', '_').toUpperCase(java.util.Locale.ROOT));
    return Optional.ofNullable(value != null ? value : configuration.get(property));
  }

  @Test
  void theDefaultsAreTheDocumentedOnes() {
    var settings = checked(settings(), Map.of());
    assertThat(settings.problems()).isEmpty();
    assertThat(settings.topic()).isEqualTo("status-stream-events");
    assertThat(settings.relays()).isTrue();
    assertThat(settings.relayReadsLogically()).isFalse();
    assertThat(settings.partitions()).isEqualTo(12);
    assertThat(settings.replicationFactor()).isEmpty();
    assertThat(settings.brokers()).isEqualTo("kafka-0:9092,kafka-1:9092");
    assertThat(settings.producer("p").getProperty("bootstrap.servers"))
        .isEqualTo("kafka-0:9092,kafka-1:9092");
  }

  @Test
  void givenValuesAreTaken() {
    var settings = settings();
    settings.topicText = "labsos.status";
    settings.relayText = "false";
    settings.relayCaptureText = "logical";
    settings.partitionsText = "3";
    settings.replicationFactorText = Optional.of(" 2 ");
    checked(settings, Map.of());
    assertThat(settings.problems()).isEmpty();
    assertThat(settings.topic()).isEqualTo("labsos.status");
    assertThat(settings.relays()).isFalse();
    assertThat(settings.relayReadsLogically()).isTrue();
    assertThat(settings.partitions()).isEqualTo(3);
    assertThat(settings.replicationFactor()).contains((short) 2);
  }

  @Test
  void eachBadValueIsRefusedByName() {
    var settings = settings();
    settings.bootstrapServers = Optional.empty();
    settings.topicText = "status events";
    settings.relayText = "yes";
    settings.relayCaptureText = "kafka";
    settings.partitionsText = "0";
    settings.replicationFactorText = Optional.of("40000");
    checked(settings, Map.of());
    assertThat(settings.problems())
        .containsExactly(
            "KAFKA_BOOTSTRAP_SERVERS is required with CHANGE_CAPTURE=kafka",
            "KAFKA_TOPIC must be a Kafka topic name (letters, digits, '.', '_', '-')",
            "KAFKA_RELAY must be true or false",
            "KAFKA_RELAY_CAPTURE must be notify or logical",
            "KAFKA_TOPIC_PARTITIONS must be a whole number from 1 to 2147483647",
            "KAFKA_TOPIC_REPLICATION_FACTOR must be a whole number from 1 to 32767");
  }

  @Test
  void clientPropertiesComeFromTheEnvironmentAndFromPropertiesFiles() {
    var configuration = new LinkedHashMap<String, String>();
    // The environment's form, as Kafka users write it.
    configuration.put("KAFKA_SECURITY_PROTOCOL", "SASL_SSL");
    configuration.put("KAFKA_SASL_JAAS_CONFIG", "org.example.Login required;");
    // A properties file's form.
    configuration.put("kafka.ssl.truststore.location", "/etc/kafka/truststore.p12");
    configuration.put("kafka.sasl.mechanism", "PLAIN");
    // Both forms of one: the environment's value, as MicroProfile Config orders its sources.
    configuration.put("kafka.client.rack", "from-the-file");
    configuration.put("KAFKA_CLIENT_RACK", "from-the-environment");
    // The service's own settings, in either form, and names of others.
    configuration.put("KAFKA_TOPIC", "t");
    configuration.put("kafka.topic.partitions", "3");
    configuration.put("KAFKA_BOOTSTRAP_SERVERS", "elsewhere:9092");
    configuration.put("kafkaesque", "no");
    configuration.put("PATH", "/usr/bin");
    var settings = checked(settings(), configuration);
    assertThat(settings.problems()).isEmpty();
    assertThat(settings.clientProperties())
        .containsOnly(
            Map.entry("security.protocol", "SASL_SSL"),
            Map.entry("sasl.jaas.config", "org.example.Login required;"),
            Map.entry("ssl.truststore.location", "/etc/kafka/truststore.p12"),
            Map.entry("sasl.mechanism", "PLAIN"),
            Map.entry("client.rack", "from-the-environment"));
    var consumer = settings.consumer("c");
    assertThat(consumer.getProperty("security.protocol")).isEqualTo("SASL_SSL");
    assertThat(consumer.getProperty("ssl.truststore.location"))
        .isEqualTo("/etc/kafka/truststore.p12");
    assertThat(consumer.getProperty("bootstrap.servers")).isEqualTo("kafka-0:9092,kafka-1:9092");
  }

  @Test
  void whatTheGuaranteesRestOnCannotBeSetInEitherForm() {
    var configuration = new LinkedHashMap<String, String>();
    configuration.put("KAFKA_ACKS", "1");
    configuration.put("kafka.acks", "0");
    configuration.put("kafka.enable.idempotence", "false");
    configuration.put("KAFKA_GROUP_ID", "mine");
    var settings = checked(settings(), configuration);
    assertThat(settings.problems())
        .containsExactly(
            "KAFKA_ACKS is set by the service (acks): remove it",
            "KAFKA_ENABLE_IDEMPOTENCE is set by the service (enable.idempotence): remove it",
            "KAFKA_GROUP_ID is set by the service (group.id): remove it");
    assertThat(settings.clientProperties()).isEmpty();
    assertThat(settings.producer("p").getProperty("acks")).isEqualTo("all");
  }
}
