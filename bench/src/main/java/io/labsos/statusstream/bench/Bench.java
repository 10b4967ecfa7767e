package io.labsos.statusstream.bench;

import java.io.IOException;
import java.io.InputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;
import java.util.function.BooleanSupplier;
import java.util.regex.Pattern;
import org.HdrHistogram.Histogram;

/**
 * The status-stream benchmark: starts the service's runnable jar (and, for the baseline, the naive
 * one-connection-per-stream design) against the PostgreSQL in the environment, runs the scenarios
 * named on the command line (all by default), prints one table row per scenario and writes {@code
 * target/bench/results.md} and {@code target/bench/chart.svg}.
 */
public final class Bench {

  static final int PORT = 9280;
  static final int NAIVE_PORT = 9290;
  static final String USER = "bench";

  private final Path root;
  private final Path work;
  private final String jdbcUrl;
  private final String dbUser;
  private final String dbPassword;
  private final Keys keys;
  private final boolean quick;
  private final List<Row> rows = new ArrayList<>();
  private final Map<String, Histogram> latencies = new LinkedHashMap<>();
  private final Map<String, Long> capacities = new LinkedHashMap<>();
  private final HttpClient http = HttpClient.newHttpClient();

  /** From a write's scheduled time to its commit: the part of the latency that is the writer's. */
  private final org.HdrHistogram.Recorder commitLag = new org.HdrHistogram.Recorder(3);

  private Process server;
  private long serverPid;
  private Process naive;
  private long naivePid;

  /** One result line: the scenario, its figures, and notes (limits, refusals). */
  record Row(String scenario, Map<String, String> figures, String note) {}

  private Bench(Path root, boolean quick) throws Exception {
    this.root = root;
    this.work = root.resolve("target/bench");
    this.quick = quick;
    Files.createDirectories(work);
    jdbcUrl =
        "jdbc:postgresql://"
            + env("DB_HOST", "localhost")
            + ":"
            + env("DB_PORT", "5432")
            + "/"
            + env("DB_NAME", "labsos");
    dbUser = env("DB_USER", "postgres");
    dbPassword = env("DB_PASSWORD", "");
    keys = Keys.create(work.resolve("jwks.json"));
  }

  public static void main(String[] args) throws Exception {
    var names = new LinkedHashSet<String>();
    boolean quick = false;
    for (var arg : args) {
      if (arg.equals("--quick")) {
        quick = true;
      } else {
        names.add(arg);
      }
    }
    var all = List.of("idle", "fanout", "projects", "stall", "writers", "churn", "baseline");
    if (names.isEmpty()) {
      names.addAll(all);
    }
    for (var name : names) {
      if (!all.contains(name)) {
        System.err.println("unknown scenario " + name + "; known: " + all);
        System.exit(2);
      }
    }
    var bench = new Bench(Path.of("").toAbsolutePath(), quick);
    try {
      bench.run(names);
    } finally {
      bench.stopAll();
    }
  }

  private void run(java.util.Set<String> names) throws Exception {
    System.out.printf(
        "status-stream benchmark: %d cores, Java %s, %s%n",
        Runtime.getRuntime().availableProcessors(),
        Runtime.version(),
        quick ? "quick sizes" : "full sizes");
    startServer();
    try {
      for (var name : names) {
        System.out.println("== " + name);
        int before = rows.size();
        switch (name) {
          case "idle" -> idle();
          case "fanout" -> fanout();
          case "projects" -> projects();
          case "stall" -> stall();
          case "writers" -> writers();
          case "churn" -> churn();
          case "baseline" -> baseline();
          default -> throw new IllegalArgumentException(name);
        }
        Report.print(rows.subList(before, rows.size()));
        awaitNoStreams();
      }
    } finally {
      Files.writeString(work.resolve("results.md"), Report.markdown(rows));
      Files.writeString(work.resolve("chart.svg"), Chart.svg(latencies, capacities));
      System.out.println("written: target/bench/results.md, target/bench/chart.svg");
    }
  }

  // ---------------------------------------------------------------- scenarios

