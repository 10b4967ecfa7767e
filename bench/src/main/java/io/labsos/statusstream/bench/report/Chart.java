package io.labsos.statusstream.bench.report;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;

/**
 * An SVG chart of one run: latency percentiles per setting (log scale, ms), one bar group per
 * server measured side by side, and streams held per design.
 */
public final class Chart {

  private static final double[] PERCENTILES = {50, 90, 99, 99.9};
  private static final String[] COLOURS = {"#4e79a7", "#59a14f", "#f28e2b", "#e15759"};

  private Chart() {}

  public static String svg(Results results) {
    var latencies = grouped(results.latencies());
    var capacities = results.capacities();
    boolean servers = latencies.stream().map(Results.Latency::server).distinct().count() > 1;
    int rowHeight = 34;
    int left = 330;
    int width = 980;
    int plot = width - left - 40;
    int latencyTop = 84;
    int latencyHeight = Math.max(1, latencies.size()) * rowHeight;
    int capacityTop = latencyTop + latencyHeight + 90;
    int height = capacityTop + Math.max(1, capacities.size()) * rowHeight + 40;
    var svg = new StringBuilder();
    svg.append(
        "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%d\" height=\"%d\" font-family=\"sans-serif\" font-size=\"12\">\n"
            .formatted(width, height));
    svg.append("<rect width=\"100%\" height=\"100%\" fill=\"white\"/>\n");
    svg.append(text(10, 24, "Commit-to-receive latency (ms, log scale)", 16, "start"));
    // log axis from 0.1 ms to 10 s
    double min = Math.log10(0.1);
    double max = Math.log10(10_000);
    for (double tick : new double[] {0.1, 1, 10, 100, 1_000, 10_000}) {
      double x = left + (Math.log10(tick) - min) / (max - min) * plot;
      svg.append(
          "<line x1=\"%.1f\" y1=\"%d\" x2=\"%.1f\" y2=\"%d\" stroke=\"#ddd\"/>\n"
              .formatted(x, latencyTop - 10, x, latencyTop + latencyHeight));
      svg.append(
          text(x, latencyTop - 14, tick < 1 ? "0.1" : String.format("%,.0f", tick), 11, "middle"));
    }
    for (int p = 0; p < PERCENTILES.length; p++) {
      svg.append(
          "<rect x=\"%d\" y=\"36\" width=\"10\" height=\"10\" fill=\"%s\"/>"
              .formatted(left + p * 70, COLOURS[p]));
      svg.append(text(left + 14 + p * 70, 45, "p" + trim(PERCENTILES[p]), 11, "start"));
    }
    int y = latencyTop;
    var first = latencies.isEmpty() ? "" : latencies.get(0).server();
    for (var entry : latencies) {
      var label = servers ? entry.setting() + " (" + entry.server() + ")" : entry.setting();
      // The first server's bars solid, the others' lighter, so the pairs read apart.
      var opacity = entry.server().equals(first) ? "1" : "0.5";
      svg.append(text(left - 8, y + 20, label, 12, "end"));
      for (int p = 0; p < PERCENTILES.length; p++) {
        double ms = Math.max(0.1, entry.histogram().getValueAtPercentile(PERCENTILES[p]) / 1000.0);
        double w = (Math.log10(ms) - min) / (max - min) * plot;
        svg.append(
            "<rect x=\"%d\" y=\"%d\" width=\"%.1f\" height=\"6\" fill=\"%s\" fill-opacity=\"%s\"/>\n"
                .formatted(left, y + 5 + p * 7, Math.max(1, w), COLOURS[p], opacity));
      }
      y += rowHeight;
    }
    svg.append(text(10, capacityTop - 30, "Streams held by one instance", 16, "start"));
    long most = capacities.values().stream().mapToLong(Long::longValue).max().orElse(1);
    y = capacityTop;
    for (var entry : capacities.entrySet()) {
      double w = entry.getValue() / (double) most * (plot - 80);
      svg.append(text(left - 8, y + 18, entry.getKey(), 12, "end"));
      svg.append(
          "<rect x=\"%d\" y=\"%d\" width=\"%.1f\" height=\"18\" fill=\"#4e79a7\"/>\n"
              .formatted(left, y + 5, Math.max(1, w)));
      svg.append(
          text(
              left + Math.max(1, w) + 6,
              y + 18,
              String.format("%,d", entry.getValue()),
              12,
              "start"));
      y += rowHeight;
    }
    return svg.append("</svg>\n").toString();
  }

  /** The latencies with each setting's servers next to each other, settings in measured order. */
  private static List<Results.Latency> grouped(List<Results.Latency> latencies) {
    var bySetting = new LinkedHashMap<String, List<Results.Latency>>();
    for (var latency : latencies) {
      bySetting.computeIfAbsent(latency.setting(), s -> new ArrayList<>()).add(latency);
    }
    return bySetting.values().stream().flatMap(List::stream).toList();
  }

  private static String trim(double p) {
    return p == Math.rint(p) ? String.valueOf((int) p) : String.valueOf(p);
  }

  private static String text(double x, double y, String s, int size, String anchor) {
    var escaped = s.replace("&", "&amp;").replace("<", "&lt;");
    return "<text x=\"%.1f\" y=\"%.1f\" font-size=\"%d\" text-anchor=\"%s\">%s</text>\n"
        .formatted(x, y, size, anchor, escaped);
  }
}
