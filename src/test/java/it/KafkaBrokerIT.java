package it;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import org.junit.jupiter.api.Test;

/**
 * The broker the suite's Kafka tests share: at the address the run gave (bin/test's own, unless
 * KAFKA_BOOTSTRAP_SERVERS named one), answering, and, when bin/kafka runs it, one the tests may
 * stop and start.
 */
class KafkaBrokerIT {

  @Test
  void theSuitesBrokerAnswersAtTheAddressTheRunGave() throws Exception {
    var broker = KafkaBroker.shared();
    var environment = System.getenv("KAFKA_BOOTSTRAP_SERVERS");
    if (environment != null) {
      assertThat(broker.bootstrapServers()).isEqualTo(environment);
    }
    broker.awaitReachable(Duration.ofSeconds(30));
    if (broker.controllable()) {
      assertThat(broker.script("status")).contains("running on " + broker.bootstrapServers());
    }
  }
}
