package io.labsos.statusstream.bench.harness;

import io.labsos.statusstream.bench.report.Figure;
import io.labsos.statusstream.bench.report.Results;
import io.labsos.statusstream.bench.report.Row;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.locks.LockSupport;
import java.util.function.BooleanSupplier;
import org.HdrHistogram.Histogram;

/**
 * What every scenario runs with: the server under test, its database and writers, the tokens, the
 * sizes (full or quick), and where its results go; and the moves scenarios share: opening many
 * streams, writing at a fixed rate while they receive, waiting for deliveries.
 */
public final class Harness {

  /** The one user every stream belongs to. */
  public static final String USER = "bench";

  public final ServerProcess server;
  public final Database db;
  public final Writers writers;
  public final Path work;
  private final Keys keys;
  private final boolean quick;
  private final Results results;

  public Harness(
      ServerProcess server, Database db, Keys keys, Path work, boolean quick, Results results) {
    this.server = server;
    this.db = db;
    this.writers = new Writers(db);
    this.keys = keys;
    this.work = work;
    this.quick = quick;
    this.results = results;
  }

  /** The full size, or the small one of {@code --quick}. */
  public int size(int full, int small) {
    return quick ? small : full;
  }

  /** The key the server under test verifies tokens with, for a client that signs its own. */
  public Keys keys() {
    return keys;
  }

  public String token() throws Exception {
    return keys.token(USER);
  }

  public static String statusPath(UUID project) {
    return "/api/projects/" + project + "/status";
  }

  /** A load generator aimed at the server under test. */
  public SseLoad load(int threads) throws IOException {
    return load(server, threads);
  }

  /** A load generator aimed at another server, e.g. an {@link #instance} a scenario started. */
  public SseLoad load(ServerProcess target, int threads) throws IOException {
    return new SseLoad(target.address(), threads);
  }

  /**
   * Starts another instance of our service on the same database, with settings of its own on top of
   * the contract's, and waits until it is ready; the caller stops it ({@code close}). Ours only: it
   * runs the jar this checkout built, from the repository's root (where bin/bench runs).
   */
  public ServerProcess instance(String name, int port, Map<String, String> settings)
      throws Exception {
    return ServerProcess.instance(
        Path.of("").toAbsolutePath(), work, db, keys, name, port, settings);
  }

  /**
   * The Kafka broker for instances in {@code CHANGE_CAPTURE=kafka}: {@code
   * KAFKA_BOOTSTRAP_SERVERS}'s, or a local one started now; the caller closes it (which stops a
   * local one).
   */
  public KafkaBroker kafka() throws Exception {
    return KafkaBroker.start(Path.of("").toAbsolutePath());
  }

  // ---------------------------------------------------------------- results

  public Results results() {
    return results;
  }

  public void report(String scenario, Map<String, Figure> figures, String note) {
    results.add(new Row(scenario, server.name(), figures, note));
  }

  public void latency(String setting, Histogram histogram) {
    results.latency(setting, server.name(), histogram);
  }

  /** Latencies of another design measured in the same scenario (the naive baseline). */
  public void latency(String setting, String design, Histogram histogram) {
    results.latency(setting, design, histogram);
  }

  public void capacity(String label, long streams) {
    results.capacity(label, streams);
  }

  /** The latency figures every fan-out row prints, with the writers' own lag first. */
  public void latencyFigures(Map<String, Figure> figures, Delivery delivery) {
    var h = delivery.latency();
    var commits = delivery.commitLag();
    figures.put("deliveries measured", Figure.count(h.getTotalCount()));
    figures.put(
        "writer: scheduled to committed p50/p99 ms",
        Figure.pair(Figure.ms(commits, 50), Figure.ms(commits, 99)));
    figures.put("p50 ms", Figure.ms(h, 50));
    figures.put("p99 ms", Figure.ms(h, 99));
    figures.put("p99.9 ms", Figure.ms(h, 99.9));
    figures.put("max ms", Figure.number(h.getMaxValue() / 1000.0));
  }

  /**
   * Whether this machine cannot hold a scenario of that many streams honestly: it says why, in a
   * row of its own, instead of reporting figures of a run that was starved.
   */
  public boolean refused(String scenario, int streams) throws IOException {
    var why = new ArrayList<String>();
    long files = Proc.openFileLimit();
    if (streams + 1_000 > files) {
      why.add(
          streams
              + " streams need "
              + (streams + 1_000)
              + " open files per process; the limit is "
              + files);
    }
    if (Runtime.getRuntime().availableProcessors() < 2) {
      why.add("one core cannot run the server, PostgreSQL and the load generator side by side");
    }
    if (why.isEmpty()) {
      return false;
    }
    var note = "refused: " + String.join("; ", why);
    System.out.println("  " + note);
    report(scenario, new LinkedHashMap<>(), note);
    return true;
  }

  // ---------------------------------------------------------------- load

  /** Opens one stream, the {@code i}-th of an {@link #openAll(SseLoad, int, Opener)}. */
  public interface Opener {
    void open(int i) throws IOException;
  }

