package io.labsos.statusstream.bench.scenario;

import io.labsos.statusstream.bench.harness.Harness;
import io.labsos.statusstream.bench.report.Figure;
import java.util.LinkedHashMap;
import java.util.List;

/** A client that stops reading must not delay the others: their latency with and without it. */
final class StalledClient implements Scenario {

  private static final String DISCONNECTS = "status_stream_slow_client_disconnects_total";

  @Override
  public String name() {
    return "stall";
  }

  @Override
  public void run(Harness h) throws Exception {
    var project = h.db.projects(1).get(0);
    int subscribers = 20;
    double rate = 50;
    int padding = 16_000;
    try (var load = h.load(2)) {
      h.openAll(load, List.of(project.id()), subscribers);
      var calm =
          h.openLoop(load, List.of(project.source()), rate, 30, padding, subscribers).latency();
      double disconnects = h.server.metric(DISCONNECTS);
      load.open(Harness.statusPath(project.id()), h.token(), true);
      var stalled =
          h.openLoop(load, List.of(project.source()), rate, 30, padding, subscribers).latency();
      h.latency(subscribers + " subscribers, none stalled", calm);
      h.latency(subscribers + " subscribers + 1 stalled", stalled);
      var figures = new LinkedHashMap<String, Figure>();
      figures.put("p50 calm/stalled ms", Figure.pair(Figure.ms(calm, 50), Figure.ms(stalled, 50)));
      figures.put("p99 calm/stalled ms", Figure.pair(Figure.ms(calm, 99), Figure.ms(stalled, 99)));
      figures.put(
          "p99 ratio",
          Figure.number(stalled.getValueAtPercentile(99) / (double) calm.getValueAtPercentile(99)));
      figures.put(
          "stalled clients disconnected",
          Figure.number(h.server.metric(DISCONNECTS) - disconnects));
      h.report(
          "stalled client",
          figures,
          rate + " ev/s of " + padding + " bytes; the stalled socket reads nothing");
    }
  }
}
