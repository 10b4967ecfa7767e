package io.labsos.statusstream.bench.scenario;

import io.labsos.statusstream.bench.harness.CommitToDelivery;
import io.labsos.statusstream.bench.harness.Harness;
import io.labsos.statusstream.bench.harness.PostgresCpu;
import io.labsos.statusstream.bench.harness.Project;
import io.labsos.statusstream.bench.harness.ServerProcess;
import io.labsos.statusstream.bench.harness.SseLoad;
import io.labsos.statusstream.bench.report.Figure;
import java.sql.SQLException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.locks.LockSupport;
import org.HdrHistogram.Histogram;

/**
 * (7) The two capture modes side by side: {@code CHANGE_CAPTURE=notify}, then {@code logical}, each
 * on instances of our service that this scenario starts for it and stops after it, never both modes
 * at once (an instance in notify mode turns the triggers' NOTIFY back on). The bench's own
 * instance, itself a listener in notify mode, is stopped for the whole scenario and started again
 * after it. Per mode:
 *
 * <ol>
 *   <li>one instance; the capture table must say what the mode says ({@code notify} true, or false
 *       once an instance in logical mode is ready);
 *   <li>what the trigger costs a writer: tracked job-progress updates against the same updates with
 *       the trigger disabled, by 1 writer and by 4 (each on a project of its own), as {@code
 *       writers} measures them;
 *   <li>{@value #SUBSCRIBERS} subscribers on each of {@value #PROJECTS} projects, written at 1,000
 *       events/s (100 per project): latency from each write's commit to each delivery, and CPU per
 *       tracked change, of PostgreSQL (all its processes, WAL senders and listener connections
 *       apart) and of the instance;
 *   <li>two more instances of the same mode, with the same subscribers each, so that three
 *       listeners (or three WAL senders) follow the same database: the same load again;
 *   <li>the capture table must still say what the mode says.
 * </ol>
 *
 * Each load is run once unmeasured first: the instances are new, their hot paths not compiled yet.
 */
final class CaptureModes implements Scenario {

  static final String TRIGGER = "status_stream_event";
  private static final int PROJECTS = 10;
  private static final int SUBSCRIBERS = 3;
  private static final double RATE = 1_000;
  private static final int INSTANCES = 3;
  private static final int ROUNDS = 3;

  /** The instances' HTTP ports: after the bench's own (9280), below the peer's (9285). */
  private static final int FIRST_PORT = ServerProcess.OURS_PORT + 1;

  private static final List<String> MODES = List.of("notify", "logical");

  /** What one load measured on one set of instances. */
  private record Window(
      int instances,
      int changes,
      double committedPerSecond,
      Histogram commitToDelivery,
      Histogram writerLag,
      PostgresCpu postgres,
      double serviceMillisPerInstance) {

    double perChange(double millis) {
      return millis * 1000.0 / changes;
    }
  }

  @Override
  public String name() {
    return "capture";
  }

  @Override
  public String oursOnly() {
    return "it compares our two capture modes, on instances of ours it starts";
  }

  @Override
  public void run(Harness h) throws Exception {
    // A run stopped while it was disabled (Ctrl-C) left it so.
    JobProgress.setTriggers(h, TRIGGER, true);
    var writers = h.db.projects(4);
    var projects = h.db.projects(PROJECTS);
    var measured = new LinkedHashMap<String, Map<String, Figure>>();
    var failures = new LinkedHashMap<String, String>();
    System.out.println("  stopping " + h.server.name() + " (a notify listener) for this scenario");
    h.server.stop();
    for (var mode : MODES) {
      try {
        measured.put(mode, measure(h, mode, writers, projects));
      } catch (Exception e) {
        System.out.println("  " + mode + " failed: " + e);
        failures.put(mode, String.valueOf(e.getMessage()));
      }
    }
    System.out.println("  starting " + h.server.name() + " again");
    Exception restart = null;
    String after = "";
    try {
      h.server.restart();
      expectCapture(h, "notify", "once " + h.server.name() + " (notify) was ready again");
    } catch (IllegalStateException e) {
      after = "; afterwards: " + e.getMessage();
    } catch (Exception e) {
      restart = e;
      after = "; afterwards: " + e.getMessage();
    }
    for (var mode : MODES) {
      var figures = measured.getOrDefault(mode, new LinkedHashMap<>());
      var note =
          failures.containsKey(mode)
              ? "failed: " + failures.get(mode)
              : "CHANGE_CAPTURE=" + mode + "; " + notes(h);
      h.report("7 capture: " + mode, figures, note + after);
    }
    if (measured.size() == MODES.size()) {
      h.report(
          "7 capture: logical/notify",
          ratios(measured.get("notify"), measured.get("logical")),
          "each figure of logical divided by notify's; targets: 1 writer cost <= 1.3,"
              + " 4 writers tracked/plain >= 0.8, p50 at most 2 ms above notify's");
    }
    if (restart != null) {
      throw restart;
    }
  }

