package io.labsos.statusstream.bench.harness;

/**
 * CPU of the local PostgreSQL, in ms of user + system time: all of it (the postmaster, its live
 * children and the children it reaped), and three parts of it by the live processes' {@code
 * backend_type} and {@code application_name} in {@code pg_stat_activity}: the WAL senders (logical
 * decoding for the service's replication connections), the service's own listener connections
 * ({@code status-stream-*}, not its pool) and the Kafka relay's connection ({@code status-stream
 * relay <pid>}, which reads the log for the topic). Counters since the processes started: take two
 * and subtract ({@link #since}). A part is right across the two only if its processes lived through
 * both (a WAL sender that ended in between takes its part along; the total keeps it).
 */
public record PostgresCpu(
    long totalMillis, long walSenderMillis, long listenerMillis, long relayMillis) {

  /** What was spent between {@code earlier} and this. */
  public PostgresCpu since(PostgresCpu earlier) {
    return new PostgresCpu(
        totalMillis - earlier.totalMillis,
        walSenderMillis - earlier.walSenderMillis,
        listenerMillis - earlier.listenerMillis,
        relayMillis - earlier.relayMillis);
  }
}
