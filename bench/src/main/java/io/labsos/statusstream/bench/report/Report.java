package io.labsos.statusstream.bench.report;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;

/**
 * The results as text: one block per scenario on the console as it finishes; at the end of a run
 * against two servers, one table with a column per server and their ratio; and the same table in
 * Markdown.
 */
public final class Report {

  private static final String RATIO = "ours/peer";

  private Report() {}

  public static void print(List<Row> rows) {
    System.out.println();
    for (var row : rows) {
      System.out.println(row.scenario());
      row.figures().forEach((k, v) -> System.out.printf("  %-45s %s%n", k, v.text()));
      if (!row.note().isEmpty()) {
        System.out.println("  (" + row.note() + ")");
      }
    }
  }

  /** The console table of a run against two servers: one column each, and ours / peer. */
  public static String sideBySide(Results results) {
    var servers = results.servers();
    var out = new StringBuilder();
    out.append(String.format("%-47s", ""));
    servers.forEach(s -> out.append(String.format(" %-18s", s)));
    out.append(' ').append(RATIO).append('\n');
    for (var scenario : byScenario(results).entrySet()) {
      out.append(scenario.getKey()).append('\n');
      var rows = scenario.getValue();
      for (var figure : figureNames(rows)) {
        out.append(String.format("  %-45s", figure));
        for (var server : servers) {
          out.append(String.format(" %-18s", text(rows.get(server), figure)));
        }
        out.append(' ').append(ratio(rows, servers, figure)).append('\n');
      }
      for (var note : notes(rows)) {
        out.append("  (").append(note).append(")\n");
      }
    }
    return out.toString();
  }

  public static String markdown(Results results) {
    var servers = results.servers();
    if (servers.size() < 2) {
      return singleColumn(results.rows());
    }
    var out = new StringBuilder("| scenario | figure |");
    servers.forEach(s -> out.append(' ').append(s).append(" |"));
    out.append(' ').append(RATIO).append(" |\n|").append(" --- |".repeat(servers.size() + 3));
    out.append('\n');
    for (var scenario : byScenario(results).entrySet()) {
      var rows = scenario.getValue();
      boolean first = true;
      for (var figure : figureNames(rows)) {
        out.append("| ").append(first ? scenario.getKey() : "").append(" | ").append(figure);
        for (var server : servers) {
          out.append(" | ").append(text(rows.get(server), figure));
        }
        out.append(" | ").append(ratio(rows, servers, figure)).append(" |\n");
        first = false;
      }
      for (var note : notes(rows)) {
        out.append("| | note | ").append(note).append(" |\n");
      }
    }
    return out.toString();
  }

  private static String singleColumn(List<Row> rows) {
    var out = new StringBuilder("| scenario | figure | value |\n| --- | --- | --- |\n");
    for (var row : rows) {
      boolean first = true;
      for (var e : row.figures().entrySet()) {
        out.append("| ")
            .append(first ? row.scenario() : "")
            .append(" | ")
            .append(e.getKey())
            .append(" | ")
            .append(e.getValue().text())
            .append(" |\n");
        first = false;
      }
      if (!row.note().isEmpty()) {
        out.append("| | note | ").append(row.note()).append(" |\n");
      }
    }
    return out.toString();
  }

  /** Each scenario, in the order first measured, with its row per server. */
  private static Map<String, Map<String, Row>> byScenario(Results results) {
    var scenarios = new LinkedHashMap<String, Map<String, Row>>();
    for (var row : results.rows()) {
      scenarios.computeIfAbsent(row.scenario(), s -> new LinkedHashMap<>()).put(row.server(), row);
    }
    return scenarios;
  }

  private static List<String> figureNames(Map<String, Row> rows) {
    var names = new LinkedHashSet<String>();
    rows.values().forEach(row -> names.addAll(row.figures().keySet()));
    return new ArrayList<>(names);
  }

  private static String text(Row row, String figure) {
    var value = row == null ? null : row.figures().get(figure);
    return value == null ? "-" : value.text();
  }

  /** The first server's figure divided by the second's, where both are numbers. */
  private static String ratio(Map<String, Row> rows, List<String> servers, String figure) {
    if (servers.size() != 2
        || rows.get(servers.get(0)) == null
        || rows.get(servers.get(1)) == null) {
      return "";
    }
    var ours = rows.get(servers.get(0)).figures().get(figure);
    var peer = rows.get(servers.get(1)).figures().get(figure);
    if (ours == null || peer == null || !Double.isFinite(ours.value())) {
      return "";
    }
    double ratio = ours.value() / peer.value();
    return Double.isFinite(ratio) ? String.format("%.2f", ratio) : "";
  }

  /** The notes of a scenario, each once, named by server where the servers' notes differ. */
  private static List<String> notes(Map<String, Row> rows) {
    var distinct = new LinkedHashSet<String>();
    rows.values().forEach(row -> distinct.add(row.note()));
    var notes = new ArrayList<String>();
    if (distinct.size() == 1) {
      distinct.stream().filter(n -> !n.isEmpty()).forEach(notes::add);
      return notes;
    }
    for (var row : rows.values()) {
      if (!row.note().isEmpty()) {
        notes.add(row.server() + ": " + row.note());
      }
    }
    return notes;
  }
}
