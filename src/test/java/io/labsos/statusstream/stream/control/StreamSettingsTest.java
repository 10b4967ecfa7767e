package io.labsos.statusstream.stream.control;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class StreamSettingsTest {

  /** Settings with the defaults the annotations give, as MicroProfile Config injects them. */
  static StreamSettings defaults() {
    var settings = new StreamSettings();
    settings.heartbeatText = "15";
    settings.writeTimeoutText = "10";
    settings.retryText = "3000";
    settings.bufferText = "1000";
    settings.writerThreadsText = "256";
    return settings;
  }

  @Test
  void theDefaultsAreTheDocumentedOnes() {
    var settings = defaults();
    settings.init();
    assertThat(settings.problems()).isEmpty();
    assertThat(settings.heartbeatSeconds()).isEqualTo(15);
    assertThat(settings.writeTimeoutSeconds()).isEqualTo(10);
    assertThat(settings.retryMillis()).isEqualTo(3000);
    assertThat(settings.bufferEvents()).isEqualTo(1000);
    assertThat(settings.writerThreads()).isEqualTo(256);
  }

  @Test
  void givenValuesAreTaken() {
    var settings = defaults();
    settings.heartbeatText = "2";
    settings.writeTimeoutText = " 3 ";
    settings.retryText = "0";
    settings.bufferText = "1";
    settings.writerThreadsText = "8";
    settings.init();
    assertThat(settings.problems()).isEmpty();
    assertThat(settings.heartbeatSeconds()).isEqualTo(2);
    assertThat(settings.writeTimeoutSeconds()).isEqualTo(3);
    assertThat(settings.retryMillis()).isZero();
    assertThat(settings.bufferEvents()).isEqualTo(1);
    assertThat(settings.writerThreads()).isEqualTo(8);
  }

  @Test
  void eachBadValueIsRefusedByNameAndTheDefaultUsedMeanwhile() {
    var settings = defaults();
    settings.heartbeatText = "abc";
    settings.writeTimeoutText = "0";
    settings.retryText = "-1";
    settings.bufferText = "1k";
    settings.writerThreadsText = "";
    settings.init();
    assertThat(settings.problems())
        .containsExactly(
            "STREAM_HEARTBEAT_SECONDS must be a whole number of at least 1",
            "STREAM_WRITE_TIMEOUT_SECONDS must be a whole number of at least 1",
            "STREAM_RETRY_MILLIS must be a whole number, 0 or more",
            "STREAM_BUFFER_EVENTS must be a whole number from 1 to 2147483647",
            "STREAM_WRITER_THREADS must be a whole number from 1 to 2147483647");
    assertThat(settings.heartbeatSeconds()).isEqualTo(15);
    assertThat(settings.writeTimeoutSeconds()).isEqualTo(10);
    assertThat(settings.retryMillis()).isEqualTo(3000);
    assertThat(settings.bufferEvents()).isEqualTo(1000);
    assertThat(settings.writerThreads()).isEqualTo(256);
  }
}
