package io.labsos.statusstream.bench.scenario;

import io.labsos.statusstream.bench.harness.CommitToDelivery;
import io.labsos.statusstream.bench.harness.Harness;
import io.labsos.statusstream.bench.harness.KafkaBroker;
import io.labsos.statusstream.bench.harness.PostgresCpu;
import io.labsos.statusstream.bench.harness.Project;
import io.labsos.statusstream.bench.harness.ServerProcess;
import io.labsos.statusstream.bench.harness.SseLoad;
import io.labsos.statusstream.bench.report.Figure;
import java.sql.SQLException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.locks.LockSupport;
import java.util.function.ToDoubleFunction;
import org.HdrHistogram.Histogram;

/**
 * (7) The capture modes side by side: {@code CHANGE_CAPTURE=notify}, {@code logical}, and {@code
 * kafka} with its relay reading the log by notify, then by logical replication; each on instances
 * of our service that this scenario starts for it and stops after it, never two modes at once (an
 * instance in notify mode turns the triggers' NOTIFY back on, one in logical mode off). The bench's
 * own instance, itself a listener in notify mode, is stopped for the whole scenario and started
 * again after it. Kafka's broker is started for the Kafka modes only ({@link KafkaBroker}). Per
 * mode:
 *
 * <ol>
 *   <li>one instance; the capture table must say what the mode says ({@code notify} true when the
 *       instances, or the relay, read by notify; false once one reading by logical replication is
 *       ready). In the Kafka modes the relay starts afresh, at the projects' heads (its recorded
 *       positions are deleted before), and the first instance is the relay;
 *   <li>what the trigger costs a writer: tracked job-progress updates against the same updates with
 *       the trigger disabled, by 1 writer and by 4 (each on a project of its own), as {@code
 *       writers} measures them;
 *   <li>{@value #SUBSCRIBERS} subscribers on each of {@value #PROJECTS} projects on every instance,
 *       with 1, then 2, then 4 instances (the new ones get the same subscribers): the changes
 *       written at {@value #HIGH_RATE} changes/s, then at {@value #LOW_RATE}/s, spread over the
 *       projects. Latency from each write's commit to each delivery, and, at the higher rate, CPU
 *       per tracked change of PostgreSQL (all its processes; the WAL senders, the instances'
 *       listener connections and the relay's connection also apart) and of each instance;
 *   <li>with the 4 instances, changes to projects no instance has streams for, at the higher rate:
 *       what following the log costs an instance for nothing (in Kafka mode, reading every
 *       partition of the topic), net of what the same instance spends idle in as long;
 *   <li>the capture table must still say what the mode says.
 * </ol>
 *
 * Each set of instances gets the higher load once unmeasured first: the new instances' hot paths
 * are not compiled yet.
 */
final class CaptureModes implements Scenario {

  static final String TRIGGER = "status_stream_event";
  private static final int PROJECTS = 10;
  private static final int SUBSCRIBERS = 3;
  private static final int HIGH_RATE = 2_000;
  private static final int LOW_RATE = 100;
  private static final List<Integer> INSTANCES = List.of(1, 2, 4);
  private static final int ROUNDS = 5;

  /** How long the last changes of a load without streams get to reach every instance. */
  private static final long SETTLE_MILLIS = 2_000;

  /** The instances' HTTP ports: after the bench's own (9280), below the peer's (9285). */
  private static final int FIRST_PORT = ServerProcess.OURS_PORT + 1;

  /** The Kafka modes' topic, made by the relay with the service's default partitions (12). */
  private static final String TOPIC = "status-stream-bench";

  /**
   * One way to capture, as its instances are configured.
   *
   * @param notifies whether the triggers NOTIFY in this mode (the instances or the relay read by
   *     notify)
   * @param kafka whether a relay publishes the log to Kafka for the instances
   */
  private record Mode(String name, Map<String, String> settings, boolean notifies, boolean kafka) {

    String describe() {
      return settings.entrySet().stream()
          .filter(setting -> !setting.getKey().equals("KAFKA_TOPIC"))
          .map(setting -> setting.getKey() + "=" + setting.getValue())
          .sorted()
          .reduce((a, b) -> a + ", " + b)
          .orElse("");
    }
  }

