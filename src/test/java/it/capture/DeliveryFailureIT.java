package it.capture;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import it.Api;
import it.Db;
import it.Deployments;
import it.Http;
import it.Metrics;
import it.capture.fault.FailingObserver;
import java.io.IOException;
import java.net.URL;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import org.jboss.arquillian.container.test.api.Deployment;
import org.jboss.arquillian.container.test.api.RunAsClient;
import org.jboss.arquillian.junit5.ArquillianExtension;
import org.jboss.arquillian.test.api.ArquillianResource;
import org.jboss.shrinkwrap.api.spec.WebArchive;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * A failure while an event is handed on is the delivery's, not the listener's connection: it is
 * logged once with its project and id and counted, that project's streams end (their clients resume
 * from the log, where the event is), and the listener goes on with the next event.
 */
@ExtendWith(ArquillianExtension.class)
@RunAsClient
class DeliveryFailureIT {

  @Deployment(testable = false)
  public static WebArchive app() {
    return Deployments.war().addClass(FailingObserver.class);
  }

  @ArquillianResource URL base;

  @Test
  void aFailingDeliveryEndsThatProjectsStreamsOnceAndTheListenerGoesOn() throws IOException {
    var ready = Api.management("/health/ready");
    await().atMost(Duration.ofSeconds(90)).until(() -> Http.get(ready).statusCode() == 200);
    var project = Db.project("alice");
    var source = Db.source(project);
    var other = Db.project("alice");
    var otherSource = Db.source(other);
    double reconnects = Metrics.value(base, "status_stream_listener_reconnects_total");
    double failures = Metrics.value(base, "status_stream_delivery_failures_total");
    String fine;
    try (var client = Api.stream(base, project, "alice");
        var bystander = Api.stream(base, other, "alice")) {
      Db.setSourceStatus(source, "fine");
      fine = client.awaitProjectEvents(1).projectEvents().get(0).id();
      Db.setSourceStatus(source, "explode");
      client.awaitEnded();

      Db.setSourceStatus(otherSource, "after the failure");
      assertThat(bystander.awaitProjectEvents(1).ended()).isFalse();
      await()
          .atMost(Duration.ofSeconds(10))
          .until(() -> Metrics.value(base, "status_stream_delivery_failures_total") > failures);
      assertThat(Metrics.value(base, "status_stream_delivery_failures_total"))
          .isEqualTo(failures + 1);
      assertThat(Metrics.value(base, "status_stream_listener_reconnects_total"))
          .as("not a lost connection")
          .isEqualTo(reconnects);
    }
    long exploded = Db.head(project);
    var log = Files.readString(Path.of(System.getProperty("it.logs"), "messages.log"));
    assertThat(log.lines().filter(l -> l.contains("Delivering event " + exploded + " of project")))
        .hasSize(1)
        .allSatisfy(l -> assertThat(l).contains(project.toString()));

    try (var resumed = Api.stream(base, project, "alice", "Last-Event-ID", fine)) {
      var event = resumed.awaitProjectEvents(1).projectEvents().get(0);
      assertThat(Http.json(event.data()).getString("status")).isEqualTo("explode");
    }
  }
}
