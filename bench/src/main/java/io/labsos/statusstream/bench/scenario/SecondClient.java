package io.labsos.statusstream.bench.scenario;

import io.labsos.statusstream.bench.harness.Harness;
import io.labsos.statusstream.bench.harness.Keys;
import io.labsos.statusstream.bench.report.Figure;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.regex.Pattern;

/**
 * (9) The same fan-outs and idle streams measured by another load client, given with {@code
 * --client "<command>"}: a speed claim holds when a second, independent client agrees. The command
 * is a load client with {@code load.mjs}'s interface (arguments {@code fanout S R T} and {@code
 * idle N}; {@code BASE}, {@code PGURL}, {@code KEYDIR}, {@code ISS}, {@code SERVER_PID} in its
 * environment; one JSON line on stdout). A Node client also gets {@code client-probe.mjs}, which
 * reports what the client itself spent while events arrived: its CPU, the chunks it read them in,
 * its event loop's delay. Each server gets the client's own warm-up first.
 */
public final class SecondClient implements Scenario {

  /** The system property {@code --client} sets. */
  public static final String PROPERTY = "bench.client";

  private static final Path PROBE = Path.of("bench/src/main/node/client-probe.mjs");

  @Override
  public String name() {
    return "client";
  }

  @Override
  public void run(Harness h) throws Exception {
    var client = System.getProperty(PROPERTY);
    if (client == null) {
      System.out.println("  skipped: no --client \"<command>\" given");
      return;
    }
    var key = h.keys().writePrivatePem(h.work.resolve("client-key/priv.pem"));
    var environment =
        Map.of(
            "BASE",
            "http://127.0.0.1:" + h.server.port(),
            "PGURL",
            h.db.url(),
            "KEYDIR",
            key.getParent().toString(),
            "ISS",
            Keys.ISSUER,
            "SERVER_PID",
            String.valueOf(h.server.pid()),
            "NODE_OPTIONS",
            "--max-old-space-size=8192 --import=" + PROBE.toAbsolutePath().toUri());
    run(h, client, environment, "fanout", h.size(1_000, 200), 100, 5);
    fanOut(h, client, environment, h.size(1_000, 200), 100, h.size(15, 3));
    fanOut(h, client, environment, h.size(2_000, 500), 100, h.size(10, 3));
    fanOut(h, client, environment, h.size(10_000, 1_000), 10, h.size(15, 3));
    idle(h, client, environment, h.size(15_000, 1_000));
  }

  private void fanOut(
      Harness h, String client, Map<String, String> environment, int streams, int rate, int seconds)
      throws Exception {
    var answer = run(h, client, environment, "fanout", streams, rate, seconds);
    var out = answer.stdout();
    double delivered = number(out, "delivered");
    var figures = new LinkedHashMap<String, Figure>();
    figures.put("deliveries/s offered", Figure.number((double) streams * rate));
    figures.put("deliveries/s delivered", Figure.number(number(out, "delivered_per_s")));
    figures.put(
        "all delivered",
        Figure.text(delivered == number(out, "expected") && delivered > 0 ? "yes" : "no"));
    figures.put("writer took s", Figure.number(number(out, "write_s")));
    figures.put("p50 ms", Figure.number(number(out, "p50_ms")));
    figures.put("p99 ms", Figure.number(number(out, "p99_ms")));
    figures.put("p99.9 ms", Figure.number(number(out, "p999_ms")));
    figures.put(
        "CPU ms/1,000 deliveries", Figure.number(number(out, "server_cpu_s_per_1k") * 1000));
    var probe = answer.stderr();
    figures.put(
        "client CPU µs/delivery", Figure.number(number(probe, "cpu_ms") * 1000 / delivered));
    figures.put("client chunks/delivery", Figure.number(number(probe, "chunks") / delivered));
    figures.put(
        "client loop delay p50/p99 ms",
        Figure.pair(
            Figure.number(number(probe, "loop_p50_ms")),
            Figure.number(number(probe, "loop_p99_ms"))));
    h.report(
        "9 second client: " + String.format("%,d", streams) + " x " + rate + "/s",
        figures,
        "measured by "
            + client
            + ": latency from the writer's scheduled time, CPU the server's;"
            + " client figures from the first event to the client's exit");
  }

  private void idle(Harness h, String client, Map<String, String> environment, int streams)
      throws Exception {
    var out = run(h, client, environment, "idle", streams).stdout();
    var figures = new LinkedHashMap<String, Figure>();
    figures.put("streams held", Figure.number(number(out, "open")));
    figures.put("opened/s", Figure.number(number(out, "connects_per_s")));
    figures.put("RSS/stream", Figure.bytes(number(out, "rss_per_stream_kb") * 1024));
    h.report(
        "9 second client: " + String.format("%,d", streams) + " idle streams",
        figures,
        "measured by " + client + "; RSS without a GC first");
  }

  private record Answer(String stdout, String stderr) {}

  /**
   * Runs the client once, then waits until the server has let go of its streams: a server notices a
   * client that left only at its next write, and the next run's streams need those files.
   */
  private Answer run(Harness h, String client, Map<String, String> environment, Object... args)
      throws Exception {
    double open = h.server.openStreams();
    var answer = runOnce(h, client, environment, args);
    h.awaitStreamsClosed(open);
    return answer;
  }

  private Answer runOnce(Harness h, String client, Map<String, String> environment, Object... args)
      throws Exception {
    var line = new StringBuilder(client);
    for (var arg : args) {
      line.append(' ').append(arg);
    }
    var stdout = Files.createTempFile(h.work, "client", ".out");
    var stderr = Files.createTempFile(h.work, "client", ".err");
    try {
      var command = new ProcessBuilder(List.of("bash", "-c", line.toString()));
      command.environment().putAll(environment);
      var process =
          command
              .redirectOutput(stdout.toFile())
              .redirectError(stderr.toFile())
              .redirectInput(ProcessBuilder.Redirect.PIPE)
              .start();
      if (!process.waitFor(5, TimeUnit.MINUTES)) {
        process.descendants().forEach(ProcessHandle::destroyForcibly);
        process.destroyForcibly();
        throw new IllegalStateException(line + " did not end within 5 minutes");
      }
      var answer = new Answer(Files.readString(stdout), Files.readString(stderr));
      if (process.exitValue() != 0 || !answer.stdout().contains("{")) {
        throw new IllegalStateException(
            line + " exited with " + process.exitValue() + ": " + answer.stderr().strip());
      }
      System.out.println("  " + line + ": " + answer.stdout().strip());
      return answer;
    } finally {
      Files.deleteIfExists(stdout);
      Files.deleteIfExists(stderr);
    }
  }

  /** A number of a flat JSON line by its key; NaN where it is absent or null. */
  private static double number(String json, String key) {
    var m = Pattern.compile("\"" + Pattern.quote(key) + "\":(-?[0-9.eE+-]+)").matcher(json);
    return m.find() ? Double.parseDouble(m.group(1)) : Double.NaN;
  }
}
