package io.labsos.statusstream.bench.scenario;

import io.labsos.statusstream.bench.harness.Harness;
import io.labsos.statusstream.bench.harness.Project;
import io.labsos.statusstream.bench.report.Figure;
import java.util.LinkedHashMap;

/** (3) Many small projects: 2,000 projects x 5 subscribers, events spread over all of them. */
final class ManyProjects implements Scenario {

  @Override
  public String name() {
    return "projects";
  }

  @Override
  public void run(Harness h) throws Exception {
    int count = h.size(2_000, 400);
    if (h.refused("3 many small projects", count * 5)) {
      return;
    }
    var all = h.db.projects(count);
    try (var load = h.load(2)) {
      h.openAll(load, all.stream().map(Project::id).toList(), count * 5);
      double rate = h.size(250, 100);
      var delivery = h.openLoop(load, all.stream().map(Project::source).toList(), rate, 10, 0, 5);
      h.latency(count + " projects x5 @ " + Figure.format(rate) + " ev/s", delivery.latency());
      var figures = new LinkedHashMap<String, Figure>();
      figures.put("projects x subscribers", Figure.text(count + " x 5"));
      figures.put(
          "rate for latency",
          Figure.text(
              Figure.format(rate) + " ev/s (" + Figure.format(rate * 5) + " deliveries/s)"));
      h.latencyFigures(figures, delivery);
      h.report("3 many small projects", figures, "");
    }
  }
}
