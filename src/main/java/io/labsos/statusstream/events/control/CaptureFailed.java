package io.labsos.statusstream.events.control;

/**
 * A capture that worked stopped working for a reason other than the database connection (the
 * brokers, the relay, the topic): a passing outage, retried with backoff, whose reason readiness
 * shows until the capture works again.
 */
final class CaptureFailed extends RuntimeException {
  private static final long serialVersionUID = 1L;

  static final String BROKERS = "kafka: no broker answers";
  static final String TOPIC = "kafka: the topic does not exist";
  static final String RELAY = "kafka: no relay publishes to the topic";
  static final String PARTITIONS = "kafka: the topic's partitions changed";
  static final String RETENTION = "kafka: the topic no longer holds this instance's position";

  private final String reason;

  /**
   * @param reason one of the fixed texts above: it names no host or topic, so readiness may show it
   * @param message the same for the log, with the details
   */
  CaptureFailed(String reason, String message, Throwable cause) {
    super(message, cause);
    this.reason = reason;
  }

  String reason() {
    return reason;
  }
}