  private Map<String, Figure> measure(
      Harness h, String mode, List<Project> writers, List<Project> projects) throws Exception {
    System.out.println("  CHANGE_CAPTURE=" + mode);
    awaitNoInstance(h);
    var figures = new LinkedHashMap<String, Figure>();
    var settings = Map.of("CHANGE_CAPTURE", mode);
    var instances = new ArrayList<ServerProcess>();
    var loads = new ArrayList<SseLoad>();
    try {
      instances.add(h.instance("capture-" + mode + "-1", FIRST_PORT, settings));
      expectCapture(h, mode, "once the first instance was ready");

      var one = JobProgress.compare(h, writers.subList(0, 1), updates(h), ROUNDS, TRIGGER);
      var four = JobProgress.compare(h, writers, updates(h), ROUNDS, TRIGGER);
      figures.put(
          "1 writer: tracked / plain updates/s",
          Figure.pair(Figure.number(one.tracked()), Figure.number(one.plain())));
      figures.put("1 writer: cost (time tracked / plain)", Figure.number(one.costRatio()));
      figures.put(
          "4 writers: tracked / plain updates/s",
          Figure.pair(Figure.number(four.tracked()), Figure.number(four.plain())));
      figures.put("4 writers: tracked / plain throughput", Figure.number(four.throughputRatio()));

      loads.add(subscribe(h, instances.get(0), projects));
      var single = window(h, instances, loads, projects);
      h.latency(
          "capture " + mode + ": commit to delivery, " + PROJECTS + " x 100 ev/s",
          single.commitToDelivery());

      var pool = Executors.newFixedThreadPool(INSTANCES - 1);
      var starting = new ArrayList<Future<ServerProcess>>();
      for (int i = 2; i <= INSTANCES; i++) {
        var name = "capture-" + mode + "-" + i;
        int port = FIRST_PORT + i - 1;
        starting.add(pool.submit(() -> h.instance(name, port, settings)));
      }
      pool.shutdown();
      Exception failed = null;
      for (var future : starting) {
        try {
          instances.add(future.get());
        } catch (ExecutionException e) {
          failed = e.getCause() instanceof Exception cause ? cause : e;
        }
      }
      if (failed != null) {
        throw failed;
      }
      for (var instance : instances.subList(1, instances.size())) {
        loads.add(subscribe(h, instance, projects));
      }
      var all = window(h, instances, loads, projects);
      expectCapture(h, mode, "at the end");

      put(figures, single);
      put(figures, all);
      figures.put(
          "status_stream_capture.notify",
          Figure.text((mode.equals("notify") ? "true" : "false") + " at start and end"));
    } finally {
      loads.forEach(SseLoad::close);
      for (var instance : instances) {
        try {
          instance.close();
        } catch (Exception e) {
          System.out.println("  stopping " + instance.name() + " failed: " + e);
        }
      }
    }
    return figures;
  }

