package io.labsos.statusstream.bench.scenario;

import io.labsos.statusstream.bench.harness.Harness;
import io.labsos.statusstream.bench.harness.Proc;
import io.labsos.statusstream.bench.report.Figure;
import java.util.LinkedHashMap;
import java.util.List;

/** (1) Idle streams held, and the server's memory per stream. */
final class Idle implements Scenario {

  @Override
  public String name() {
    return "idle";
  }

  @Override
  public void run(Harness h) throws Exception {
    int wanted = h.size(19_000, 5_000);
    long files = Proc.openFileLimit();
    // The load generator holds one socket per stream, the server one too, plus its jars and
    // libraries; and our server refuses streams (503) that would leave it fewer than 5 % of its
    // files: 2,000 stay free for both.
    int honest = (int) Math.min(wanted, files - 2_000);
    String note = "";
    if (honest < wanted) {
      note =
          "refused "
              + wanted
              + ": needs "
              + (wanted + 2_000)
              + " open files per process, the limit is "
              + files
              + "; ran "
              + honest;
    }
    var project = h.db.projects(1).get(0);
    double heapBefore = h.server.heapAfterGc();
    long rssBefore = h.server.rssBytes();
    long cpuBefore = h.server.cpuMillis();
    long started = System.nanoTime();
    try (var load = h.load(2)) {
      h.openAll(load, List.of(project.id()), honest);
      double seconds = (System.nanoTime() - started) / 1e9;
      double heapAfter = h.server.heapAfterGc();
      if (h.server.isJava()) {
        // Where the heap per stream lives: the classes holding the most, with every stream open.
        var histogram = h.work.resolve("idle-histogram-" + h.server.name() + ".txt");
        Proc.jcmd(h.server.pid(), histogram, "GC.class_histogram");
        note += (note.isEmpty() ? "" : "; ") + "class histogram: " + h.work.relativize(histogram);
      }
      long rssAfter = h.server.rssBytes();
      long held = load.held();
      h.capacity(h.server.name() + " (idle streams held)", held);
      double heapPer = (heapAfter - heapBefore) / held;
      double rssPer = (rssAfter - rssBefore) / (double) held;
      var figures = new LinkedHashMap<String, Figure>();
      figures.put("streams held", Figure.count(held));
      figures.put("opened/s", Figure.number(held / seconds));
      figures.put("heap/stream", Figure.bytes(heapPer));
      figures.put("RSS/stream", Figure.bytes(rssPer));
      figures.put("heap for 50,000", Figure.bytes(heapPer * 50_000));
      figures.put(
          "server CPU s to open", Figure.number((h.server.cpuMillis() - cpuBefore) / 1000.0));
      h.report("1 idle capacity", figures, note);
    }
  }
}
