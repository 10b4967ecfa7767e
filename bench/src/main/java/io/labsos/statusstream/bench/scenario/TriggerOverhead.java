package io.labsos.statusstream.bench.scenario;

import io.labsos.statusstream.bench.harness.Harness;
import io.labsos.statusstream.bench.report.Figure;
import java.util.LinkedHashMap;

/**
 * (4) What our trigger adds to a worker's {@code UPDATE}, pgbench-style: the same updates of job
 * progress with the triggers of {@code jobs} enabled and disabled, by 1 and by 4 writers.
 */
final class TriggerOverhead implements Scenario {

  @Override
  public String name() {
    return "writers";
  }

  @Override
  public String oursOnly() {
    return "it measures our triggers; a peer's capture is its own";
  }

  @Override
  public void run(Harness h) throws Exception {
    int updates = h.size(5_000, 2_000);
    var projects = h.db.projects(4);
    // A run stopped while they were disabled (Ctrl-C) left them so.
    JobProgress.setTriggers(h, "USER", true);
    var figures = new LinkedHashMap<String, Figure>();
    for (int clients : new int[] {1, 4}) {
      var compared = JobProgress.compare(h, projects.subList(0, clients), updates, 3, "USER");
      figures.put(
          clients + " writer(s) updates/s with/without",
          Figure.pair(Figure.number(compared.tracked()), Figure.number(compared.plain())));
      figures.put(clients + " writer(s) cost ratio", Figure.number(compared.costRatio()));
    }
    h.report(
        "4 writers: trigger overhead",
        figures,
        "jobs progress UPDATE, autocommit; median of 3 rounds of "
            + updates
            + "; ratio = time with trigger / time without");
  }
}
