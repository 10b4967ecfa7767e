package io.labsos.statusstream.bench.scenario;

import io.labsos.statusstream.bench.harness.Harness;
import io.labsos.statusstream.bench.harness.Project;
import io.labsos.statusstream.bench.harness.ServerProcess;
import io.labsos.statusstream.bench.harness.SseLoad;
import io.labsos.statusstream.bench.report.Figure;
import java.util.LinkedHashMap;
import java.util.List;
import org.HdrHistogram.Histogram;

/**
 * Our design against the naive one (one PostgreSQL {@code LISTEN} connection per stream, {@link
 * io.labsos.statusstream.bench.NaiveServer}), side by side on the same event log: latency and CPU
 * at a size both hold, then how many streams the naive one holds at all.
 */
final class NaiveBaseline implements Scenario {

  private static final int SUBSCRIBERS = 50;
  private static final double RATE = 20;
  private static final int TRIES = 600;

  @Override
  public String name() {
    return "baseline";
  }

  @Override
  public String oursOnly() {
    return "it compares our design with the naive one on our event log";
  }

  @Override
  public void run(Harness h) throws Exception {
    try (var naive = ServerProcess.naive(h.db, h.work)) {
      var project = h.db.projects(1).get(0);
      var maxConnections = h.db.setting("max_connections");
      var ours = measure(h, h.server, project);
      h.awaitNoStreams();
      var theirs = measure(h, naive, project);
      var setting = SUBSCRIBERS + " subscribers @ " + Figure.format(RATE) + " ev/s";
      h.latency(setting, ours.latency());
      h.latency(setting, naive.name(), theirs.latency());
      var figures = new LinkedHashMap<String, Figure>();
      figures.put(
          "p50 ours/naive ms",
          Figure.pair(Figure.ms(ours.latency(), 50), Figure.ms(theirs.latency(), 50)));
      figures.put(
          "p99 ours/naive ms",
          Figure.pair(Figure.ms(ours.latency(), 99), Figure.ms(theirs.latency(), 99)));
      figures.put(
          "CPU ms/1,000 deliveries ours/naive (server + PostgreSQL)",
          Figure.pair(Figure.number(ours.cpuPer1000()), Figure.number(theirs.cpuPer1000())));
      figures.put("CPU ratio naive/ours", Figure.number(theirs.cpuPer1000() / ours.cpuPer1000()));
      // Capacity: how many streams the naive design holds before PostgreSQL refuses.
      long held;
      try (var load = new SseLoad(naive.address(), 1)) {
        for (int i = 0; i < TRIES; i++) {
          load.open(Harness.statusPath(project.id()), "-", false);
        }
        Harness.awaitQuiet(load);
        held = load.held();
      }
      h.capacity("naive (streams held)", held);
      figures.put("naive streams held", Figure.text(held + " of " + TRIES + " tried"));
      h.report(
          "baseline: naive LISTEN per stream",
          figures,
          "one PostgreSQL connection per stream; max_connections=" + maxConnections);
    }
  }

  /** Latencies and CPU (server process + PostgreSQL) per 1,000 deliveries of one design. */
  private record Measured(Histogram latency, double cpuPer1000) {}

  private static Measured measure(Harness h, ServerProcess server, Project project)
      throws Exception {
    try (var load = new SseLoad(server.address(), 1)) {
      h.openAll(load, List.of(project.id()), SUBSCRIBERS);
      // Warm up first, so neither design is measured while its JIT is still compiling.
      h.openLoop(load, List.of(project.source()), RATE, 3, 0, SUBSCRIBERS);
      // Its own CPU count, of this design and PostgreSQL: openLoop counts the harness's server.
      long cpu = server.cpuMillis() + h.db.cpuMillis();
      var latency = h.openLoop(load, List.of(project.source()), RATE, 10, 0, SUBSCRIBERS).latency();
      long spent = server.cpuMillis() + h.db.cpuMillis() - cpu;
      return new Measured(latency, spent / (latency.getTotalCount() / 1000.0));
    }
  }
}