  /** (1) Idle streams held, and the server's memory per stream. */
  private void idle() throws Exception {
    int wanted = quick ? 5_000 : 19_000;
    long files = openFileLimit();
    // The load generator holds one socket per stream, the server one too, plus its jars and
    // libraries; 1,000 files stay free for both.
    int honest = (int) Math.min(wanted, files - 1_000);
    String note = "";
    if (honest < wanted) {
      note =
          "refused "
              + wanted
              + ": needs "
              + (wanted + 1_000)
              + " open files per process, the limit is "
              + files
              + "; ran "
              + honest;
    }
    var project = projects(1).get(0);
    gc(serverPid);
    long heapBefore = heapUsed();
    long rssBefore = rssBytes(serverPid);
    long cpuBefore = cpuMillis(serverPid);
    long started = System.nanoTime();
    try (var load = new SseLoad(new InetSocketAddress("127.0.0.1", PORT), 2)) {
      openAll(load, List.of(project.id()), honest);
      double seconds = (System.nanoTime() - started) / 1e9;
      gc(serverPid);
      long heapAfter = heapUsed();
      long rssAfter = rssBytes(serverPid);
      long held = load.connected.sum() - load.closed.sum();
      capacities.put("status-stream (idle streams held)", held);
      double heapPer = (heapAfter - heapBefore) / (double) held;
      double rssPer = (rssAfter - rssBefore) / (double) held;
      var figures = new LinkedHashMap<String, String>();
      figures.put("streams held", String.valueOf(held));
      figures.put("opened/s", fmt(held / seconds));
      figures.put("heap/stream", bytes(heapPer));
      figures.put("RSS/stream", bytes(rssPer));
      figures.put("heap for 50,000", bytes(heapPer * 50_000));
      figures.put("server CPU s to open", fmt((cpuMillis(serverPid) - cpuBefore) / 1000.0));
      rows.add(new Row("1 idle capacity", figures, note));
    }
  }

  /** (2) One project, many subscribers: deliveries/s at saturation, latency at half of it. */
  private void fanout() throws Exception {
    int subscribers = quick ? 2_000 : 10_000;
    if (refused("2 fan-out", subscribers)) {
      return;
    }
    var project = projects(1).get(0);
    try (var load = new SseLoad(new InetSocketAddress("127.0.0.1", PORT), 2)) {
      openAll(load, List.of(project.id()), subscribers);
      // Saturation: a burst as fast as the writers commit.
      int burst = quick ? 50 : 100;
      long cpu = cpuMillis(serverPid);
      long start = System.nanoTime();
      write(List.of(project.source()), 0, burst, 0);
      long expected = (long) burst * subscribers;
      awaitReceived(load, expected, Duration.ofSeconds(120));
      double seconds = (System.nanoTime() - start) / 1e9;
      double perSecond = load.received.sum() / seconds;
      double cpuPer1000 = (cpuMillis(serverPid) - cpu) / (load.received.sum() / 1000.0);
      load.takeLatency();
      // Half of saturation, open loop.
      double rate = Math.max(1, perSecond / 2 / subscribers);
      var histogram = openLoop(load, List.of(project.source()), rate, 10, 0, subscribers);
      latencies.put("fan-out 1x" + subscribers + " @ " + fmt(rate) + " ev/s", histogram);
      var figures = new LinkedHashMap<String, String>();
      figures.put("subscribers", String.valueOf(subscribers));
      figures.put("deliveries/s (saturated)", fmt(perSecond));
      figures.put("CPU ms/1,000 deliveries", fmt(cpuPer1000));
      figures.put("rate for latency", fmt(rate) + " ev/s");
      latencyFigures(figures, histogram);
      rows.add(new Row("2 fan-out", figures, "latency at 50 % of the saturated rate"));
    }
    // The target's own setting: 100 events/s into 1,000 subscribers.
    try (var load = new SseLoad(new InetSocketAddress("127.0.0.1", PORT), 2)) {
      var other = projects(1).get(0);
      openAll(load, List.of(other.id()), 1_000);
      var histogram = openLoop(load, List.of(other.source()), 100, 10, 0, 1_000);
      latencies.put("fan-out 1x1000 @ 100 ev/s", histogram);
      var figures = new LinkedHashMap<String, String>();
      figures.put("subscribers", "1000");
      figures.put("rate for latency", "100 ev/s");
      latencyFigures(figures, histogram);
      rows.add(new Row("2b fan-out, target point", figures, "100,000 deliveries/s offered"));
    }
  }

