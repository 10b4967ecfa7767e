package it.capture.fault;

import io.labsos.statusstream.events.entity.StatusEvent;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;

/**
 * A fault for the test that deploys it: another observer of the listener's events that fails on the
 * events whose payload says "explode", as a bug in a delivery would.
 */
@ApplicationScoped
public class FailingObserver {

  void explode(@Observes StatusEvent event) {
    if (event.json().contains("explode")) {
      throw new IllegalStateException("an observer failed on purpose");
    }
  }
}