  private static void put(Map<String, Figure> figures, Window w) {
    var at = w.instances() == 1 ? "1 instance: " : w.instances() + " instances: ";
    figures.put(at + "changes/s committed", Figure.number(w.committedPerSecond()));
    figures.put(
        at + "writer lag p50/p99 ms",
        Figure.pair(Figure.ms(w.writerLag(), 50), Figure.ms(w.writerLag(), 99)));
    figures.put(at + "commit to delivery p50 ms", Figure.ms(w.commitToDelivery(), 50));
    figures.put(at + "commit to delivery p99 ms", Figure.ms(w.commitToDelivery(), 99));
    var pg = w.postgres();
    figures.put(
        at + "PostgreSQL CPU µs/change",
        Figure.number(pg == null ? Double.NaN : w.perChange(pg.totalMillis())));
    figures.put(
        at + " in WAL senders µs/change",
        Figure.number(pg == null ? Double.NaN : w.perChange(pg.walSenderMillis())));
    figures.put(
        at + " in listener conns µs/change",
        Figure.number(pg == null ? Double.NaN : w.perChange(pg.listenerMillis())));
    figures.put(
        at + "service CPU µs/change" + (w.instances() == 1 ? "" : ", each"),
        Figure.number(w.perChange(w.serviceMillisPerInstance())));
  }

  /** Job-progress updates per round, tracked or plain. */
  private static int updates(Harness h) {
    return h.size(5_000, 1_000);
  }

  /** The load's measured part; the instances are new, so an unmeasured part comes first. */
  private static int measuredSeconds(Harness h) {
    return h.size(10, 4);
  }

  private static int unmeasuredSeconds(Harness h) {
    return h.size(10, 2);
  }

  private static String notes(Harness h) {
    return "trigger: jobs progress UPDATE, autocommit, median of "
        + ROUNDS
        + " rounds of "
        + updates(h)
        + ", plain = with "
        + TRIGGER
        + " disabled, 1 instance up; load: "
        + PROJECTS
        + " projects x 100 ev/s for "
        + measuredSeconds(h)
        + " s after "
        + unmeasuredSeconds(h)
        + " s unmeasured, "
        + SUBSCRIBERS
        + " subscribers per project on each instance; writer lag: scheduled to committed;"
        + " CPU per tracked change from /proc: PostgreSQL = postmaster and all its processes"
        + " (WAL senders and the instances' listener connections also apart), service = each"
        + " instance's JVM, delivering to "
        + SUBSCRIBERS
        + " subscribers";
  }

  /** Logical's figures divided by notify's, the latency difference, and the targets. */
  private static Map<String, Figure> ratios(
      Map<String, Figure> notify, Map<String, Figure> logical) {
    var figures = new LinkedHashMap<String, Figure>();
    for (var entry : logical.entrySet()) {
      var other = notify.get(entry.getKey());
      if (other != null && !Double.isNaN(entry.getValue().value())) {
        figures.put(entry.getKey(), Figure.number(entry.getValue().value() / other.value()));
      }
    }
    var p50 = "1 instance: commit to delivery p50 ms";
    double later = logical.get(p50).value() - notify.get(p50).value();
    figures.put("1 instance: p50 logical - notify ms", Figure.number(later));
    double cost = logical.get("1 writer: cost (time tracked / plain)").value();
    double throughput = logical.get("4 writers: tracked / plain throughput").value();
    figures.put("target: logical 1 writer cost <= 1.3", target(cost, cost <= 1.3));
    figures.put("target: logical 4 writers >= 0.8", target(throughput, throughput >= 0.8));
    figures.put("target: logical p50 <= notify's + 2 ms", target(later, later <= 2));
    return figures;
  }

  private static Figure target(double value, boolean met) {
    return Figure.text(Figure.format(value) + (met ? ": met" : ": not met"));
  }

  /** {@value #SUBSCRIBERS} streams on each project, on one instance. */
  private static SseLoad subscribe(Harness h, ServerProcess instance, List<Project> projects)
      throws Exception {
    var load = h.load(instance, 1);
    h.openAll(load, projects.stream().map(Project::id).toList(), PROJECTS * SUBSCRIBERS);
    return load;
  }

