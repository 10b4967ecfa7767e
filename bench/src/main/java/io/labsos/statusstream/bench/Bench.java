package io.labsos.statusstream.bench;

import io.labsos.statusstream.bench.harness.Database;
import io.labsos.statusstream.bench.harness.Harness;
import io.labsos.statusstream.bench.harness.Keys;
import io.labsos.statusstream.bench.harness.ServerProcess;
import io.labsos.statusstream.bench.report.Chart;
import io.labsos.statusstream.bench.report.Report;
import io.labsos.statusstream.bench.report.Results;
import io.labsos.statusstream.bench.scenario.Scenario;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;

/**
 * The status-stream benchmark: starts the service's runnable jar against the PostgreSQL in the
 * environment, runs the scenarios named on the command line (all by default; each is a class of
 * {@code scenario/}), prints one block of figures per scenario and writes {@code
 * target/bench/results.md} and {@code target/bench/chart.svg}.
 */
public final class Bench {

  private Bench() {}

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
    var known = Scenario.all().stream().map(Scenario::name).toList();
    for (var name : names) {
      if (!known.contains(name)) {
        System.err.println("unknown scenario " + name + "; known: " + known);
        System.exit(2);
      }
    }
    var scenarios = new ArrayList<Scenario>();
    for (var scenario : Scenario.all()) {
      if (names.isEmpty() || names.contains(scenario.name())) {
        scenarios.add(scenario);
      }
    }
    var root = Path.of("").toAbsolutePath();
    var work = root.resolve("target/bench");
    Files.createDirectories(work);
    var db = Database.fromEnvironment();
    var keys = Keys.create(work.resolve("jwks.json"));
    var results = new Results();
    System.out.printf(
        "status-stream benchmark: %d cores, Java %s, %s%n",
        Runtime.getRuntime().availableProcessors(),
        Runtime.version(),
        quick ? "quick sizes" : "full sizes");
    try (var server = ServerProcess.ours(root, work, keys.jwks())) {
      run(new Harness(server, db, keys, work, quick, results), scenarios);
    } finally {
      Files.writeString(work.resolve("results.md"), Report.markdown(results));
      Files.writeString(work.resolve("chart.svg"), Chart.svg(results));
      System.out.println("written: target/bench/results.md, target/bench/chart.svg");
    }
  }

  private static void run(Harness h, List<Scenario> scenarios) throws Exception {
    var rows = h.results().rows();
    for (var scenario : scenarios) {
      System.out.println("== " + scenario.name());
      int before = rows.size();
      scenario.run(h);
      Report.print(rows.subList(before, rows.size()));
      h.awaitNoStreams();
    }
  }
}