  /** (3) Many small projects: 2,000 projects x 5 subscribers. */
  private void projects() throws Exception {
    int count = quick ? 400 : 2_000;
    if (refused("3 many small projects", count * 5)) {
      return;
    }
    var all = projects(count);
    try (var load = new SseLoad(new InetSocketAddress("127.0.0.1", PORT), 2)) {
      openAll(load, all.stream().map(Project::id).toList(), count * 5);
      double rate = quick ? 100 : 250;
      var histogram = openLoop(load, all.stream().map(Project::source).toList(), rate, 10, 0, 5);
      latencies.put(count + " projects x5 @ " + fmt(rate) + " ev/s", histogram);
      var figures = new LinkedHashMap<String, String>();
      figures.put("projects x subscribers", count + " x 5");
      figures.put("rate for latency", fmt(rate) + " ev/s (" + fmt(rate * 5) + " deliveries/s)");
      latencyFigures(figures, histogram);
      rows.add(new Row("3 many small projects", figures, ""));
    }
  }

  /** A client that stops reading must not delay the others: latency with and without it. */
  private void stall() throws Exception {
    var project = projects(1).get(0);
    int subscribers = 20;
    double rate = 50;
    int padding = 16_000;
    try (var load = new SseLoad(new InetSocketAddress("127.0.0.1", PORT), 2)) {
      openAll(load, List.of(project.id()), subscribers);
      var calm = openLoop(load, List.of(project.source()), rate, 30, padding, subscribers);
      double disconnects = metric(PORT, "status_stream_slow_client_disconnects_total");
      load.open(statusPath(project.id()), keys.token(USER), true);
      var stalled = openLoop(load, List.of(project.source()), rate, 30, padding, subscribers);
      latencies.put(subscribers + " subscribers, none stalled", calm);
      latencies.put(subscribers + " subscribers + 1 stalled", stalled);
      var figures = new LinkedHashMap<String, String>();
      figures.put("p50 calm/stalled ms", ms(calm, 50) + " / " + ms(stalled, 50));
      figures.put("p99 calm/stalled ms", ms(calm, 99) + " / " + ms(stalled, 99));
      figures.put(
          "p99 ratio",
          fmt(stalled.getValueAtPercentile(99) / (double) calm.getValueAtPercentile(99)));
      figures.put(
          "stalled clients disconnected",
          fmt(metric(PORT, "status_stream_slow_client_disconnects_total") - disconnects));
      rows.add(
          new Row(
              "stalled client",
              figures,
              rate + " ev/s of " + padding + " bytes; the stalled socket reads nothing"));
    }
  }

  /** (4) What the trigger adds to a worker's UPDATE, pgbench-style, 1 and 4 writers. */
  private void writers() throws Exception {
    int updates = quick ? 2_000 : 5_000;
    var projects = projects(4);
    var figures = new LinkedHashMap<String, String>();
    for (int clients : new int[] {1, 4}) {
      var with = new ArrayList<Double>();
      var without = new ArrayList<Double>();
      for (int round = 0; round < 3; round++) {
        with.add(jobUpdates(projects.subList(0, clients), updates));
        setTriggers(false);
        try {
          without.add(jobUpdates(projects.subList(0, clients), updates));
        } finally {
          setTriggers(true);
        }
      }
      double w = median(with);
      double wo = median(without);
      figures.put(clients + " writer(s) updates/s with/without", fmt(w) + " / " + fmt(wo));
      figures.put(clients + " writer(s) cost ratio", fmt(wo / w));
    }
    rows.add(
        new Row(
            "4 writers: trigger overhead",
            figures,
            "jobs progress UPDATE, autocommit; median of 3 rounds of "
                + updates
                + "; ratio = time with trigger / time without"));
  }

