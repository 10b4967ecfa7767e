package io.labsos.statusstream.bench.scenario;

import io.labsos.statusstream.bench.harness.Harness;
import java.util.List;

/** One thing the benchmark measures: its class says what, {@link #name} selects it. */
public interface Scenario {

  /** Its name on bin/bench's command line. */
  String name();

  /**
   * Why this scenario measures our server only, or null where it measures a peer as well. A peer
   * gets a row saying so instead.
   */
  default String oursOnly() {
    return null;
  }

  /** Measures the server under test and reports one row or more. */
  void run(Harness h) throws Exception;

  /**
   * Every scenario, in the order a full run takes them: the baseline on a warm server, then the
   * capture modes, which stop the server and leave a cold one behind.
   */
  static List<Scenario> all() {
    return List.of(
        new Idle(),
        new FanOut(),
        new ManyProjects(),
        new StalledClient(),
        new TriggerOverhead(),
        new Churn(),
        new ListenerReads(),
        new NaiveBaseline(),
        new SeveralProjects(),
        new SecondClient(),
        new Http2Idle(),
        new CaptureModes());
  }
}
