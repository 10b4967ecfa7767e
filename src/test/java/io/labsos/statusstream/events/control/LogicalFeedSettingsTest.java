package io.labsos.statusstream.events.control;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;

class LogicalFeedSettingsTest {

  @Test
  void defaultsAreTheListenersOwn() {
    var settings = LogicalFeed.Settings.from(name -> Optional.empty());
    assertThat(settings)
        .isEqualTo(
            new LogicalFeed.Settings(
                "localhost",
                5432,
                "labsos",
                "postgres",
                "",
                Duration.ofSeconds(5),
                Duration.ofSeconds(20),
                Duration.ofSeconds(2),
                Duration.ofSeconds(30)));
  }

  @Test
  void readsTheSameNamesAsTheDataSource() {
    var config =
        Map.of(
            "DB_HOST", "db.internal",
            "DB_PORT", "6543",
            "DB_NAME", "status",
            "DB_USER", "capture",
            "DB_PASSWORD", "secret",
            "LISTENER_SOCKET_TIMEOUT_SECONDS", "7");
    var settings = LogicalFeed.Settings.from(name -> Optional.ofNullable(config.get(name)));
    assertThat(settings.host()).isEqualTo("db.internal");
    assertThat(settings.port()).isEqualTo(6543);
    assertThat(settings.database()).isEqualTo("status");
    assertThat(settings.user()).isEqualTo("capture");
    assertThat(settings.password()).isEqualTo("secret");
    assertThat(settings.socketTimeout()).isEqualTo(Duration.ofSeconds(7));
  }
}