  private static final List<Mode> MODES =
      List.of(
          new Mode("notify", Map.of("CHANGE_CAPTURE", "notify"), true, false),
          new Mode("logical", Map.of("CHANGE_CAPTURE", "logical"), false, false),
          new Mode(
              "kafka",
              Map.of(
                  "CHANGE_CAPTURE", "kafka", "KAFKA_RELAY_CAPTURE", "notify", "KAFKA_TOPIC", TOPIC),
              true,
              true),
          new Mode(
              "kafka-logical",
              Map.of(
                  "CHANGE_CAPTURE",
                  "kafka",
                  "KAFKA_RELAY_CAPTURE",
                  "logical",
                  "KAFKA_TOPIC",
                  TOPIC),
              false,
              true));

  /**
   * What one load measured on one set of instances.
   *
   * @param serviceMillis each instance's CPU
   * @param relay which instance was the relay (-1: none)
   * @param brokerMillis the local Kafka broker's CPU (NaN: none, or not on this machine)
   * @param fetches the fetch requests the local broker answered (NaN: none, or not on this machine)
   */
  private record Window(
      int changes,
      double committedPerSecond,
      Histogram commitToDelivery,
      Histogram writerLag,
      PostgresCpu postgres,
      long[] serviceMillis,
      int relay,
      double brokerMillis,
      double fetches) {

    double perChange(double millis) {
      return millis * 1000.0 / changes;
    }

    double postgresPerChange(ToDoubleFunction<PostgresCpu> part) {
      return postgres == null ? Double.NaN : perChange(part.applyAsDouble(postgres));
    }

    /** Each instance's CPU per change, on average. */
    double servicePerChange() {
      long sum = 0;
      for (long millis : serviceMillis) {
        sum += millis;
      }
      return perChange(sum / (double) serviceMillis.length);
    }

    double relayPerChange() {
      return relay < 0 ? Double.NaN : perChange(serviceMillis[relay]);
    }

    /** Records each instance took from the topic per fetch, on average. */
    double recordsPerFetch() {
      return changes * (double) serviceMillis.length / fetches;
    }
  }

  @Override
  public String name() {
    return "capture";
  }

  @Override
  public String oursOnly() {
    return "it compares our capture modes, on instances of ours it starts";
  }

  @Override
  public void run(Harness h) throws Exception {
    // A run stopped while it was disabled (Ctrl-C) left it so.
    JobProgress.setTriggers(h, TRIGGER, true);
    var writers = h.db.projects(4);
    var projects = h.db.projects(PROJECTS);
    var unwatched = h.db.projects(PROJECTS);
    var measured = new LinkedHashMap<String, Map<String, Figure>>();
    var failures = new LinkedHashMap<String, String>();
    System.out.println("  stopping " + h.server.name() + " (a notify listener) for this scenario");
    h.server.stop();
    KafkaBroker broker = null;
    try {
      for (var mode : MODES) {
        try {
          if (mode.kafka() && broker == null) {
            broker = h.kafka();
          }
          measured.put(mode.name(), measure(h, mode, broker, writers, projects, unwatched));
        } catch (Exception e) {
          System.out.println("  " + mode.name() + " failed: " + e);
          failures.put(mode.name(), String.valueOf(e.getMessage()));
        }
      }
    } finally {
      if (broker != null) {
        broker.close();
      }
    }
    System.out.println("  starting " + h.server.name() + " again");
    Exception restart = null;
    String after = "";
    try {
      h.server.restart();
      expectCapture(h, MODES.get(0), "once " + h.server.name() + " (notify) was ready again");
    } catch (IllegalStateException e) {
      after = "; afterwards: " + e.getMessage();
    } catch (Exception e) {
      restart = e;
      after = "; afterwards: " + e.getMessage();
    }
    for (var mode : MODES) {
      var figures = measured.getOrDefault(mode.name(), new LinkedHashMap<>());
      var note =
          failures.containsKey(mode.name())
              ? "failed: " + failures.get(mode.name())
              : mode.describe() + "; " + notes(h, mode);
      h.report("7 capture: " + mode.name(), figures, note + after);
    }
    ratio(h, measured, "logical", "notify");
    ratio(h, measured, "kafka", "notify");
    ratio(h, measured, "kafka-logical", "logical");
    h.report("7 capture: targets", targets(measured), "");
    if (restart != null) {
      throw restart;
    }
  }