  /** Opens streams spread over the projects, at most 500 waiting at a time. */
  public void openAll(SseLoad load, List<UUID> projects, int streams) throws Exception {
    var token = token();
    openAll(
        load, streams, i -> load.open(statusPath(projects.get(i % projects.size())), token, false));
  }

  /**
   * Opens {@code streams} streams, each by {@code opener}, at most 500 waiting at a time, and waits
   * until each connected or was refused.
   */
  public void openAll(SseLoad load, int streams, Opener opener) throws Exception {
    long base = load.connected.sum();
    for (int i = 0; i < streams; i++) {
      while (i - (load.connected.sum() - base) - load.closed.sum() >= 500) {
        LockSupport.parkNanos(1_000_000);
      }
      opener.open(i);
    }
    await(
        () -> load.connected.sum() - base + load.closed.sum() >= streams,
        Duration.ofSeconds(120),
        "streams to open");
    if (load.closed.sum() > 0) {
      System.out.println("  note: " + load.closed.sum() + " streams were refused or closed");
    }
  }

  /**
   * Writes at a fixed rate for a while (open loop: each write's time is its scheduled time, so a
   * lagging writer shows as latency), then waits for every delivery (at most 60 s more).
   */
  public Delivery openLoop(
      SseLoad load, List<UUID> sources, double rate, int seconds, int padding, int perEvent)
      throws Exception {
    return openLoop(load, sources, rate, seconds, padding, perEvent, null);
  }

  /**
   * The same, also telling {@code clock} (if not null) of each write's commit and each delivery:
   * latency from the commit, without the writers' own lag.
   */
  public Delivery openLoop(
      SseLoad load,
      List<UUID> sources,
      double rate,
      int seconds,
      int padding,
      int perEvent,
      CommitToDelivery clock)
      throws Exception {
    load.takeLatency();
    load.takeArrivals();
    writers.takeCommitLag();
    long before = load.received.sum();
    int events = (int) Math.round(rate * seconds);
    long cpu = server.cpuMillis();
    long own = Proc.cpuMillis(ProcessHandle.current().pid());
    if (clock != null) {
      load.onArrival(clock);
    }
    writers.write(sources, rate, events, padding, clock);
    long expected = (long) events * perEvent;
    awaitReceived(load, before + expected, Duration.ofSeconds(60));
    long spent = server.cpuMillis() - cpu;
    long ownSpent = Proc.cpuMillis(ProcessHandle.current().pid()) - own;
    if (clock != null) {
      load.onArrival(null);
    }
    return new Delivery(
        load.takeLatency(),
        writers.takeCommitLag(),
        expected,
        load.received.sum() - before,
        rate * perEvent,
        // N events at a rate span N - 1 intervals; the arrivals of all N get the N-th too.
        load.takeArrivals().seconds() + 1 / rate,
        spent,
        ownSpent);
  }

  public void awaitReceived(SseLoad load, long expected, Duration atMost) {
    long deadline = System.nanoTime() + atMost.toNanos();
    while (load.received.sum() < expected && System.nanoTime() < deadline) {
      LockSupport.parkNanos(2_000_000);
    }
    if (load.received.sum() < expected) {
      System.out.printf(
          "  note: %d of %d deliveries arrived within %d s; %d streams were closed after they"
              + " connected (a server ends a stream that falls too far behind: its client would"
              + " resume)%n",
          load.received.sum(), expected, atMost.toSeconds(), load.lost());
    }
  }

  /** Waits until the number of settled streams stops changing for two seconds. */
  public static void awaitQuiet(SseLoad load) {
    long last = -1;
    long stableSince = System.nanoTime();
    while (System.nanoTime() - stableSince < 2_000_000_000L) {
      long now = load.connected.sum() + load.closed.sum();
      if (now != last) {
        last = now;
        stableSince = System.nanoTime();
      }
      LockSupport.parkNanos(100_000_000);
    }
  }

  /**
   * Waits (at most 90 s) until the server holds no more streams than it did before a scenario, and
   * returns how many more it still holds: streams the load closed that the server never let go of.
   * Without an open-streams gauge to ask, it gives the server 2 s and returns NaN.
   */
  public double awaitStreamsClosed(double before) {
    if (Double.isNaN(server.openStreams())) {
      LockSupport.parkNanos(2_000_000_000L);
      return Double.NaN;
    }
    long deadline = System.nanoTime() + Duration.ofSeconds(90).toNanos();
    double left;
    while ((left = server.openStreams() - before) > 0 && System.nanoTime() < deadline) {
      LockSupport.parkNanos(50_000_000);
    }
    return Math.max(0, left);
  }

  /** Waits until the server has let go of every stream a scenario opened. */
  public void awaitNoStreams() {
    double left = awaitStreamsClosed(0);
    if (left > 0) {
      throw new IllegalStateException(
          server.name() + " still holds " + (long) left + " streams the load closed");
    }
  }

  public static void await(BooleanSupplier condition, Duration atMost, String what) {
    long deadline = System.nanoTime() + atMost.toNanos();
    while (!condition.getAsBoolean()) {
      if (System.nanoTime() > deadline) {
        throw new IllegalStateException("gave up waiting for " + what);
      }
      LockSupport.parkNanos(50_000_000);
    }
  }
}
