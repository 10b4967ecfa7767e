package it;

import static org.awaitility.Awaitility.await;

import java.io.IOException;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/** The runnable jar as a process of its own, configured by environment variables only. */
public final class JarServer implements AutoCloseable {

  private final Path java;
  private final Path work;
  private final int port;
  private final Map<String, String> env;
  private Process process;
  private List<ProcessHandle> children = List.of();
  private Path output;

  public JarServer(Path java, Path work, int port, Map<String, String> env) {
    this.java = java;
    this.work = work;
    this.port = port;
    this.env = new HashMap<>(env);
  }

  public URI uri(String path) {
    return URI.create("http://localhost:" + port + path);
  }

  /** Starts the server and waits until it reports ready. */
  public JarServer start() throws IOException {
    var run = Files.createTempDirectory(work, "run");
    output = run.resolve("server.out");
    var command =
        new ProcessBuilder(java.toString(), "-jar", System.getProperty("it.jar"))
            .directory(run.toFile())
            .redirectErrorStream(true)
            .redirectOutput(run.resolve("server.out").toFile());
    var environment = command.environment();
    // Only what is given here: not the integration-test server's settings.
    environment.keySet().removeIf(k -> k.startsWith("MP_JWT_") || k.startsWith("STREAM_"));
    environment.putAll(env);
    environment.put("HTTP_PORT", String.valueOf(port));
    environment.put("HTTPS_PORT", String.valueOf(port + 363));
    environment.put("WLP_JAR_EXTRACT_DIR", run.resolve("wlp").toString());
    process = command.start();
    var started = process;
    await()
        .atMost(Duration.ofSeconds(120))
        .pollInterval(Duration.ofMillis(500))
        .until(() -> !started.isAlive() || isReady());
    if (!process.isAlive()) {
      throw new IllegalStateException("the server stopped: see " + run.resolve("server.out"));
    }
    children = process.descendants().toList();
    return this;
  }

  private boolean isReady() {
    try {
      return Http.get(uri("/health/ready")).statusCode() == 200;
    } catch (RuntimeException e) {
      return false;
    }
  }

  /** What the launcher and the server wrote to the console. */
  public Path output() {
    return output;
  }

  public boolean isAlive() {
    return process != null && process.isAlive();
  }

  /** Stops the launcher and the server JVM it started (the jar carries jvm.options). */
  public void stop() throws InterruptedException {
    if (process == null) {
      return;
    }
    var all = new java.util.ArrayList<>(children);
    all.addAll(process.descendants().toList());
    process.destroy();
    all.forEach(ProcessHandle::destroy);
    if (!process.waitFor(30, TimeUnit.SECONDS)) {
      process.destroyForcibly();
    }
    for (var child : all) {
      child.onExit().completeOnTimeout(null, 30, TimeUnit.SECONDS).join();
      child.destroyForcibly();
    }
    process = null;
  }

  @Override
  public void close() throws InterruptedException {
    stop();
  }
}
