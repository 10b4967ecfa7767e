package io.labsos.statusstream.settings;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import org.junit.jupiter.api.Test;

class SettingsCheckTest {

  @Test
  void aPropertyIsNamedByItsEnvironmentVariable() {
    assertThat(SettingsCheck.variable("stream.heartbeat.seconds"))
        .isEqualTo("STREAM_HEARTBEAT_SECONDS");
    assertThat(SettingsCheck.variable("mp.jwt.verify.publickey.location"))
        .isEqualTo("MP_JWT_VERIFY_PUBLICKEY_LOCATION");
    assertThat(SettingsCheck.variable("DB_HOST")).isEqualTo("DB_HOST");
  }

  @Test
  void wholeNumbersAreTakenWithBlanksAroundThem() {
    var check = new SettingsCheck();
    assertThat(check.whole("a.b", " 15 ", 1, 7)).isEqualTo(15);
    assertThat(check.whole("a.b", "0", 0, 7)).isZero();
    assertThat(check.whole("a.b", "65535", 1, 65535, 7)).isEqualTo(65535);
    assertThat(check.port("a.b", "5432", 7)).isEqualTo(5432);
    assertThat(check.problems()).isEmpty();
  }

  @Test
  void anythingElseIsRefusedByNameAndGivesTheFallback() {
    var check = new SettingsCheck();
    for (var text :
        new String[] {"abc", "", "-1", "0", "1.5", "1e3", "15s", "99999999999999999999"}) {
      assertThat(check.whole("stream.heartbeat.seconds", text, 1, 15)).as(text).isEqualTo(15);
    }
    assertThat(check.whole("x.y", null, 0, 3)).isEqualTo(3);
    assertThat(check.problems())
        .hasSize(9)
        .startsWith("STREAM_HEARTBEAT_SECONDS must be a whole number of at least 1")
        .endsWith("X_Y must be a whole number, 0 or more");
  }

  @Test
  void boundedNumbersAndPortsSayTheirRange() {
    var check = new SettingsCheck();
    assertThat(check.port("DB_PORT", "65536", 5432)).isEqualTo(5432);
    assertThat(check.port("DB_PORT", "0", 5432)).isEqualTo(5432);
    assertThat(check.whole("n", "2147483648", 1, Integer.MAX_VALUE, 9)).isEqualTo(9);
    assertThat(check.problems())
        .containsExactly(
            "DB_PORT must be a whole number from 1 to 65535",
            "DB_PORT must be a whole number from 1 to 65535",
            "N must be a whole number from 1 to 2147483647");
  }

  @Test
  void positiveNumbersMayHaveAFraction() {
    var check = new SettingsCheck();
    assertThat(check.positive("event.retention.hours", "72", 1)).isEqualTo(72.0);
    assertThat(check.positive("event.retention.hours", " 0.5", 1)).isEqualTo(0.5);
    assertThat(check.problems()).isEmpty();
    for (var text : new String[] {"0", "-2", "NaN", "Infinity", "1e3", "0x10", ".5", "two"}) {
      assertThat(check.positive("event.retention.hours", text, 72)).as(text).isEqualTo(72.0);
    }
    assertThat(check.problems())
        .hasSize(8)
        .allMatch(
            p -> p.equals("EVENT_RETENTION_HOURS must be a number above 0 (such as 2 or 0.5)"));
  }

  @Test
  void wordsAreOneOfThoseGiven() {
    var check = new SettingsCheck();
    var modes = List.of("notify", "logical", "kafka");
    assertThat(check.oneOf("change.capture", " logical ", modes, "notify")).isEqualTo("logical");
    assertThat(check.oneOf("change.capture", "Kafka", modes, "notify")).isEqualTo("notify");
    assertThat(check.oneOf("kafka.relay", "yes", List.of("true", "false"), "true"))
        .isEqualTo("true");
    assertThat(check.problems())
        .containsExactly(
            "CHANGE_CAPTURE must be notify, logical or kafka", "KAFKA_RELAY must be true or false");
  }
}