  /** (5) Connects per second sustained: open, read the connected message, drop. */
  private void churn() throws Exception {
    var project = projects(1).get(0);
    var token = keys.token(USER);
    var request =
        ("GET "
                + statusPath(project.id())
                + " HTTP/1.1\r\nHost: localhost\r\nAccept: text/event-stream\r\n"
                + "Authorization: Bearer "
                + token
                + "\r\n\r\n")
            .getBytes(StandardCharsets.US_ASCII);
    int seconds = quick ? 5 : 15;
    var done = new AtomicInteger();
    var failed = new AtomicInteger();
    var slowest = new AtomicLong();
    long cpu = cpuMillis(serverPid);
    long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(seconds);
    ExecutorService pool = Executors.newFixedThreadPool(8);
    var futures = new ArrayList<Future<?>>();
    for (int t = 0; t < 8; t++) {
      futures.add(
          pool.submit(
              () -> {
                int i = 0;
                while (System.nanoTime() < end) {
                  long start = System.nanoTime();
                  try (var socket = new Socket()) {
                    socket.setSoTimeout(30_000);
                    socket.connect(new InetSocketAddress("127.0.0.1", PORT));
                    socket.getOutputStream().write(request);
                    if (readUntil(socket.getInputStream(), "\"connected\"")) {
                      done.incrementAndGet();
                    } else {
                      failed.incrementAndGet();
                    }
                    if (i++ % 2 == 0) {
                      socket.setSoLinger(true, 0);
                    }
                  } catch (IOException e) {
                    failed.incrementAndGet();
                  }
                  slowest.accumulateAndGet((System.nanoTime() - start) / 1_000_000, Math::max);
                }
                return null;
              }));
    }
    for (var f : futures) {
      f.get();
    }
    pool.shutdown();
    var figures = new LinkedHashMap<String, String>();
    figures.put("connects/s", fmt(done.get() / (double) seconds));
    figures.put("failed", String.valueOf(failed.get()));
    figures.put("slowest connect ms", String.valueOf(slowest.get()));
    figures.put("server CPU ms/connect", fmt((cpuMillis(serverPid) - cpu) / (double) done.get()));
    rows.add(
        new Row(
            "5 churn",
            figures,
            "8 clients, " + seconds + " s; every other stream dropped with a reset"));
  }

  /** The naive design side by side: capacity and latency at a size it can hold. */
  private void baseline() throws Exception {
    startNaive();
    try {
      int subscribers = 50;
      double rate = 20;
      var project = projects(1).get(0);
      var maxConnections = setting("max_connections");
      var figures = new LinkedHashMap<String, String>();
      var ours = measure(PORT, serverPid, project, subscribers, rate);
      awaitNoStreams();
      var theirs = measure(NAIVE_PORT, naivePid, project, subscribers, rate);
      latencies.put("status-stream, 50 subscribers @ 20 ev/s", ours.latency());
      latencies.put("naive, 50 subscribers @ 20 ev/s", theirs.latency());
      figures.put("p50 ours/naive ms", ms(ours.latency(), 50) + " / " + ms(theirs.latency(), 50));
      figures.put("p99 ours/naive ms", ms(ours.latency(), 99) + " / " + ms(theirs.latency(), 99));
      figures.put(
          "CPU ms/1,000 deliveries ours/naive (server + PostgreSQL)",
          fmt(ours.cpuPer1000()) + " / " + fmt(theirs.cpuPer1000()));
      figures.put("CPU ratio naive/ours", fmt(theirs.cpuPer1000() / ours.cpuPer1000()));
      // Capacity: how many streams the naive design holds before PostgreSQL refuses.
      long held;
      try (var load = new SseLoad(new InetSocketAddress("127.0.0.1", NAIVE_PORT), 1)) {
        int tries = 600;
        for (int i = 0; i < tries; i++) {
          load.open(statusPath(project.id()), "-", false);
        }
        awaitQuiet(load);
        held = load.connected.sum() - load.closed.sum();
      }
      capacities.put("naive (streams held)", held);
      figures.put("naive streams held", held + " of 600 tried");
      rows.add(
          new Row(
              "baseline: naive LISTEN per stream",
              figures,
              "one PostgreSQL connection per stream; max_connections=" + maxConnections));
    } finally {
      stopNaive();
    }
  }

