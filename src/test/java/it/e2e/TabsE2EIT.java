package it.e2e;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import it.Api;
import it.Db;
import it.Deployments;
import it.Http;
import it.Metrics;
import it.Tokens;
import java.net.URL;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.stream.Collectors;
import java.util.stream.IntStream;
import org.jboss.arquillian.container.test.api.Deployment;
import org.jboss.arquillian.container.test.api.RunAsClient;
import org.jboss.arquillian.junit5.ArquillianExtension;
import org.jboss.arquillian.test.api.ArquillianResource;
import org.jboss.shrinkwrap.api.asset.ClassLoaderAsset;
import org.jboss.shrinkwrap.api.spec.WebArchive;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;
import org.openqa.selenium.WindowType;
import org.openqa.selenium.chrome.ChromeDriver;
import org.openqa.selenium.chrome.ChromeDriverService;
import org.openqa.selenium.chrome.ChromeOptions;

/**
 * The browser client's {@code watch()} in ten tabs of a real headless Chromium, on the server's own
 * origin: the tabs hold one connection for all their projects, each tab gets every event of its
 * projects in order and nothing else, a project added reconnects without a loss, and when the tab
 * that holds the connection closes, another takes over from the cursor, also with events written
 * while no tab was connected.
 */
@ExtendWith(ArquillianExtension.class)
@RunAsClient
class TabsE2EIT {

  private static final Path CHROMIUM = Path.of("/usr/bin/chromium");
  private static final Path CHROMEDRIVER = Path.of("/usr/bin/chromedriver");
  private static final String PAGE = "e2e/tabs.html";
  private static final String OPEN_STREAMS = "status_stream_open_streams";
  private static final Duration WAIT = Duration.ofSeconds(60);

  /** The service's WAR and a test page beside its browser client. */
  @Deployment(testable = false)
  static WebArchive app() {
    return Deployments.war().addAsWebResource(new ClassLoaderAsset("it/" + PAGE), PAGE);
  }

  @ArquillianResource URL base;
  @TempDir Path work;
  private ChromeDriver browser;