  private Map<String, Figure> measure(
      Harness h,
      Mode mode,
      KafkaBroker broker,
      List<Project> writers,
      List<Project> projects,
      List<Project> unwatched)
      throws Exception {
    System.out.println("  " + mode.name() + ": " + mode.describe());
    awaitNoInstance(h);
    var settings = new HashMap<>(mode.settings());
    if (mode.kafka()) {
      forgetRelayPositions(h);
      settings.put("KAFKA_BOOTSTRAP_SERVERS", broker.bootstrapServers());
    }
    var figures = new LinkedHashMap<String, Figure>();
    var instances = new ArrayList<ServerProcess>();
    var loads = new ArrayList<SseLoad>();
    try {
      instances.add(h.instance(instanceName(mode, 1), FIRST_PORT, settings));
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

      var sources = projects.stream().map(Project::source).toList();
      var postgres = new LinkedHashMap<Integer, Double>();
      for (int count : INSTANCES) {
        startInstances(h, mode, settings, instances, count);
        for (var instance : instances.subList(loads.size(), instances.size())) {
          loads.add(subscribe(h, instance, projects));
        }
        write(h, loads, sources, HIGH_RATE, HIGH_RATE * unmeasuredSeconds(h), null);
        var high = window(h, instances, loads, sources, HIGH_RATE, broker);
        var low = window(h, instances, loads, sources, LOW_RATE, broker);
        if (count == 1 || count == INSTANCES.get(INSTANCES.size() - 1)) {
          h.latency(
              "capture " + mode.name() + ", " + at(count, HIGH_RATE) + ": commit to delivery",
              high.commitToDelivery());
        }
        put(figures, count, high, low, mode);
        postgres.put(count, high.postgresPerChange(PostgresCpu::totalMillis));
      }
      for (int count : INSTANCES.subList(1, INSTANCES.size())) {
        figures.put(
            "PostgreSQL CPU per change, " + count + " / 1 instances",
            Figure.number(postgres.get(count) / postgres.get(1)));
      }
      putUnwatched(figures, unwatched(h, instances, unwatched, broker), mode);
      expectCapture(h, mode, "at the end");
      figures.put(
          "status_stream_capture.notify", Figure.text(mode.notifies() + " at start and end"));
    } finally {
      loads.forEach(SseLoad::close);
      // The last started first: the relay (the first) stops last, so no other takes its turn.
      for (int i = instances.size() - 1; i >= 0; i--) {
        var instance = instances.get(i);
        try {
          instance.close();
        } catch (Exception e) {
          System.out.println("  stopping " + instance.name() + " failed: " + e);
        }
      }
    }
    return figures;
  }

  private static String instanceName(Mode mode, int number) {
    return "capture-" + mode.name() + "-" + number;
  }

