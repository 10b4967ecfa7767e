package io.labsos.statusstream.bench.report;

import org.HdrHistogram.Histogram;

/**
 * One measured figure: the text printed, and the number behind it where there is one (NaN
 * otherwise), from which a side-by-side run computes its ratios.
 */
public record Figure(String text, double value) {

  public static Figure number(double value) {
    return new Figure(format(value), value);
  }

  public static Figure count(long value) {
    return new Figure(String.valueOf(value), value);
  }

  public static Figure bytes(double value) {
    return new Figure(Double.isNaN(value) ? "n/a" : formatBytes(value), value);
  }

  /** A percentile of a latency histogram (recorded in µs), in milliseconds. */
  public static Figure ms(Histogram latency, double percentile) {
    return number(latency.getValueAtPercentile(percentile) / 1000.0);
  }

  /** Text only: a setting, a pair of values, a yes or no; no ratio is taken of it. */
  public static Figure text(String text) {
    return new Figure(text, Double.NaN);
  }

  /** Two figures of one kind, side by side ("a / b"): text, no ratio is taken of it. */
  public static Figure pair(Figure first, Figure second) {
    return text(first.text() + " / " + second.text());
  }

  public static String format(double value) {
    if (Double.isNaN(value) || Double.isInfinite(value)) {
      return "n/a";
    }
    if (Math.abs(value) >= 100) {
      return String.format("%,.0f", value);
    }
    return String.format("%.2f", value);
  }

  private static String formatBytes(double value) {
    if (value >= 1 << 30) {
      return String.format("%.2f GiB", value / (1 << 30));
    }
    if (value >= 1 << 20) {
      return String.format("%.1f MiB", value / (1 << 20));
    }
    return String.format("%.1f KiB", value / 1024);
  }
}
