package io.labsos.statusstream.bench.harness;

import java.sql.Connection;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.locks.LockSupport;
import org.HdrHistogram.Histogram;
import org.HdrHistogram.Recorder;

/**
 * The services that write the contract's tables: {@code UPDATE}s of ingestion sources, each
 * carrying its scheduled time ({@code "b:<epoch µs>"}) in the status, which the load generator
 * reads back out of the event.
 */
public final class Writers {

  private static final int CONNECTIONS = 4;

  private final Database db;

  /** From a write's scheduled time to its commit: the part of the latency that is the writer's. */
  private final Recorder commitLag = new Recorder(3);

  /** Told of each timed write once it committed. */
  public interface Commits {
    /**
     * @param scheduledMicros the write's scheduled time, which its event carries
     * @param committedMicros when the commit returned to the writer, in epoch µs
     */
    void committed(long scheduledMicros, long committedMicros);
  }

  public Writers(Database db) {
    this.db = db;
  }

  /**
   * Commits {@code events} updates over 4 connections, spread over the sources; rate 0 means as
   * fast as they can. At a rate (open loop), each write's time is its scheduled time, so a lagging
   * writer shows as latency.
   */
  public void write(List<UUID> sources, double rate, int events, int padding) throws Exception {
    write(sources, rate, events, padding, null);
  }

  /** The same, telling {@code commits} (if not null) when each timed write committed. */
  public void write(List<UUID> sources, double rate, int events, int padding, Commits commits)
      throws Exception {
    long period = rate <= 0 ? 0 : (long) (1e9 / rate);
    long startNanos = System.nanoTime() + 50_000_000;
    long startMicros = SseLoad.nowMicros() + 50_000;
    var pad = padding > 0 ? ":" + "x".repeat(padding) : "";
    var pool = Executors.newFixedThreadPool(CONNECTIONS);
    var futures = new ArrayList<Future<?>>();
    for (int w = 0; w < CONNECTIONS; w++) {
      int first = w;
      futures.add(
          pool.submit(
              () -> {
                try (Connection c = db.connect();
                    var update =
                        c.prepareStatement(
                            "UPDATE ingestion_sources SET status = ? WHERE id = ?")) {
                  for (int i = first; i < events; i += CONNECTIONS) {
                    long at = startNanos + i * period;
                    long wait = at - System.nanoTime();
                    if (wait > 0) {
                      LockSupport.parkNanos(wait);
                    }
                    long micros =
                        period == 0 ? SseLoad.nowMicros() : startMicros + (at - startNanos) / 1_000;
                    update.setString(1, "b:" + micros + pad);
                    update.setObject(2, sources.get(i % sources.size()));
                    update.executeUpdate();
                    if (period != 0) {
                      long committed = SseLoad.nowMicros();
                      commitLag.recordValue(Math.max(0, committed - micros));
                      if (commits != null) {
                        commits.committed(micros, committed);
                      }
                    }
                  }
                }
                return null;
              }));
    }
    for (var f : futures) {
      f.get();
    }
    pool.shutdown();
  }

  /** The writers' lag from schedule to commit since the last call, in µs. */
  public Histogram takeCommitLag() {
    return commitLag.getIntervalHistogram();
  }
}
