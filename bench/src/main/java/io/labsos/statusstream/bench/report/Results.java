package io.labsos.statusstream.bench.report;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.HdrHistogram.Histogram;

/** Everything one run measured, on every server it ran against, in the order measured. */
public final class Results {

  /** The latencies of one setting on one server, for the chart. */
  public record Latency(String setting, String server, Histogram histogram) {}

  private final List<String> servers = new ArrayList<>();
  private final List<Row> rows = new ArrayList<>();
  private final List<Latency> latencies = new ArrayList<>();
  private final Map<String, Long> capacities = new LinkedHashMap<>();

  public void add(Row row) {
    rows.add(row);
    if (!servers.contains(row.server())) {
      servers.add(row.server());
    }
  }

  /** Adds to the note of a row already reported. */
  public void amend(int row, String note) {
    var old = rows.get(row);
    var joined = old.note().isEmpty() ? note : old.note() + "; " + note;
    rows.set(row, new Row(old.scenario(), old.server(), old.figures(), joined));
  }

  public void latency(String setting, String server, Histogram histogram) {
    latencies.add(new Latency(setting, server, histogram));
  }

  /** Streams a design held, under the chart's label for it. */
  public void capacity(String label, long streams) {
    capacities.put(label, streams);
  }

  /** The servers measured, ours first. */
  public List<String> servers() {
    return servers;
  }

  public List<Row> rows() {
    return rows;
  }

  List<Latency> latencies() {
    return latencies;
  }

  Map<String, Long> capacities() {
    return capacities;
  }
}
