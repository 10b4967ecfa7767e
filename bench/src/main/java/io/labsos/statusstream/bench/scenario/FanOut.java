package io.labsos.statusstream.bench.scenario;

import io.labsos.statusstream.bench.harness.Harness;
import io.labsos.statusstream.bench.report.Figure;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;

/**
 * (2) One project, many subscribers: deliveries/s at saturation and latency at half of it; then the
 * target's own point, 100 events/s into 1,000 subscribers.
 */
final class FanOut implements Scenario {

  @Override
  public String name() {
    return "fanout";
  }

  @Override
  public void run(Harness h) throws Exception {
    saturation(h);
    targetPoint(h);
  }

  private void saturation(Harness h) throws Exception {
    int subscribers = h.size(10_000, 2_000);
    if (h.refused("2 fan-out", subscribers)) {
      return;
    }
    var project = h.db.projects(1).get(0);
    try (var load = h.load(2)) {
      h.openAll(load, List.of(project.id()), subscribers);
      // Saturation: a burst as fast as the writers commit.
      int burst = h.size(100, 50);
      long cpu = h.server.cpuMillis();
      long start = System.nanoTime();
      h.writers.write(List.of(project.source()), 0, burst, 0);
      long expected = (long) burst * subscribers;
      h.awaitReceived(load, expected, Duration.ofSeconds(120));
      double seconds = (System.nanoTime() - start) / 1e9;
      double perSecond = load.received.sum() / seconds;
      double cpuPer1000 = (h.server.cpuMillis() - cpu) / (load.received.sum() / 1000.0);
      load.takeLatency();
      // Half of saturation, open loop.
      double rate = Math.max(1, perSecond / 2 / subscribers);
      var histogram = h.openLoop(load, List.of(project.source()), rate, 10, 0, subscribers);
      h.latency("fan-out 1x" + subscribers + " @ half its burst rate", histogram);
      var figures = new LinkedHashMap<String, Figure>();
      figures.put("subscribers", Figure.count(subscribers));
      figures.put("deliveries/s (saturated)", Figure.number(perSecond));
      figures.put("CPU ms/1,000 deliveries", Figure.number(cpuPer1000));
      figures.put("rate for latency", Figure.text(Figure.format(rate) + " ev/s"));
      h.latencyFigures(figures, histogram);
      h.report("2 fan-out", figures, "latency at 50 % of the saturated rate");
    }
  }

  private void targetPoint(Harness h) throws Exception {
    try (var load = h.load(2)) {
      var project = h.db.projects(1).get(0);
      h.openAll(load, List.of(project.id()), 1_000);
      var histogram = h.openLoop(load, List.of(project.source()), 100, 10, 0, 1_000);
      h.latency("fan-out 1x1000 @ 100 ev/s", histogram);
      var figures = new LinkedHashMap<String, Figure>();
      figures.put("subscribers", Figure.count(1_000));
      figures.put("rate for latency", Figure.text("100 ev/s"));
      h.latencyFigures(figures, histogram);
      h.report("2b fan-out, target point", figures, "100,000 deliveries/s offered");
    }
  }
}
