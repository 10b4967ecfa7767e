package io.labsos.statusstream.events.control;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import org.junit.jupiter.api.Test;

class EventSettingsTest {

  /** Settings with the defaults the annotations give, as MicroProfile Config injects them. */
  static EventSettings defaults() {
    var settings = new EventSettings();
    settings.captureText = "notify";
    settings.waitText = "5000";
    settings.stallText = "120";
    settings.outageText = "30";
    settings.retentionText = "72";
    settings.purgeIntervalText = "600";
    return settings;
  }

  @Test
  void theDefaultsAreTheDocumentedOnes() {
    var settings = defaults();
    settings.init();
    assertThat(settings.problems()).isEmpty();
    assertThat(settings.capture()).isEqualTo("notify");
    assertThat(settings.listenerWait()).isEqualTo(Duration.ofSeconds(5));
    assertThat(settings.listenerStall()).isEqualTo(Duration.ofSeconds(120));
    assertThat(settings.outage()).isEqualTo(Duration.ofSeconds(30));
    assertThat(settings.retentionHours()).isEqualTo(72.0);
    assertThat(settings.purgeInterval()).isEqualTo(Duration.ofMinutes(10));
  }

  @Test
  void givenValuesAreTaken() {
    var settings = defaults();
    settings.captureText = "kafka";
    settings.waitText = "250";
    settings.stallText = "60";
    settings.outageText = "5";
    settings.retentionText = "0.5";
    settings.purgeIntervalText = "1";
    settings.init();
    assertThat(settings.problems()).isEmpty();
    assertThat(settings.capture()).isEqualTo("kafka");
    assertThat(settings.listenerWait()).isEqualTo(Duration.ofMillis(250));
    assertThat(settings.listenerStall()).isEqualTo(Duration.ofMinutes(1));
    assertThat(settings.outage()).isEqualTo(Duration.ofSeconds(5));
    assertThat(settings.retentionHours()).isEqualTo(0.5);
    assertThat(settings.purgeInterval()).isEqualTo(Duration.ofSeconds(1));
  }

  @Test
  void eachBadValueIsRefusedByName() {
    var settings = defaults();
    settings.captureText = "poll";
    settings.waitText = "5s";
    settings.stallText = "0";
    settings.outageText = "-1";
    settings.retentionText = "0";
    settings.purgeIntervalText = "ten";
    settings.init();
    assertThat(settings.problems())
        .containsExactly(
            "CHANGE_CAPTURE must be notify, logical or kafka",
            "LISTENER_WAIT_MILLIS must be a whole number of at least 1",
            "LISTENER_STALL_SECONDS must be a whole number of at least 1",
            "LISTENER_OUTAGE_SECONDS must be a whole number of at least 1",
            "EVENT_RETENTION_HOURS must be a number above 0 (such as 2 or 0.5)",
            "EVENT_PURGE_INTERVAL_SECONDS must be a whole number of at least 1");
    assertThat(settings.capture()).isEqualTo("notify");
    assertThat(settings.outage()).isEqualTo(Duration.ofSeconds(30));
  }
}