  /**
   * Whether this machine cannot hold a scenario of that many streams honestly: it says why, in a
   * row of its own, instead of reporting figures of a run that was starved.
   */
  private boolean refused(String scenario, int streams) throws IOException {
    var why = new ArrayList<String>();
    long files = openFileLimit();
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
    rows.add(new Row(scenario, new LinkedHashMap<>(), note));
    return true;
  }

  /** Latencies and CPU (server process + PostgreSQL) per 1,000 deliveries of one design. */
  record Measured(Histogram latency, double cpuPer1000) {}

  private Measured measure(int port, long pid, Project project, int subscribers, double rate)
      throws Exception {
    try (var load = new SseLoad(new InetSocketAddress("127.0.0.1", port), 1)) {
      openAll(load, List.of(project.id()), subscribers);
      // Warm up first, so neither design is measured while its JIT is still compiling.
      openLoop(load, List.of(project.source()), rate, 3, 0, subscribers);
      long cpu = cpuMillis(pid) + databaseCpuMillis();
      var latency = openLoop(load, List.of(project.source()), rate, 10, 0, subscribers);
      long spent = cpuMillis(pid) + databaseCpuMillis() - cpu;
      return new Measured(latency, spent / (latency.getTotalCount() / 1000.0));
    }
  }

  // ---------------------------------------------------------------- load helpers

  record Project(UUID id, UUID source) {}

  private List<Project> projects(int count) throws SQLException {
    var result = new ArrayList<Project>();
    try (Connection db = db();
        var insert =
            db.prepareStatement(
                "WITH p AS (INSERT INTO projects (name) SELECT 'bench' FROM generate_series(1, ?)"
                    + " RETURNING id),"
                    + " m AS (INSERT INTO project_members (project_id, user_id)"
                    + " SELECT id, ? FROM p)"
                    + " INSERT INTO ingestion_sources (project_id, source_name, status)"
                    + " SELECT id, 'bench source', 'idle' FROM p RETURNING project_id, id")) {
      insert.setInt(1, count);
      insert.setString(2, USER);
      try (var rows = insert.executeQuery()) {
        while (rows.next()) {
          result.add(new Project(rows.getObject(1, UUID.class), rows.getObject(2, UUID.class)));
        }
      }
    }
    return result;
  }

  private static String statusPath(UUID project) {
    return "/api/projects/" + project + "/status";
  }

