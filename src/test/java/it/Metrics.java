package it;

import java.net.URL;
import java.util.regex.Pattern;

/** Reads one value from the server's Prometheus text at /metrics. */
public final class Metrics {

  private Metrics() {}

  public static double value(URL base, String name) {
    var body = Http.get(Api.management("/metrics")).body();
    var line =
        Pattern.compile("^" + Pattern.quote(name) + "\\{[^}]*\\} (\\S+)$", Pattern.MULTILINE)
            .matcher(body);
    if (!line.find()) {
      throw new AssertionError("no metric " + name + " at /metrics");
    }
    return Double.parseDouble(line.group(1));
  }

  /** The value of the metric's series that has this label, e.g. limit="polls". */
  public static double value(String name, String label, String labelValue) {
    var body = Http.get(Api.management("/metrics")).body();
    var line =
        Pattern.compile(
                "^"
                    + Pattern.quote(name)
                    + "\\{[^}]*"
                    + Pattern.quote(label + "=\"" + labelValue + "\"")
                    + "[^}]*\\} (\\S+)$",
                Pattern.MULTILINE)
            .matcher(body);
    if (!line.find()) {
      throw new AssertionError("no metric " + name + " with " + label + "=" + labelValue);
    }
    return Double.parseDouble(line.group(1));
  }
}
