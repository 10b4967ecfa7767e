package it.e2e;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import it.Db;
import it.JarServer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.stream.IntStream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.openqa.selenium.By;
import org.openqa.selenium.OutputType;
import org.openqa.selenium.chrome.ChromeDriver;
import org.openqa.selenium.chrome.ChromeDriverService;
import org.openqa.selenium.chrome.ChromeOptions;
import org.openqa.selenium.support.ui.WebDriverWait;

/**
 * The demo in a real headless Chromium, against the runnable jar in demo mode: a job's progress,
 * sources and proposals arrive through the whole path, survive a killed listener connection, and
 * the page reconnects after a server restart.
 */
class DemoE2EIT {

  private static final int PORT = 9183;
  private static final Path CHROMIUM = Path.of("/usr/bin/chromium");
  private static final Path CHROMEDRIVER = Path.of("/usr/bin/chromedriver");

  @TempDir Path work;
  private JarServer server;
  private ChromeDriver browser;

  @BeforeEach
  void start() throws Exception {
    assumeTrue(
        Files.isExecutable(CHROMIUM) && Files.isExecutable(CHROMEDRIVER),
        "Debian's chromium and chromium-driver are not installed (bin/test installs them as root)");
    server =
        new JarServer(
                Path.of(System.getProperty("java.home"), "bin", "java"),
                work,
                PORT,
                Map.of("DEMO_MODE", "true", "STREAM_HEARTBEAT_SECONDS", "2"))
            .start();
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
        "--window-size=1280,900",
        "--user-data-dir=" + work.resolve("chromium"));
    var service =
        new ChromeDriverService.Builder().usingDriverExecutable(CHROMEDRIVER.toFile()).build();
    browser = new ChromeDriver(service, options);
  }

  @AfterEach
  void stop() throws Exception {
    if (browser != null) {
      browser.quit();
    }
    if (server != null) {
      server.stop();
    }
  }

  private WebDriverWait waitUpTo(int seconds) {
    return new WebDriverWait(browser, Duration.ofSeconds(seconds));
  }

  private String connection() {
    return browser.findElement(By.id("connection")).getDomAttribute("data-state");
  }

  private List<Integer> progressSteps() {
    var steps = browser.findElement(By.tagName("body")).getDomAttribute("data-progress-steps");
    if (steps == null || steps.isEmpty()) {
      return List.of();
    }
    return java.util.Arrays.stream(steps.split(",")).map(Integer::parseInt).toList();
  }

  @Test
  void showsAJobThroughTheWholePathAndRecoversFromFaults() throws Exception {
    browser.get(server.uri("/").toString());
    waitUpTo(30).until(d -> "open".equals(connection()));
    assertThat(browser.findElement(By.id("connection-label")).getText()).isEqualTo("Connected");

    browser.findElement(By.id("start")).click();
    waitUpTo(30).until(d -> progressSteps().size() >= 4);
    // Mid-job, the listener loses its database connection: the page must not miss a step.
    Db.value(
        Boolean.class,
        "SELECT bool_and(pg_terminate_backend(pid)) FROM pg_stat_activity"
            + " WHERE application_name = 'status-stream-listener'");
    waitUpTo(60).until(d -> browser.findElement(By.id("percent")).getText().equals("100 %"));
    assertThat(progressSteps()).isEqualTo(IntStream.rangeClosed(1, 20).boxed().toList());
    assertThat(browser.findElement(By.id("stage")).getText()).isEqualToIgnoringCase("complete");
    assertThat(browser.findElements(By.cssSelector("#proposals li.proposal"))).hasSize(4);
    assertThat(browser.findElements(By.cssSelector("#sources li"))).hasSize(3);

    var screenshot = browser.getScreenshotAs(OutputType.FILE).toPath();
    Files.copy(
        screenshot,
        Path.of(System.getProperty("it.basedir"), "target", "demo.png"),
        StandardCopyOption.REPLACE_EXISTING);

    // The server goes away: the indicator leaves green; it comes back: green again.
    server.stop();
    waitUpTo(30).until(d -> !"open".equals(connection()));
    server.start();
    waitUpTo(90).until(d -> "open".equals(connection()));
  }
}
