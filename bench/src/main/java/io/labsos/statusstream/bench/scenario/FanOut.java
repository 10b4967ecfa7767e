package io.labsos.statusstream.bench.scenario;

import io.labsos.statusstream.bench.harness.Harness;
import io.labsos.statusstream.bench.report.Figure;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;

/**
 * (2) One project, many subscribers. First what the server delivers in a burst and its latency at
 * half that rate; then three fixed loads, the same for every server so that they compare side by
 * side: the target's own point (100 events/s into 1,000 subscribers), many subscribers at a low
 * rate (10 events/s into 10,000), and an offered load above what one instance delivers here (100
 * events/s into 2,000: 200,000 deliveries/s), where what counts is what gets delivered.
 */
final class FanOut implements Scenario {

  @Override
  public String name() {
    return "fanout";
  }

  @Override
  public void run(Harness h) throws Exception {
    // Each part starts once the server let go of the last part's streams (it notices a client
    // that left at its next write, a heartbeat at the latest): 10,000 of them, not yet noticed,
    // and 10,000 new ones are more files than this machine gives a process.
    double open = h.server.openStreams();
    burst(h);
    h.awaitStreamsClosed(open);
    fixedLoad(h, "2b fan-out, target point", h.size(1_000, 200), 100);
    h.awaitStreamsClosed(open);
    fixedLoad(h, "2c fan-out, many subscribers", h.size(10_000, 2_000), 10);
    h.awaitStreamsClosed(open);
    fixedLoad(h, "2d fan-out, saturation", h.size(2_000, 400), 100);
  }

  private void burst(Harness h) throws Exception {
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
      // Half of saturation, open loop.
      double rate = Math.max(1, perSecond / 2 / subscribers);
      var delivery = h.openLoop(load, List.of(project.source()), rate, 10, 0, subscribers);
      h.latency("fan-out 1x" + subscribers + " @ half its burst rate", delivery.latency());
      var figures = new LinkedHashMap<String, Figure>();
      figures.put("subscribers", Figure.text(String.valueOf(subscribers)));
      figures.put("deliveries/s (saturated)", Figure.number(perSecond));
      figures.put("CPU ms/1,000 deliveries", Figure.number(cpuPer1000));
      figures.put("rate for latency", Figure.text(Figure.format(rate) + " ev/s"));
      h.latencyFigures(figures, delivery);
      h.report("2 fan-out", figures, "latency at 50 % of the saturated rate");
    }
  }

  /** One project, {@code subscribers} streams, {@code rate} events/s for 10 s (5 s quick). */
  private void fixedLoad(Harness h, String title, int subscribers, int rate) throws Exception {
    if (h.refused(title, subscribers)) {
      return;
    }
    try (var load = h.load(2)) {
      var project = h.db.projects(1).get(0);
      h.openAll(load, List.of(project.id()), subscribers);
      var delivery =
          h.openLoop(load, List.of(project.source()), rate, h.size(10, 5), 0, subscribers);
      h.latency("fan-out 1x" + subscribers + " @ " + rate + " ev/s", delivery.latency());
      var figures = new LinkedHashMap<String, Figure>();
      figures.put("subscribers", Figure.text(String.valueOf(subscribers)));
      figures.put("rate for latency", Figure.text(rate + " ev/s"));
      figures.put("deliveries/s offered", Figure.text(Figure.format(delivery.offeredPerSecond())));
      figures.put("deliveries/s delivered", Figure.number(delivery.deliveredPerSecond()));
      figures.put("keeps up", Figure.text(delivery.keptUp() ? "yes" : "no"));
      figures.put("CPU ms/1,000 deliveries", Figure.number(delivery.cpuMicrosPerDelivery()));
      figures.put(
          "bench client CPU µs/delivery", Figure.number(delivery.clientCpuMicrosPerDelivery()));
      h.latencyFigures(figures, delivery);
      h.report(
          title,
          figures,
          "delivered: from the first arrival to the last; keeps up: every delivery arrived, at"
              + " 90 % of the offered rate or more; CPU: the server process's, in µs per"
              + " delivery; bench client CPU: this JVM's (readers and writers) in as long");
    }
  }
}
