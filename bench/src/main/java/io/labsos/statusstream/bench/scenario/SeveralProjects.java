package io.labsos.statusstream.bench.scenario;

import io.labsos.statusstream.bench.harness.CommitToDelivery;
import io.labsos.statusstream.bench.harness.Delivery;
import io.labsos.statusstream.bench.harness.Harness;
import io.labsos.statusstream.bench.harness.Project;
import io.labsos.statusstream.bench.report.Figure;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.HdrHistogram.Histogram;

/**
 * (8) Dashboards: clients that each watch {@value #PER_CONNECTION} projects. The same subscriptions
 * two ways: one connection per client on the stream of several projects ({@code GET
 * /api/status?project=...}), and one connection per project, as a client of a server without that
 * stream has to watch them. The same projects and writes both times: connection {@code c} of the
 * first way watches projects {@code 10c} to {@code 10c + 9} (modulo the number of projects), so
 * each project is watched by as many connections as the second way opens for it; events are written
 * to all projects at a fixed rate.
 *
 * <p>A server without the stream of several (the peer: {@code HEAD /api/status} is not 200) is
 * measured one connection per project only, and its figures stand in both rows, which says so: side
 * by side, the first row compares our connection per client with its connection per project. Ours
 * gets the stream of several once unmeasured first (the warm-up opens streams of one project only).
 */
final class SeveralProjects implements Scenario {

  static final String SEVERAL = "8 several projects per connection";
  static final String ONE_EACH = "8b one connection per project";
  private static final int PER_CONNECTION = 10;
  private static final HttpClient HTTP = HttpClient.newHttpClient();

  @Override
  public String name() {
    return "several";
  }

  @Override
  public void run(Harness h) throws Exception {
    int clients = h.size(1_000, 200);
    int watched = clients * PER_CONNECTION;
    if (h.refused(ONE_EACH, watched)) {
      return;
    }
    var projects = h.db.projects(h.size(1_000, 200));
    // The smaller shape first: a JVM's RSS hardly shrinks after a larger one closed.
    boolean several = servesSeveral(h, projects.get(0).id());
    Map<String, Figure> severalFigures = null;
    if (several) {
      measure(h, projects, clients, true); // unmeasured: its first opens and deliveries
      severalFigures = measure(h, projects, clients, true);
    }
    var oneEach = measure(h, projects, clients, false);
    if (several) {
      h.report(SEVERAL, severalFigures, notes(h, projects, clients));
    } else {
      h.report(
          SEVERAL,
          oneEach,
          "no stream of several projects here (HEAD /api/status is not 200): "
              + watched
              + " connections of one project each, the figures of \""
              + ONE_EACH
              + "\"");
    }
    h.report(ONE_EACH, oneEach, notes(h, projects, clients));
  }

  /**
   * Opens the connections (all of them, then waits until the server let go of the previous ones),
   * writes for a while, and says what it cost: opens, memory per watched project, deliveries.
   */
  private Map<String, Figure> measure(
      Harness h, List<Project> projects, int clients, boolean several) throws Exception {
    var ids = projects.stream().map(Project::id).toList();
    int watched = clients * PER_CONNECTION;
    int connections = several ? clients : watched;
    double heapBefore = h.server.heapAfterGc();
    long rssBefore = h.server.rssBytes();
    long cpuBefore = h.server.cpuMillis();
    double open = h.server.openStreams();
    var figures = new LinkedHashMap<String, Figure>();
    try (var load = h.load(2)) {
      var token = h.token();
      long started = System.nanoTime();
      if (several) {
        h.openAll(load, connections, c -> load.openSeveral(watchedBy(ids, c), token));
      } else {
        h.openAll(load, ids, connections);
      }
      double seconds = (System.nanoTime() - started) / 1e9;
      long openCpu = h.server.cpuMillis() - cpuBefore;
      double heapAfter = h.server.heapAfterGc();
      long rssAfter = h.server.rssBytes();
      long held = load.held();
      long projectsHeld = several ? held * PER_CONNECTION : held;
      double rate = rate(h);
      var clock = new CommitToDelivery();
      var delivery =
          h.openLoop(
              load,
              projects.stream().map(Project::source).toList(),
              rate,
              writeSeconds(h),
              0,
              watched / projects.size(),
              clock);
      h.latency(
          (several ? clients + " x " + PER_CONNECTION + " projects" : watched + " x 1 project")
              + " @ "
              + Figure.format(rate)
              + " ev/s",
          delivery.latency());
      figures.put(
          "connections x projects each",
          Figure.text(connections + " x " + (several ? PER_CONNECTION : 1)));
      figures.put("connections held", Figure.count(held));
      figures.put("connections opened/s", Figure.number(held / seconds));
      figures.put("projects watched/s", Figure.number(projectsHeld / seconds));
      figures.put(
          "server CPU ms per project watched (open)",
          Figure.number(openCpu / (double) projectsHeld));
      figures.put("heap / project watched", Figure.bytes((heapAfter - heapBefore) / projectsHeld));
      figures.put("RSS / project watched", Figure.bytes((rssAfter - rssBefore) / projectsHeld));
      put(figures, delivery, clock.histogram());
      if (several) {
        figures.put("events of a project not asked for", Figure.count(load.foreign.sum()));
        figures.put("longest cursor (id) chars", Figure.count(load.longestId()));
      }
    }
    double left = h.awaitStreamsClosed(open);
    if (left > 0) {
      throw new IllegalStateException(
          h.server.name() + " still holds " + (long) left + " streams the load closed");
    }
    return figures;
  }

