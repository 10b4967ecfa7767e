package io.labsos.statusstream.bench.harness;

import java.util.List;

/**
 * The same warm-up for every server before it is measured: streams opened, events delivered to
 * them, streams closed; so that no server's figures include its JIT compiling the hot paths.
 */
public final class WarmUp {

  private WarmUp() {}

  public static void run(Harness h) throws Exception {
    int rounds = h.size(4, 2);
    int streams = h.size(1_000, 200);
    int seconds = h.size(5, 2);
    double rate = 20;
    long started = System.nanoTime();
    long delivered = 0;
    var project = h.db.projects(1).get(0);
    for (int round = 0; round < rounds; round++) {
      try (var load = h.load(2)) {
        h.openAll(load, List.of(project.id()), streams);
        h.openLoop(load, List.of(project.source()), rate, seconds, 0, streams);
        delivered += load.received.sum();
      }
      h.awaitNoStreams();
    }
    System.out.printf(
        "warm-up: %d x %d streams opened, %d deliveries, %.0f s%n",
        rounds, streams, delivered, (System.nanoTime() - started) / 1e9);
  }
}
