package io.labsos.statusstream.bench;

import java.util.List;

/** The results as text: one block per scenario on the console, one table in Markdown. */
final class Report {

  private Report() {}

  static void print(List<Bench.Row> rows) {
    System.out.println();
    for (var row : rows) {
      System.out.println(row.scenario());
      row.figures().forEach((k, v) -> System.out.printf("  %-45s %s%n", k, v));
      if (!row.note().isEmpty()) {
        System.out.println("  (" + row.note() + ")");
      }
    }
  }

  static String markdown(List<Bench.Row> rows) {
    var out = new StringBuilder("| scenario | figure | value |\n| --- | --- | --- |\n");
    for (var row : rows) {
      boolean first = true;
      for (var e : row.figures().entrySet()) {
        out.append("| ")
            .append(first ? row.scenario() : "")
            .append(" | ")
            .append(e.getKey())
            .append(" | ")
            .append(e.getValue())
            .append(" |\n");
        first = false;
      }
      if (!row.note().isEmpty()) {
        out.append("| | note | ").append(row.note()).append(" |\n");
      }
    }
    return out.toString();
  }
}