  private static void put(
      Map<String, Figure> figures, Delivery delivery, Histogram commitToDelivery) {
    figures.put("deliveries/s offered", Figure.text(Figure.format(delivery.offeredPerSecond())));
    figures.put("deliveries/s delivered", Figure.number(delivery.deliveredPerSecond()));
    figures.put("keeps up", Figure.text(delivery.keptUp() ? "yes" : "no"));
    figures.put("CPU µs/delivery", Figure.number(delivery.cpuMicrosPerDelivery()));
    var latency = delivery.latency();
    var commits = delivery.commitLag();
    figures.put(
        "writer: scheduled to committed p50/p99 ms",
        Figure.pair(Figure.ms(commits, 50), Figure.ms(commits, 99)));
    figures.put("p50 ms", Figure.ms(latency, 50));
    figures.put("p99 ms", Figure.ms(latency, 99));
    figures.put("p99.9 ms", Figure.ms(latency, 99.9));
    figures.put("commit to delivery p50 ms", Figure.ms(commitToDelivery, 50));
    figures.put("commit to delivery p99 ms", Figure.ms(commitToDelivery, 99));
  }

  /** The projects connection {@code c} watches: {@value #PER_CONNECTION} in a row, wrapping. */
  private static List<UUID> watchedBy(List<UUID> projects, int c) {
    var watched = new ArrayList<UUID>();
    for (int k = 0; k < PER_CONNECTION; k++) {
      watched.add(projects.get((c * PER_CONNECTION + k) % projects.size()));
    }
    return watched;
  }

  private static int writeSeconds(Harness h) {
    return h.size(10, 5);
  }

  /** Events/s written, spread over all the projects. */
  private static double rate(Harness h) {
    return h.size(1_000, 200);
  }

  private static String notes(Harness h, List<Project> projects, int clients) {
    return projects.size()
        + " projects, each watched by "
        + clients * PER_CONNECTION / projects.size()
        + " connections; "
        + Figure.format(rate(h))
        + " events/s over all of them for "
        + writeSeconds(h)
        + " s; memory: after a GC (heap: JVM servers only), with the connections open, less"
        + " before; CPU: the server process's; latency: scheduled write (p50, p99, p99.9) or its"
        + " commit to parsed event";
  }

  /** Whether the server answers the stream of several projects ({@code HEAD /api/status}). */
  private static boolean servesSeveral(Harness h, UUID project) throws Exception {
    var address = h.server.address();
    var request =
        HttpRequest.newBuilder(
                URI.create(
                    "http://"
                        + address.getHostString()
                        + ":"
                        + address.getPort()
                        + "/api/status?project="
                        + project))
            .method("HEAD", HttpRequest.BodyPublishers.noBody())
            .header("Authorization", "Bearer " + h.token())
            .timeout(Duration.ofSeconds(10))
            .build();
    return HTTP.send(request, HttpResponse.BodyHandlers.discarding()).statusCode() == 200;
  }
}
