package io.labsos.statusstream.bench.scenario;

import io.labsos.statusstream.bench.harness.Harness;
import io.labsos.statusstream.bench.report.Figure;
import java.io.IOException;
import java.io.InputStream;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

/** (5) Connects per second sustained: open, read the connected message, drop. */
final class Churn implements Scenario {

  private static final int CLIENTS = 8;

  @Override
  public String name() {
    return "churn";
  }

  @Override
  public void run(Harness h) throws Exception {
    var project = h.db.projects(1).get(0);
    var request =
        ("GET "
                + Harness.statusPath(project.id())
                + " HTTP/1.1\r\nHost: localhost\r\nAccept: text/event-stream\r\n"
                + "Authorization: Bearer "
                + h.token()
                + "\r\n\r\n")
            .getBytes(StandardCharsets.US_ASCII);
    int seconds = h.size(15, 5);
    var done = new AtomicInteger();
    var failed = new AtomicInteger();
    var slowest = new AtomicLong();
    long cpu = h.server.cpuMillis();
    long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(seconds);
    ExecutorService pool = Executors.newFixedThreadPool(CLIENTS);
    var futures = new ArrayList<Future<?>>();
    for (int t = 0; t < CLIENTS; t++) {
      futures.add(
          pool.submit(
              () -> {
                int i = 0;
                while (System.nanoTime() < end) {
                  long start = System.nanoTime();
                  try (var socket = new Socket()) {
                    socket.setSoTimeout(30_000);
                    socket.connect(h.server.address());
                    socket.getOutputStream().write(request);
                    if (readUntil(socket.getInputStream(), "\"connected\"")) {
                      done.incrementAndGet();
                    } else {
                      failed.incrementAndGet();
                    }
                    if (i++ % 2 == 0) {
                      socket.setSoLinger(true, 0);
                    }
                  } catch (IOException e) {
                    failed.incrementAndGet();
                  }
                  slowest.accumulateAndGet((System.nanoTime() - start) / 1_000_000, Math::max);
                }
                return null;
              }));
    }
    for (var f : futures) {
      f.get();
    }
    pool.shutdown();
    var figures = new LinkedHashMap<String, Figure>();
    figures.put("connects/s", Figure.number(done.get() / (double) seconds));
    figures.put("failed", Figure.count(failed.get()));
    figures.put("slowest connect ms", Figure.count(slowest.get()));
    figures.put(
        "server CPU ms/connect", Figure.number((h.server.cpuMillis() - cpu) / (double) done.get()));
    h.report(
        "5 churn",
        figures,
        CLIENTS + " clients, " + seconds + " s; every other stream dropped with a reset");
  }

  private static boolean readUntil(InputStream in, String marker) throws IOException {
    var seen = new StringBuilder();
    var buffer = new byte[4096];
    int n;
    while ((n = in.read(buffer)) > 0) {
      seen.append(new String(buffer, 0, n, StandardCharsets.UTF_8));
      if (seen.indexOf(marker) >= 0) {
        return true;
      }
    }
    return false;
  }
}