  /** Opens streams spread over the projects, at most 500 waiting at a time. */
  private void openAll(SseLoad load, List<UUID> projects, int streams) throws Exception {
    var token = keys.token(USER);
    long base = load.connected.sum();
    for (int i = 0; i < streams; i++) {
      while (i - (load.connected.sum() - base) - load.closed.sum() >= 500) {
        LockSupport.parkNanos(1_000_000);
      }
      load.open(statusPath(projects.get(i % projects.size())), token, false);
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
   * lagging writer shows as latency), then waits for every delivery; returns the latencies.
   */
  private Histogram openLoop(
      SseLoad load, List<UUID> sources, double rate, int seconds, int padding, int perEvent)
      throws Exception {
    load.takeLatency();
    commitLag.reset();
    long before = load.received.sum();
    int events = (int) Math.round(rate * seconds);
    write(sources, rate, events, padding);
    long expected = before + (long) events * perEvent;
    awaitReceived(load, expected, Duration.ofSeconds(60));
    return load.takeLatency();
  }

  /** Commits {@code events} updates over 4 connections; rate 0 means as fast as they can. */
  private void write(List<UUID> sources, double rate, int events, int padding) throws Exception {
    int writers = 4;
    long period = rate <= 0 ? 0 : (long) (1e9 / rate);
    long startNanos = System.nanoTime() + 50_000_000;
    long startMicros = SseLoad.nowMicros() + 50_000;
    var pad = padding > 0 ? ":" + "x".repeat(padding) : "";
    var pool = Executors.newFixedThreadPool(writers);
    var futures = new ArrayList<Future<?>>();
    for (int w = 0; w < writers; w++) {
      int first = w;
      futures.add(
          pool.submit(
              () -> {
                try (Connection db = db();
                    var update =
                        db.prepareStatement(
                            "UPDATE ingestion_sources SET status = ? WHERE id = ?")) {
                  for (int i = first; i < events; i += writers) {
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
                      commitLag.recordValue(Math.max(0, SseLoad.nowMicros() - micros));
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

  private double jobUpdates(List<Project> projects, int updates) throws Exception {
    var pool = Executors.newFixedThreadPool(projects.size());
    var futures = new ArrayList<Future<?>>();
    long start = System.nanoTime();
    for (var project : projects) {
      futures.add(
          pool.submit(
              () -> {
                try (Connection db = db()) {
                  UUID job;
                  try (var insert =
                      db.prepareStatement(
                          "INSERT INTO jobs (project_id, progress_stage) VALUES (?, 'bench')"
                              + " RETURNING id")) {
                    insert.setObject(1, project.id());
                    try (var rows = insert.executeQuery()) {
                      rows.next();
                      job = rows.getObject(1, UUID.class);
                    }
                  }
                  try (var update =
                      db.prepareStatement(
                          "UPDATE jobs SET progress_current = ?, progress_total = ?,"
                              + " progress_message = 'working', progress_updated_at = now()"
                              + " WHERE id = ?")) {
                    for (int i = 0; i < updates / projects.size(); i++) {
                      update.setInt(1, i);
                      update.setInt(2, updates);
                      update.setObject(3, job);
                      update.executeUpdate();
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
    return updates / ((System.nanoTime() - start) / 1e9);
  }

  private void setTriggers(boolean enabled) throws SQLException {
    try (Connection db = db();
        var statement = db.createStatement()) {
      statement.execute("ALTER TABLE jobs " + (enabled ? "ENABLE" : "DISABLE") + " TRIGGER USER");
    }
  }

  private static boolean readUntil(InputStream in, String marker) throws IOException {
    var seen = new StringBuilder();
    var buffer = new byte[4096];
    int n;
    while ((n = in.read(buffer)) > 0) {
      seen.append(new String(buffer, 0, n, StandardCharsets.UTF_8));
      if (seen.indexOf(marker) >= 0) {
        return true;
      }
    }
    return false;
  }

  private void awaitReceived(SseLoad load, long expected, Duration atMost) {
    long deadline = System.nanoTime() + atMost.toNanos();
    while (load.received.sum() < expected && System.nanoTime() < deadline) {
      LockSupport.parkNanos(2_000_000);
    }
    if (load.received.sum() < expected) {
      System.out.printf(
          "  note: %d of %d deliveries arrived within %d s%n",
          load.received.sum(), expected, atMost.toSeconds());
    }
  }

  /** Waits until the number of settled streams stops changing for two seconds. */
  private static void awaitQuiet(SseLoad load) {
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

  private void awaitNoStreams() {
    await(
        () -> metric(PORT, "status_stream_open_streams") == 0,
        Duration.ofSeconds(90),
        "the server to notice every closed stream");
  }

  private static void await(BooleanSupplier condition, Duration atMost, String what) {
    long deadline = System.nanoTime() + atMost.toNanos();
    while (!condition.getAsBoolean()) {
      if (System.nanoTime() > deadline) {
        throw new IllegalStateException("gave up waiting for " + what);
      }
      LockSupport.parkNanos(50_000_000);
    }
  }

  // ---------------------------------------------------------------- processes and measurements

  private void startServer() throws Exception {
    var jar = root.resolve("target/status-stream.jar");
    var command = new ProcessBuilder("java", "-jar", jar.toString());
    var env = command.environment();
    env.put("HTTP_PORT", String.valueOf(PORT));
    env.put("HTTPS_PORT", String.valueOf(PORT + 363));
    env.put("MP_JWT_VERIFY_PUBLICKEY_LOCATION", work.resolve("jwks.json").toString());
    env.put("MP_JWT_VERIFY_ISSUER", Keys.ISSUER);
    env.put("STREAM_MAX_PER_USER", "1000000");
    env.put("DEMO_MODE", "false");
    // A fresh extraction each run: the launcher refuses a directory that exists.
    var extract = work.resolve("wlp");
    if (Files.exists(extract)) {
      try (var paths = Files.walk(extract)) {
        paths.sorted(java.util.Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
      }
    }
    env.put("WLP_JAR_EXTRACT_DIR", extract.toString());
    command.redirectErrorStream(true).redirectOutput(work.resolve("server.log").toFile());
    server = command.start();
    await(() -> ready(PORT, "/health/ready"), Duration.ofSeconds(120), "the server to start");
    serverPid =
        server
            .descendants()
            .filter(p -> p.info().command().orElse("").endsWith("java"))
            .mapToLong(ProcessHandle::pid)
            .max()
            .orElse(server.pid());
    System.out.println("server ready (pid " + serverPid + "), log in target/bench/server.log");
    if (System.getenv("BENCH_JFR") != null) {
      jcmd(serverPid, "JFR.start", "settings=profile", "filename=" + work.resolve("server.jfr"));
      System.out.println("recording the server with JFR: target/bench/server.jfr");
    }
  }

  private void startNaive() throws Exception {
    var command =
        new ProcessBuilder(
            Path.of(System.getProperty("java.home"), "bin", "java").toString(),
            "-cp",
            System.getProperty("java.class.path"),
            NaiveServer.class.getName(),
            String.valueOf(NAIVE_PORT),
            jdbcUrl,
            dbUser,
            dbPassword);
    command.redirectErrorStream(true).redirectOutput(work.resolve("naive.log").toFile());
    naive = command.start();
    naivePid = naive.pid();
    await(() -> ready(NAIVE_PORT, "/health"), Duration.ofSeconds(30), "the naive server");
  }

  private void stopNaive() throws InterruptedException {
    if (naive != null) {
      naive.destroy();
      naive.waitFor(10, TimeUnit.SECONDS);
      naive.destroyForcibly();
      naive = null;
    }
  }

  private void stopAll() throws Exception {
    stopNaive();
    if (server != null && System.getenv("BENCH_JFR") != null) {
      jcmd(serverPid, "JFR.dump", "filename=" + work.resolve("server.jfr"));
    }
    if (server != null) {
      var children = server.descendants().toList();
      server.destroy();
      children.forEach(ProcessHandle::destroy);
      server.waitFor(30, TimeUnit.SECONDS);
      for (var child : children) {
        child.onExit().completeOnTimeout(null, 30, TimeUnit.SECONDS).join();
      }
    }
  }

  private boolean ready(int port, String path) {
    try {
      var response =
          http.send(
              HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path))
                  .timeout(Duration.ofSeconds(5))
                  .build(),
              HttpResponse.BodyHandlers.discarding());
      return response.statusCode() == 200;
    } catch (IOException e) {
      return false;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return false;
    }
  }

  private double metric(int port, String name) {
    try {
      var body =
          http.send(
                  HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/metrics"))
                      .build(),
                  HttpResponse.BodyHandlers.ofString())
              .body();
      var m =
          Pattern.compile("^" + Pattern.quote(name) + "\\{[^}]*\\} (\\S+)$", Pattern.MULTILINE)
              .matcher(body);
      return m.find() ? Double.parseDouble(m.group(1)) : Double.NaN;
    } catch (IOException e) {
      throw new IllegalStateException(e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(e);
    }
  }

  private long heapUsed() {
    return (long) metric(PORT, "memory_usedHeap_bytes");
  }

  private static void gc(long pid) throws Exception {
    jcmd(pid, "GC.run");
  }

  private static void jcmd(long pid, String... command) throws Exception {
    var args = new ArrayList<>(List.of("jcmd", String.valueOf(pid)));
    args.addAll(List.of(command));
    new ProcessBuilder(args)
        .redirectErrorStream(true)
        .redirectOutput(ProcessBuilder.Redirect.DISCARD)
        .start()
        .waitFor(60, TimeUnit.SECONDS);
  }

  /** User + system CPU of a process (and of its reaped children), in milliseconds. */
  static long cpuMillis(long pid) {
    try {
      var stat = Files.readString(Path.of("/proc/" + pid + "/stat"));
      var fields = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
      long ticks =
          Long.parseLong(fields[11])
              + Long.parseLong(fields[12])
              + Long.parseLong(fields[13])
              + Long.parseLong(fields[14]);
      return ticks * 10; // USER_HZ is 100 on Linux
    } catch (IOException | RuntimeException e) {
      return 0;
    }
  }

  /** CPU of the local PostgreSQL: the postmaster, its live backends and those that exited. */
  private long databaseCpuMillis() throws SQLException {
    long backend;
    try (Connection db = db();
        var rows = db.createStatement().executeQuery("SELECT pg_backend_pid()")) {
      rows.next();
      backend = rows.getLong(1);
    }
    var postmaster = ProcessHandle.of(backend).flatMap(ProcessHandle::parent);
    if (postmaster.isEmpty()) {
      return 0;
    }
    long total = cpuMillis(postmaster.get().pid());
    for (var child : postmaster.get().children().toList()) {
      total += cpuMillis(child.pid());
    }
    return total;
  }

  private static long rssBytes(long pid) throws IOException {
    for (var line : Files.readAllLines(Path.of("/proc/" + pid + "/status"))) {
      if (line.startsWith("VmRSS:")) {
        return Long.parseLong(line.replaceAll("\\D", "")) * 1024;
      }
    }
    return 0;
  }

  private static long openFileLimit() throws IOException {
    for (var line : Files.readAllLines(Path.of("/proc/self/limits"))) {
      if (line.startsWith("Max open files")) {
        return Long.parseLong(line.split("\\s+")[3]);
      }
    }
    return 1024;
  }

  private String setting(String name) throws SQLException {
    try (Connection db = db();
        var rows = db.createStatement().executeQuery("SHOW " + name)) {
      rows.next();
      return rows.getString(1);
    }
  }

  private Connection db() throws SQLException {
    return DriverManager.getConnection(jdbcUrl, dbUser, dbPassword);
  }

  private static String env(String name, String fallback) {
    var value = System.getenv(name);
    return value == null || value.isBlank() ? fallback : value;
  }

  // ---------------------------------------------------------------- formatting

  private void latencyFigures(Map<String, String> figures, Histogram h) {
    var commits = commitLag.getIntervalHistogram();
    figures.put("deliveries measured", String.valueOf(h.getTotalCount()));
    figures.put(
        "writer: scheduled to committed p50/p99 ms", ms(commits, 50) + " / " + ms(commits, 99));
    figures.put("p50 ms", ms(h, 50));
    figures.put("p99 ms", ms(h, 99));
    figures.put("p99.9 ms", ms(h, 99.9));
    figures.put("max ms", fmt(h.getMaxValue() / 1000.0));
  }

  static String ms(Histogram h, double percentile) {
    return fmt(h.getValueAtPercentile(percentile) / 1000.0);
  }

  static String fmt(double value) {
    if (Double.isNaN(value)) {
      return "n/a";
    }
    if (Math.abs(value) >= 100) {
      return String.format("%,.0f", value);
    }
    return String.format("%.2f", value);
  }

  static String bytes(double value) {
    if (value >= 1 << 30) {
      return String.format("%.2f GiB", value / (1 << 30));
    }
    if (value >= 1 << 20) {
      return String.format("%.1f MiB", value / (1 << 20));
    }
    return String.format("%.1f KiB", value / 1024);
  }

  private static double median(List<Double> values) {
    var sorted = values.stream().sorted().toList();
    return sorted.get(sorted.size() / 2);
  }
}
