package io.labsos.statusstream.bench;

import io.labsos.statusstream.bench.harness.Database;
import io.labsos.statusstream.bench.harness.Harness;
import io.labsos.statusstream.bench.harness.Keys;
import io.labsos.statusstream.bench.harness.ServerProcess;
import io.labsos.statusstream.bench.harness.WarmUp;
import io.labsos.statusstream.bench.report.Chart;
import io.labsos.statusstream.bench.report.Report;
import io.labsos.statusstream.bench.report.Results;
import io.labsos.statusstream.bench.report.Row;
import io.labsos.statusstream.bench.scenario.Scenario;
import io.labsos.statusstream.bench.scenario.SecondClient;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;

/**
 * The status-stream benchmark: starts the service's runnable jar against the PostgreSQL in the
 * environment, warms it up, runs the scenarios named on the command line (all by default; each is a
 * class of {@code scenario/}) and stops it. With {@code --peer "<command>"} it then starts that
 * command as another server of the contract, on a fresh database of its own, and runs the same
 * scenarios against it after the same warm-up; the two never run at the same time. It prints one
 * block of figures per scenario and server, then (with a peer) one table with a column per server
 * and their ratio, and writes {@code target/bench/results.md} and {@code target/bench/chart.svg}.
 */
public final class Bench {

  /** The peer's own database: it creates its schema there, its triggers apart from ours. */
  static final String PEER_DATABASE = "status_stream_bench_peer";

  private final Path root = Path.of("").toAbsolutePath();
  private final Path work = root.resolve("target/bench");
  private final Results results = new Results();
  private final List<Scenario> scenarios;
  private final boolean quick;
  private final Database db = Database.fromEnvironment();
  private final Keys keys;

  /** The rows each scenario reported for our server, by scenario name. */
  private final Map<String, List<String>> titles = new HashMap<>();

  private Bench(List<Scenario> scenarios, boolean quick) throws Exception {
    this.scenarios = scenarios;
    this.quick = quick;
    Files.createDirectories(work);
    keys = Keys.create(work);
  }

  public static void main(String[] args) throws Exception {
    var names = new LinkedHashSet<String>();
    boolean quick = false;
    String peer = null;
    for (int i = 0; i < args.length; i++) {
      if (args[i].equals("--quick")) {
        quick = true;
      } else if (args[i].equals("--peer") && i + 1 < args.length) {
        peer = args[++i];
      } else if (args[i].startsWith("--peer=")) {
        peer = args[i].substring("--peer=".length());
      } else if (args[i].equals("--client") && i + 1 < args.length) {
        System.setProperty(SecondClient.PROPERTY, args[++i]);
      } else if (args[i].startsWith("--client=")) {
        System.setProperty(SecondClient.PROPERTY, args[i].substring("--client=".length()));
      } else {
        names.add(args[i]);
      }
    }
    var known = Scenario.all().stream().map(Scenario::name).toList();
    for (var name : names) {
      if (!known.contains(name)) {
        System.err.println("unknown scenario or option " + name + "; scenarios: " + known);
        System.exit(2);
      }
    }
    var scenarios = new ArrayList<Scenario>();
    for (var scenario : Scenario.all()) {
      if (names.isEmpty() || names.contains(scenario.name())) {
        scenarios.add(scenario);
      }
    }
    new Bench(scenarios, quick).run(peer);
  }

  private void run(String peer) throws Exception {
    System.out.printf(
        "status-stream benchmark: %d cores, Java %s, %s%s%n",
        Runtime.getRuntime().availableProcessors(),
        Runtime.version(),
        quick ? "quick sizes" : "full sizes",
        peer == null ? "" : "; then the peer: " + peer);
    try {
      try (var server = ServerProcess.ours(root, work, db, keys)) {
        measure(new Harness(server, db, keys, work, quick, results));
      }
      if (peer != null) {
        var peerDb = db.fresh(PEER_DATABASE);
        try (var server = ServerProcess.peer(peer, work, peerDb, keys)) {
          measure(new Harness(server, peerDb, keys, work, quick, results));
        }
        System.out.println("\n== side by side (ours: status-stream)\n");
        System.out.print(Report.sideBySide(results));
      }
    } finally {
      Files.writeString(work.resolve("results.md"), Report.markdown(results));
      Files.writeString(work.resolve("chart.svg"), Chart.svg(results));
      System.out.println("written: target/bench/results.md, target/bench/chart.svg");
    }
  }

  /** Warms the server up, then runs every scenario against it (or says why not). */
  private void measure(Harness h) throws Exception {
    boolean peer = !h.server.name().equals(ServerProcess.OURS);
    WarmUp.run(h);
    var rows = h.results().rows();
    for (var scenario : scenarios) {
      System.out.println("== " + scenario.name() + " (" + h.server.name() + ")");
      int before = rows.size();
      if (peer && scenario.oursOnly() != null) {
        var note = "status-stream only: " + scenario.oursOnly();
        System.out.println("  " + note);
        for (var title : titles.getOrDefault(scenario.name(), List.of())) {
          h.report(title, new LinkedHashMap<>(), note);
        }
        continue;
      }
      try {
        double open = h.server.openStreams();
        scenario.run(h);
        double left = h.awaitStreamsClosed(open);
        if (left > 0 && rows.size() > before) {
          var note = (long) left + " streams closed by the load were still open 90 s later";
          System.out.println("  note: " + note);
          h.results().amend(rows.size() - 1, note);
        }
      } catch (Exception e) {
        System.out.println("  failed: " + e);
        h.report(scenario.name(), new LinkedHashMap<>(), "failed: " + e.getMessage());
        if (!h.server.alive()) {
          System.out.println("  " + h.server.name() + " is gone; its other scenarios skipped");
          return;
        }
      }
      Report.print(rows.subList(before, rows.size()));
      if (!peer) {
        titles.put(
            scenario.name(),
            rows.subList(before, rows.size()).stream().map(Row::scenario).toList());
      }
    }
  }
}