  /** Starts instances (at once) until there are {@code count}, each ready before this returns. */
  private static void startInstances(
      Harness h, Mode mode, Map<String, String> settings, List<ServerProcess> instances, int count)
      throws Exception {
    if (instances.size() >= count) {
      return;
    }
    var pool = Executors.newFixedThreadPool(count - instances.size());
    var starting = new ArrayList<Future<ServerProcess>>();
    for (int i = instances.size() + 1; i <= count; i++) {
      var name = instanceName(mode, i);
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
  }

  private static void put(
      Map<String, Figure> figures, int instances, Window high, Window low, Mode mode) {
    var at = at(instances, HIGH_RATE);
    var atLow = at(instances, LOW_RATE);
    figures.put(atLow + ": commit to delivery p50 ms", Figure.ms(low.commitToDelivery(), 50));
    figures.put(atLow + ": commit to delivery p99 ms", Figure.ms(low.commitToDelivery(), 99));
    figures.put(at + ": changes/s committed", Figure.number(high.committedPerSecond()));
    figures.put(
        at + ": writer lag p50/p99 ms",
        Figure.pair(Figure.ms(high.writerLag(), 50), Figure.ms(high.writerLag(), 99)));
    figures.put(at + ": commit to delivery p50 ms", Figure.ms(high.commitToDelivery(), 50));
    figures.put(at + ": commit to delivery p99 ms", Figure.ms(high.commitToDelivery(), 99));
    figures.put(
        at + ": PostgreSQL CPU µs/change",
        Figure.number(high.postgresPerChange(PostgresCpu::totalMillis)));
    figures.put(
        at + ":  in WAL senders",
        Figure.number(high.postgresPerChange(PostgresCpu::walSenderMillis)));
    figures.put(
        at + ":  in listener conns",
        Figure.number(high.postgresPerChange(PostgresCpu::listenerMillis)));
    figures.put(
        at + ":  in the relay's conn",
        Figure.number(high.postgresPerChange(PostgresCpu::relayMillis)));
    figures.put(at + ": service CPU µs/change, each", Figure.number(high.servicePerChange()));
    if (mode.kafka()) {
      figures.put(at + ":  the relay's instance", Figure.number(high.relayPerChange()));
      figures.put(
          at + ": Kafka broker CPU µs/change", Figure.number(high.perChange(high.brokerMillis())));
      figures.put(at + ": records per fetch, each", Figure.number(high.recordsPerFetch()));
    }
  }

  /** How a load's figures are named: "2 inst @ 2,000/s". */
  private static String at(int instances, int rate) {
    return String.format("%d inst @ %,d/s", instances, rate);
  }

  /** Job-progress updates per round, tracked or plain. */
  private static int updates(Harness h) {
    return h.size(5_000, 1_000);
  }

  /** A load's measured part. */
  private static int measuredSeconds(Harness h) {
    return h.size(10, 4);
  }

  /** The load each new set of instances gets first, unmeasured. */
  private static int unmeasuredSeconds(Harness h) {
    return h.size(10, 2);
  }

  private static String notes(Harness h, Mode mode) {
    return "trigger: jobs progress UPDATE, autocommit, median of "
        + ROUNDS
        + " rounds of "
        + updates(h)
        + ", plain = with "
        + TRIGGER
        + " disabled, 1 instance up; loads: "
        + PROJECTS
        + " projects, "
        + HIGH_RATE
        + " then "
        + LOW_RATE
        + " changes/s for "
        + measuredSeconds(h)
        + " s each (after "
        + unmeasuredSeconds(h)
        + " s unmeasured at "
        + HIGH_RATE
        + " on each new set of instances), "
        + SUBSCRIBERS
        + " subscribers per project on each instance; writer lag: scheduled to committed;"
        + " CPU per tracked change from /proc: PostgreSQL = postmaster and all its processes"
        + " (WAL senders, the instances' listener connections and the relay's connection also"
        + " apart), service = each instance's JVM, delivering to "
        + SUBSCRIBERS
        + " subscribers per project; no streams: "
        + HIGH_RATE
        + " changes/s to "
        + PROJECTS
        + " projects without streams, with the 4 instances, CPU net of the same instance idle"
        + (mode.kafka()
            ? "; topic " + TOPIC + " (12 partitions), the relay started at the heads"
            : "");
  }

  /** Each of {@code mode}'s figures divided by {@code base}'s, as a row of its own. */
  private static void ratio(
      Harness h, Map<String, Map<String, Figure>> measured, String mode, String base) {
    var figures = measured.get(mode);
    var other = measured.get(base);
    if (figures == null || other == null) {
      return;
    }
    var ratios = new LinkedHashMap<String, Figure>();
    for (var entry : figures.entrySet()) {
      var divisor = other.get(entry.getKey());
      if (divisor != null && !Double.isNaN(entry.getValue().value())) {
        ratios.put(entry.getKey(), Figure.number(entry.getValue().value() / divisor.value()));
      }
    }
    h.report(
        "7 capture: " + mode + "/" + base,
        ratios,
        "each figure of " + mode + " divided by " + base + "'s");
  }

  /**
   * The targets of issue 13 (logical mode) and issue 19 (Kafka mode), from whichever modes were
   * measured.
   */
  private static Map<String, Figure> targets(Map<String, Map<String, Figure>> measured) {
    var targets = new LinkedHashMap<String, Figure>();
    var notify = measured.get("notify");
    var logical = measured.get("logical");
    if (logical != null) {
      double cost = value(logical, "1 writer: cost (time tracked / plain)");
      double throughput = value(logical, "4 writers: tracked / plain throughput");
      targets.put("logical: 1 writer cost <= 1.3", target(cost, cost <= 1.3));
      targets.put("logical: 4 writers tracked/plain >= 0.8", target(throughput, throughput >= 0.8));
    }
    if (logical != null && notify != null) {
      var p50 = at(1, HIGH_RATE) + ": commit to delivery p50 ms";
      double later = value(logical, p50) - value(notify, p50);
      targets.put(
          "logical: p50 at most 2 ms above notify's, " + at(1, HIGH_RATE),
          target(later, later <= 2));
    }
    for (var kafka : List.of("kafka", "kafka-logical")) {
      var figures = measured.get(kafka);
      if (figures == null) {
        continue;
      }
      double flat = value(figures, "PostgreSQL CPU per change, 4 / 1 instances");
      targets.put(kafka + ": PostgreSQL CPU 4 / 1 instances <= 1.2", target(flat, flat <= 1.2));
      var relayReads = kafka.equals("kafka") ? notify : logical;
      var relayMode = kafka.equals("kafka") ? "notify" : "logical";
      if (relayReads != null) {
        var cost = "1 writer: cost (time tracked / plain)";
        targets.put(
            kafka + ": 1 writer's cost / " + relayMode + "'s (equal: 1)",
            Figure.number(value(figures, cost) / value(relayReads, cost)));
        var throughput = "4 writers: tracked / plain throughput";
        targets.put(
            kafka + ": 4 writers' throughput / " + relayMode + "'s (equal: 1)",
            Figure.number(value(figures, throughput) / value(relayReads, throughput)));
      }
      if (notify != null) {
        for (int count : INSTANCES) {
          var p50 = at(count, LOW_RATE) + ": commit to delivery p50 ms";
          double times = value(figures, p50) / value(notify, p50);
          targets.put(
              kafka + ": p50 / notify's <= 2, " + at(count, LOW_RATE), target(times, times <= 2));
        }
      }
    }
    return targets;
  }

  private static double value(Map<String, Figure> figures, String name) {
    var figure = figures.get(name);
    return figure == null ? Double.NaN : figure.value();
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
   * One measured load: commit-to-delivery latency on every instance's streams, the writers' lag,
   * PostgreSQL's CPU and the instances' from the first write until the last delivery arrived.
   */
  private static Window window(
      Harness h,
      List<ServerProcess> instances,
      List<SseLoad> loads,
      List<UUID> sources,
      int rate,
      KafkaBroker broker)
      throws Exception {
    var clock = new CommitToDelivery();
    loads.forEach(load -> load.onArrival(clock));
    h.writers.takeCommitLag();
    int changes = rate * measuredSeconds(h);
    var cpu = cpu(instances);
    var postgres = h.db.cpu();
    double brokerCpu = broker == null ? Double.NaN : broker.cpuMillis();
    double fetches = fetches(broker);
    double seconds = write(h, loads, sources, rate, changes, clock);
    var postgresAfter = h.db.cpu();
    var spent = since(cpu(instances), cpu);
    double brokerSpent = broker == null ? Double.NaN : broker.cpuMillis() - brokerCpu;
    fetches = fetches(broker) - fetches;
    loads.forEach(load -> load.onArrival(null));
    return new Window(
        changes,
        changes / seconds,
        clock.histogram(),
        h.writers.takeCommitLag(),
        postgres == null || postgresAfter == null ? null : postgresAfter.since(postgres),
        spent,
        relay(instances),
        brokerSpent,
        fetches);
  }

  /** The fetch requests the broker answered so far; NaN without a local broker. */
  private static double fetches(KafkaBroker broker) throws Exception {
    return broker == null ? Double.NaN : broker.fetchRequests();
  }

  /**
   * Writes the changes at {@code rate} and waits until every stream has each of its events; returns
   * the seconds the writes took.
   */
  private static double write(
      Harness h,
      List<SseLoad> loads,
      List<UUID> sources,
      int rate,
      int changes,
      CommitToDelivery clock)
      throws Exception {
    var before = loads.stream().mapToLong(load -> load.received.sum()).toArray();
    long start = System.nanoTime();
    h.writers.write(sources, rate, changes, 0, clock);
    double seconds = (System.nanoTime() - start) / 1e9;
    for (int i = 0; i < loads.size(); i++) {
      h.awaitReceived(
          loads.get(i), before[i] + (long) changes * SUBSCRIBERS, Duration.ofSeconds(60));
    }
    return seconds;
  }

  /**
   * What a load of changes to projects without streams cost the instances, and what they spent idle
   * just before.
   *
   * @param relay which instance was the relay (-1: none)
   * @param idleFetches fetch requests the local broker answered while idle (NaN: none here)
   * @param busyFetches the same during the load
   */
  private record Unwatched(
      int changes,
      long[] idleMillis,
      double idleSeconds,
      long[] busyMillis,
      double busySeconds,
      PostgresCpu postgres,
      int relay,
      double idleFetches,
      double busyFetches) {

    /** One instance's CPU per change beyond what it spends idle in as long. */
    double perChange(int instance) {
      double idle = idleMillis[instance] * busySeconds / idleSeconds;
      return (busyMillis[instance] - idle) * 1000.0 / changes;
    }

    /** On average over the instances that do not relay. */
    double servicePerChange() {
      double sum = 0;
      int counted = 0;
      for (int i = 0; i < busyMillis.length; i++) {
        if (i != relay) {
          sum += perChange(i);
          counted++;
        }
      }
      return counted == 0 ? Double.NaN : sum / counted;
    }

    double relayPerChange() {
      return relay < 0 ? Double.NaN : perChange(relay);
    }

    /** Each instance's CPU idle, in ms per second, on average over those that do not relay. */
    double idleMillisPerSecond() {
      double sum = 0;
      int counted = 0;
      for (int i = 0; i < idleMillis.length; i++) {
        if (i != relay) {
          sum += idleMillis[i];
          counted++;
        }
      }
      return counted == 0 ? Double.NaN : sum / counted / idleSeconds;
    }

    double postgresPerChange() {
      return postgres == null ? Double.NaN : postgres.totalMillis() * 1000.0 / changes;
    }

    /** Records each instance took from the topic per fetch, beyond the fetches of idling. */
    double recordsPerFetch() {
      double fetches = busyFetches - idleFetches * busySeconds / idleSeconds;
      return changes * (double) busyMillis.length / fetches;
    }
  }

  /**
   * The instances idle for as long as the load should take (its writes, then {@value
   * #SETTLE_MILLIS} ms for the last changes to reach every instance), then the load: changes at the
   * higher rate to projects no instance has streams for.
   */
  private static Unwatched unwatched(
      Harness h, List<ServerProcess> instances, List<Project> projects, KafkaBroker broker)
      throws Exception {
    var sources = projects.stream().map(Project::source).toList();
    int changes = HIGH_RATE * measuredSeconds(h);
    var settle = Duration.ofMillis(SETTLE_MILLIS);
    long idleFrom = System.nanoTime();
    var idleCpu = cpu(instances);
    double idleFetches = fetches(broker);
    LockSupport.parkNanos(Duration.ofSeconds(measuredSeconds(h)).plus(settle).toNanos());
    var idle = since(cpu(instances), idleCpu);
    idleFetches = fetches(broker) - idleFetches;
    double idleSeconds = (System.nanoTime() - idleFrom) / 1e9;
    long busyFrom = System.nanoTime();
    var busyCpu = cpu(instances);
    var postgres = h.db.cpu();
    double busyFetches = fetches(broker);
    h.writers.write(sources, HIGH_RATE, changes, 0);
    LockSupport.parkNanos(settle.toNanos());
    var busy = since(cpu(instances), busyCpu);
    busyFetches = fetches(broker) - busyFetches;
    var postgresAfter = h.db.cpu();
    return new Unwatched(
        changes,
        idle,
        idleSeconds,
        busy,
        (System.nanoTime() - busyFrom) / 1e9,
        postgres == null || postgresAfter == null ? null : postgresAfter.since(postgres),
        relay(instances),
        idleFetches,
        busyFetches);
  }

  private static void putUnwatched(Map<String, Figure> figures, Unwatched u, Mode mode) {
    var at = "no streams, " + at(INSTANCES.get(INSTANCES.size() - 1), HIGH_RATE);
    figures.put(
        at + ": service CPU µs/change, each" + (mode.kafka() ? " but the relay" : ""),
        Figure.number(u.servicePerChange()));
    if (mode.kafka()) {
      figures.put(at + ":  the relay's instance", Figure.number(u.relayPerChange()));
      figures.put(at + ": records per fetch, each", Figure.number(u.recordsPerFetch()));
    }
    figures.put(at + ": PostgreSQL CPU µs/change", Figure.number(u.postgresPerChange()));
    figures.put(
        "idle, "
            + INSTANCES.get(INSTANCES.size() - 1)
            + " inst: service CPU ms/s, each"
            + (mode.kafka() ? " but the relay" : ""),
        Figure.number(u.idleMillisPerSecond()));
  }

  private static long[] cpu(List<ServerProcess> instances) {
    var millis = new long[instances.size()];
    for (int i = 0; i < millis.length; i++) {
      millis[i] = instances.get(i).cpuMillis();
    }
    return millis;
  }

  private static long[] since(long[] now, long[] before) {
    var spent = new long[now.length];
    for (int i = 0; i < now.length; i++) {
      spent[i] = now[i] - before[i];
    }
    return spent;
  }

  /** Which instance publishes to Kafka now (by its gauge); -1 when none does. */
  private static int relay(List<ServerProcess> instances) {
    for (int i = 0; i < instances.size(); i++) {
      if (instances.get(i).metric("status_stream_relay_active") == 1) {
        return i;
      }
    }
    return -1;
  }

  /**
   * Makes sure the capture table says what {@code mode} says: the triggers NOTIFY where the
   * instances or the relay read by notify, and do not once one reading by logical replication is
   * ready. An instance of another mode on the same database would flip it.
   */
  private static void expectCapture(Harness h, Mode mode, String when) throws SQLException {
    boolean notify;
    try (var db = h.db.connect();
        var rows = db.createStatement().executeQuery("SELECT notify FROM status_stream_capture")) {
      rows.next();
      notify = rows.getBoolean(1);
    }
    if (notify != mode.notifies()) {
      throw new IllegalStateException(
          "status_stream_capture.notify was "
              + notify
              + " "
              + when
              + " with "
              + mode.describe()
              + ": an instance of another mode runs on the database");
    }
  }

  /**
   * Deletes what earlier relays recorded as published, so that this mode's relay starts at the
   * projects' heads as the first relay of a database does, instead of publishing first everything
   * the other modes wrote since.
   */
  private static void forgetRelayPositions(Harness h) throws SQLException {
    try (var db = h.db.connect();
        var delete = db.createStatement()) {
      delete.executeUpdate("DELETE FROM status_stream_relay_positions");
    }
  }

  /**
   * Waits (at most 30 s) until no instance of any mode is on the database: no listener connection,
   * no logical feed, no relay, no slot of ours.
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
                          + " WHERE datname = current_database() AND (application_name IN"
                          + " ('status-stream-listener', 'status-stream-feed')"
                          + " OR application_name LIKE 'status-stream relay %'))"
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
                + " listener connections, feeds, relays or slots of another instance are still on"
                + " the database; stop every other instance of the service on it first");
      }
      LockSupport.parkNanos(200_000_000);
    }
  }
}
