package io.labsos.statusstream.events.control;

import java.time.Duration;
import java.time.Instant;
import java.util.Optional;

/**
 * What the health checks and the streams need to know of the listener: whether it is connected and
 * caught up, since when it is not, why, and when its loop last moved.
 *
 * <p>Threads: written by the listener's loop, read by anyone.
 */
final class ListenerState {

  private volatile boolean connected;
  private volatile Instant lastProgress = Instant.now();
  private volatile Instant disconnectedSince = Instant.now();
  private volatile String lastFailure = "not connected yet";
  private volatile String problem;

  boolean connected() {
    return connected;
  }

  String lastFailure() {
    return lastFailure;
  }

  Optional<String> problem() {
    return Optional.ofNullable(problem);
  }

  Instant lastProgress() {
    return lastProgress;
  }

  Duration unavailableFor() {
    return connected ? Duration.ZERO : Duration.between(disconnectedSince, Instant.now());
  }

  /** The loop moved: a round trip to the database, or an attempt to connect that came back. */
  void moved() {
    lastProgress = Instant.now();
  }

  /** Connected, capturing and caught up with the log. */
  void up() {
    connected = true;
    problem = null;
    moved();
  }

  /** The connection failed, or could not be made: a passing outage, retried with backoff. */
  void lost(String failure) {
    down();
    lastFailure = failure;
  }

  /**
   * The capture failed for a reason readiness should name (the brokers, the relay): a passing
   * outage all the same, retried with backoff.
   *
   * @param reason a fixed text that names no host, user or database
   */
  void lost(String failure, String reason) {
    down();
    problem = reason;
    lastFailure = failure;
  }

  /**
   * The configuration or the database does not allow capturing at all.
   *
   * @param reason a fixed text that names no host, user or database: what readiness may show
   */
  void impossible(String reason, String failure) {
    down();
    problem = reason;
    lastFailure = failure;
  }

  private void down() {
    if (connected) {
      disconnectedSince = Instant.now();
    }
    connected = false;
    moved();
  }
}