  @BeforeEach
  void start() {
    assumeTrue(
        Files.isExecutable(CHROMIUM) && Files.isExecutable(CHROMEDRIVER),
        "Debian's chromium and chromium-driver are not installed (bin/test installs them as root)");
    await()
        .atMost(Duration.ofSeconds(90))
        .pollInterval(Duration.ofMillis(200))
        .until(() -> Http.get(Api.management("/health/ready")).statusCode() == 200);
    var options = new ChromeOptions();
    options.setBinary(CHROMIUM.toFile());
    options.addArguments(
        "--headless=new",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-dev-shm-usage",
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--user-data-dir=" + work.resolve("chromium"));
    var service =
        new ChromeDriverService.Builder().usingDriverExecutable(CHROMEDRIVER.toFile()).build();
    browser = new ChromeDriver(service, options);
  }

  @AfterEach
  void stop() {
    if (browser != null) {
      browser.quit();
    }
  }

  @Test
  void tenTabsShareOneConnectionAndATakeoverLosesNothing() {
    var user = "tabs-" + UUID.randomUUID();
    var token = Tokens.forUser(user);
    var projects = IntStream.range(0, 6).mapToObj(i -> Db.project(user)).toList();
    var sources = projects.stream().map(Db::source).toList();
    double before = Metrics.value(base, OPEN_STREAMS);

    // Ten tabs of three projects each, overlapping: together the first five projects.
    Map<String, List<UUID>> tabs = new LinkedHashMap<>();
    for (int i = 0; i < 10; i++) {
      var watched =
          List.of(projects.get(i % 5), projects.get((i + 1) % 5), projects.get((i + 3) % 5));
      if (i > 0) {
        browser.switchTo().newWindow(WindowType.TAB);
      }
      browser.get(page(token, watched));
      tabs.put(browser.getWindowHandle(), new ArrayList<>(watched));
    }
    awaitOneConnection(tabs, before, projects.subList(0, 5));

    // Every tab gets every event of its projects, in order, and none of the others'.
    var written = new LinkedHashMap<UUID, List<String>>();
    projects.forEach(p -> written.put(p, new ArrayList<>()));
    write(projects.subList(0, 5), sources, written, 1, 3);
    awaitEvents(tabs, written);

    // A tab that does not hold the connection adds the sixth project: the leader connects again
    // for it, from the cursor.
    var holding = leader(tabs);
    var adding = tabs.keySet().stream().filter(tab -> !tab.equals(holding)).findFirst().get();
    run(adding, "window.stream.add(arguments[0])", projects.get(5).toString());
    tabs.get(adding).add(projects.get(5));
    awaitOneConnection(tabs, before, projects);
    write(projects, sources, written, 4, 5);
    awaitEvents(tabs, written);

    // The leader's tab closes while no other tab may connect yet: events are written with no
    // connection at all, and arrive once another tab has taken over.
    var leaving = leader(tabs);
    tabs.remove(leaving);
    tabs.keySet().forEach(tab -> run(tab, "window.hold()"));
    browser.switchTo().window(leaving).close();
    await()
        .atMost(WAIT)
        .untilAsserted(() -> assertThat(Metrics.value(base, OPEN_STREAMS)).isEqualTo(before));
    write(projects, sources, written, 6, 8);
    tabs.keySet().forEach(tab -> run(tab, "window.release()"));
    awaitOneConnection(tabs, before, union(tabs));
    awaitEvents(tabs, written);
  }

  private String page(String token, List<UUID> watched) {
    var projects = watched.stream().map(UUID::toString).collect(Collectors.joining(","));
    return base.toString().replaceAll("/$", "")
        + "/"
        + PAGE
        + "#"
        + Api.query("token", token)
        + "&"
        + Api.query("projects", projects);
  }

  private Object run(String tab, String script, Object... args) {
    browser.switchTo().window(tab);
    return browser.executeScript(script, args);
  }

  private long openIn(String tab) {
    return ((Number) run(tab, "return window.streams.open")).longValue();
  }

  private String leader(Map<String, List<UUID>> tabs) {
    return tabs.keySet().stream().filter(tab -> openIn(tab) == 1).findFirst().orElseThrow();
  }

  private static List<UUID> union(Map<String, List<UUID>> tabs) {
    return tabs.values().stream().flatMap(List::stream).distinct().toList();
  }

  /**
   * One tab holds one open stream, for the union of every tab's projects; the server has exactly
   * one more stream open than before the tabs; every tab says open.
   */
  private void awaitOneConnection(Map<String, List<UUID>> tabs, double before, List<UUID> union) {
    await()
        .atMost(WAIT)
        .ignoreExceptions()
        .untilAsserted(
            () -> {
              assertThat(tabs.keySet().stream().mapToLong(this::openIn).sum()).isEqualTo(1);
              @SuppressWarnings("unchecked")
              var connected = (List<String>) run(leader(tabs), "return window.streams.projects");
              assertThat(connected)
                  .containsExactlyInAnyOrderElementsOf(union.stream().map(UUID::toString).toList());
              for (var tab : tabs.keySet()) {
                assertThat(run(tab, "return window.states.at(-1)")).isEqualTo("open");
              }
              assertThat(Metrics.value(base, OPEN_STREAMS)).isEqualTo(before + 1);
            });
  }

  /** Rounds {@code from..to} of statuses: each round one event per project, one after another. */
  private static void write(
      List<UUID> projects, List<UUID> sources, Map<UUID, List<String>> written, int from, int to) {
    for (int round = from; round <= to; round++) {
      for (var project : projects) {
        var status = "round-" + round;
        Db.setSourceStatus(sources.get(projects.indexOf(project)), status);
        written.get(project).add(status);
      }
    }
  }

  /** Each tab has, per project it watches, exactly what was written, in order; nothing else. */
  private void awaitEvents(Map<String, List<UUID>> tabs, Map<UUID, List<String>> written) {
    for (var tab : tabs.entrySet()) {
      Map<String, List<String>> expected = new LinkedHashMap<>();
      tab.getValue().forEach(p -> expected.put(p.toString(), written.get(p)));
      await()
          .atMost(WAIT)
          .untilAsserted(() -> assertThat(received(tab.getKey())).isEqualTo(expected));
    }
  }

  /** What a tab got: the statuses per project, in the order handed over. */
  private Map<String, List<String>> received(String tab) {
    @SuppressWarnings("unchecked")
    var events = (List<List<String>>) run(tab, "return window.received");
    Map<String, List<String>> byProject = new LinkedHashMap<>();
    @SuppressWarnings("unchecked")
    var watched = (List<String>) run(tab, "return window.stream.projectIds");
    watched.forEach(p -> byProject.put(p, new ArrayList<>()));
    for (var event : events) {
      byProject.computeIfAbsent(event.get(0), p -> new ArrayList<>()).add(event.get(1));
    }
    return byProject;
  }
}
