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
  private Path run;
  private List<ProcessHandle> children = List.of();
  private int openFileLimit;

  public JarServer(Path java, Path work, int port, Map<String, String> env) {
    this.java = java;
    this.work = work;
    this.port = port;
    this.env = new HashMap<>(env);
  }

  /**
   * Test servers start often and live briefly: the client compiler alone starts them about a fifth
   * faster on two cores (measured: 15-16 s to ready, 11-13 s with it).
   */
  private static final String QUICK_START = "-XX:TieredStopAtLevel=1";

  /** A URL of the server: health checks and metrics on its management port, the rest on HTTP. */
  public URI uri(String path) {
    boolean management = path.startsWith("/health") || path.startsWith("/metrics");
    return URI.create("http://localhost:" + (management ? managementPort() : port) + path);
  }

  /** The management port of a server whose HTTP port is {@code port}. */
  public static int managementPort(int port) {
    return port + 700;
  }

  /** The MANAGEMENT_PORT given, else {@link #managementPort(int)} of the HTTP port. */
  public int managementPort() {
    var given = env.get("MANAGEMENT_PORT");
    return given != null ? Integer.parseInt(given) : managementPort(port);
  }

  /**
   * The environment of a server that trusts the test tokens, with the given settings as name, value
   * pairs.
   */
  public static Map<String, String> trustingTestTokens(String... settings) {
    var env = new HashMap<String, String>();
    env.put("MP_JWT_VERIFY_PUBLICKEY_LOCATION", System.getProperty("it.jwks"));
    env.put("MP_JWT_VERIFY_ISSUER", Tokens.ISSUER);
    for (int i = 0; i < settings.length; i += 2) {
      env.put(settings[i], settings[i + 1]);
    }
    return env;
  }

  /**
   * Starts the server and waits until it reports ready; one that does not is stopped (the caller's
   * try-with-resources never gets it to close).
   */
  public JarServer start() throws IOException {
    launch();
    try {
      return awaitReady();
    } catch (RuntimeException e) {
      try {
        stop();
      } catch (InterruptedException interrupted) {
        Thread.currentThread().interrupt();
      }
      throw e;
    }
  }

  /** Waits until the server reports ready. */
  public JarServer awaitReady() {
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

  /** Runs the server under this limit of open files (ulimit -n), lower than the test's. */
  public JarServer openFileLimit(int files) {
    openFileLimit = files;
    return this;
  }

  /** Starts the server process and returns at once. */
  public JarServer launch() throws IOException {
    run = Files.createTempDirectory(work, "run");
    var line =
        new java.util.ArrayList<>(
            List.of(java.toString(), QUICK_START, "-jar", System.getProperty("it.jar")));
    if (openFileLimit > 0) {
      // The shell sets the limit and becomes the launcher; the server JVM inherits it.
      line.addAll(0, List.of("bash", "-c", "ulimit -n " + openFileLimit + " && exec \"$@\"", "-"));
    }
    var command =
        new ProcessBuilder(line)
            .directory(run.toFile())
            .redirectErrorStream(true)
            .redirectOutput(run.resolve("server.out").toFile());
    var environment = command.environment();
    // Only what is given here: not the integration-test server's settings.
    environment
        .keySet()
        .removeIf(
            k ->
                k.startsWith("MP_JWT_")
                    || k.startsWith("STREAM_")
                    || k.equals("READ_ALL_PROJECTS_GROUPS"));
    environment.putAll(env);
    environment.put("HTTP_PORT", String.valueOf(port));
    environment.put("HTTPS_PORT", String.valueOf(port + 363));
    if (!env.containsKey("MANAGEMENT_PORT")) {
      environment.put("MANAGEMENT_PORT", String.valueOf(managementPort()));
    }
    environment.put("WLP_JAR_EXTRACT_DIR", run.resolve("wlp").toString());
    // The server JVM too (Liberty's server script adds JVM_ARGS to the jar's jvm.options).
    environment.putIfAbsent("JVM_ARGS", QUICK_START + " -XX:+UseSerialGC");
    process = command.start();
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
    return run.resolve("server.out");
  }

  public boolean isAlive() {
    return process != null && process.isAlive();
  }

  /** The process ids of the server: the launcher and the JVM it started. */
  public List<Long> pids() {
    var all = new java.util.ArrayList<Long>();
    if (process != null) {
      all.add(process.pid());
      process.descendants().forEach(child -> all.add(child.pid()));
    }
    return all;
  }

  /** Kills the server at once (SIGKILL), as a node that dies does: nothing runs to the end. */
  public void kill() throws InterruptedException {
    if (process == null) {
      return;
    }
    var all = new java.util.ArrayList<>(process.descendants().toList());
    all.forEach(ProcessHandle::destroyForcibly);
    process.destroyForcibly();
    process.waitFor(30, TimeUnit.SECONDS);
    for (var child : all) {
      child.onExit().completeOnTimeout(null, 30, TimeUnit.SECONDS).join();
    }
    process = null;
  }

  /** Freezes the server (SIGSTOP): it holds its sockets and does nothing, as a paused VM. */
  public void suspend() {
    signal("-STOP");
  }

  /** Lets a frozen server go on (SIGCONT). */
  public void resume() {
    signal("-CONT");
  }

  private void signal(String signal) {
    for (var pid : pids()) {
      try {
        var kill = new ProcessBuilder("kill", signal, String.valueOf(pid)).inheritIO().start();
        kill.waitFor(10, TimeUnit.SECONDS);
      } catch (IOException e) {
        throw new java.io.UncheckedIOException(e);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new IllegalStateException(e);
      }
    }
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