  /**
   * The load once unmeasured, then measured: commit-to-delivery latency on every instance's
   * streams, the writers' lag, PostgreSQL's CPU and the instances' from the first write until the
   * last delivery arrived.
   */
  private static Window window(
      Harness h, List<ServerProcess> instances, List<SseLoad> loads, List<Project> projects)
      throws Exception {
    var sources = projects.stream().map(Project::source).toList();
    write(h, loads, sources, (int) (RATE * unmeasuredSeconds(h)), null);
    var clock = new CommitToDelivery();
    loads.forEach(load -> load.onArrival(clock));
    h.writers.takeCommitLag();
    int changes = (int) (RATE * measuredSeconds(h));
    var cpu = new long[instances.size()];
    for (int i = 0; i < cpu.length; i++) {
      cpu[i] = instances.get(i).cpuMillis();
    }
    var postgres = h.db.cpu();
    double seconds = write(h, loads, sources, changes, clock);
    var postgresAfter = h.db.cpu();
    long service = 0;
    for (int i = 0; i < cpu.length; i++) {
      service += instances.get(i).cpuMillis() - cpu[i];
    }
    loads.forEach(load -> load.onArrival(null));
    return new Window(
        instances.size(),
        changes,
        changes / seconds,
        clock.histogram(),
        h.writers.takeCommitLag(),
        postgres == null || postgresAfter == null ? null : postgresAfter.since(postgres),
        service / (double) instances.size());
  }

  /**
   * Writes the changes at {@link #RATE} and waits until every stream has each of its events;
   * returns the seconds the writes took.
   */
  private static double write(
      Harness h, List<SseLoad> loads, List<UUID> sources, int changes, CommitToDelivery clock)
      throws Exception {
    var before = loads.stream().mapToLong(load -> load.received.sum()).toArray();
    long start = System.nanoTime();
    h.writers.write(sources, RATE, changes, 0, clock);
    double seconds = (System.nanoTime() - start) / 1e9;
    for (int i = 0; i < loads.size(); i++) {
      h.awaitReceived(
          loads.get(i), before[i] + (long) changes * SUBSCRIBERS, Duration.ofSeconds(60));
    }
    return seconds;
  }

  /**
   * Makes sure the capture table says what {@code mode} says: the triggers NOTIFY in notify mode,
   * and do not once an instance in logical mode is ready. An instance of the other mode on the same
   * database would flip it.
   */
  private static void expectCapture(Harness h, String mode, String when) throws SQLException {
    boolean expected = mode.equals("notify");
    boolean notify;
    try (var db = h.db.connect();
        var rows = db.createStatement().executeQuery("SELECT notify FROM status_stream_capture")) {
      rows.next();
      notify = rows.getBoolean(1);
    }
    if (notify != expected) {
      throw new IllegalStateException(
          "status_stream_capture.notify was "
              + notify
              + " "
              + when
              + " with CHANGE_CAPTURE="
              + mode
              + ": an instance in "
              + (expected ? "logical" : "notify")
              + " mode runs on the database");
    }
  }

  /**
   * Waits (at most 30 s) until no instance of any mode is on the database: no listener connection,
   * no logical feed, no slot of ours.
   */
  private static void awaitNoInstance(Harness h) throws SQLException {
    long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
    while (true) {
      long left;
      try (var db = h.db.connect();
          var rows =
              db.createStatement()
                  .executeQuery(
                      "SELECT (SELECT count(*) FROM pg_stat_activity"
                          + " WHERE datname = current_database() AND application_name IN"
                          + " ('status-stream-listener', 'status-stream-feed'))"
                          + " + (SELECT count(*) FROM pg_replication_slots"
                          + " WHERE database = current_database()"
                          + " AND slot_name LIKE 'status\\_stream\\_%')")) {
        rows.next();
        left = rows.getLong(1);
      }
      if (left == 0) {
        return;
      }
      if (System.nanoTime() > deadline) {
        throw new IllegalStateException(
            left
                + " listener connections, feeds or slots of another instance are still on the"
                + " database; stop every other instance of the service on it first");
      }
      LockSupport.parkNanos(200_000_000);
    }
  }
}
