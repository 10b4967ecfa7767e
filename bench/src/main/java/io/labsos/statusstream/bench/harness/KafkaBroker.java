package io.labsos.statusstream.bench.harness;

import com.sun.tools.attach.VirtualMachine;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import javax.management.ObjectName;
import javax.management.remote.JMXConnector;
import javax.management.remote.JMXConnectorFactory;
import javax.management.remote.JMXServiceURL;

/**
 * The Kafka broker of {@code CHANGE_CAPTURE=kafka}: the one {@code KAFKA_BOOTSTRAP_SERVERS} names,
 * or else a local one that {@code bin/kafka} starts here and stops on {@link #close} (in the folder
 * and on the port of {@code LOCAL_KAFKA_DIR} and {@code LOCAL_KAFKA_PORT}, which {@code bin/bench}
 * sets apart from the tests' and the developer's broker). Started only for the scenario that needs
 * it, so that it takes no CPU from the others.
 */
public final class KafkaBroker implements AutoCloseable {

  private final Path root;
  private final String bootstrapServers;

  /** Whether the broker is ours to stop: started here, not named by the environment. */
  private final boolean local;

  /** The local broker's process; 0 for the environment's brokers. */
  private final long pid;

  /** A connection to the local broker's JMX agent, once asked for its counters. */
  private JMXConnector jmx;

  private KafkaBroker(Path root, String bootstrapServers, boolean local, long pid) {
    this.root = root;
    this.bootstrapServers = bootstrapServers;
    this.local = local;
    this.pid = pid;
  }

  /** The broker of the environment, or a local one started now (it waits until it answers). */
  public static KafkaBroker start(Path root) throws IOException, InterruptedException {
    var given = System.getenv("KAFKA_BOOTSTRAP_SERVERS");
    if (given != null && !given.isBlank()) {
      System.out.println("  Kafka: the brokers of KAFKA_BOOTSTRAP_SERVERS, " + given);
      return new KafkaBroker(root, given, false, 0);
    }
    run(root, "start");
    var env = run(root, "env").strip();
    var prefix = "export KAFKA_BOOTSTRAP_SERVERS=";
    if (!env.startsWith(prefix)) {
      run(root, "stop");
      throw new IllegalStateException("bin/kafka env said: " + env);
    }
    // bin/kafka's folder, as it resolves LOCAL_KAFKA_DIR: its pid file names the broker's JVM.
    var folder = root.resolve(System.getenv().getOrDefault("LOCAL_KAFKA_DIR", "target/kafka"));
    long pid = Long.parseLong(Files.readString(folder.resolve("kafka.pid")).strip());
    var broker = new KafkaBroker(root, env.substring(prefix.length()), true, pid);
    System.out.println("  Kafka: a local broker on " + broker.bootstrapServers + " (bin/kafka)");
    return broker;
  }

  public String bootstrapServers() {
    return bootstrapServers;
  }

  /** The local broker's CPU so far, in ms; NaN for brokers elsewhere. */
  public double cpuMillis() {
    return local ? Proc.cpuMillis(pid) : Double.NaN;
  }

  /**
   * Fetch requests the local broker has answered so far, by its own counter (JMX {@code
   * kafka.network:type=RequestMetrics,name=RequestsPerSec,request=Fetch}, every version); NaN for
   * brokers elsewhere. With one broker and no replicas, every fetch is a consumer's.
   */
  public double fetchRequests() throws Exception {
    if (!local) {
      return Double.NaN;
    }
    if (jmx == null) {
      var vm = VirtualMachine.attach(String.valueOf(pid));
      try {
        jmx = JMXConnectorFactory.connect(new JMXServiceURL(vm.startLocalManagementAgent()));
      } finally {
        vm.detach();
      }
    }
    var server = jmx.getMBeanServerConnection();
    double count = 0;
    for (var name :
        server.queryNames(
            new ObjectName("kafka.network:type=RequestMetrics,name=RequestsPerSec,request=Fetch,*"),
            null)) {
      count += ((Number) server.getAttribute(name, "Count")).doubleValue();
    }
    return count;
  }

  /** Stops the broker if it was started here; its data stays (bin/kafka keeps it). */
  @Override
  public void close() throws IOException, InterruptedException {
    if (jmx != null) {
      jmx.close();
    }
    if (local) {
      run(root, "stop");
    }
  }

  /** Runs bin/kafka with the environment of bin/bench; its standard output, or a failure. */
  private static String run(Path root, String command) throws IOException, InterruptedException {
    var process =
        new ProcessBuilder(root.resolve("bin/kafka").toString(), command)
            .directory(root.toFile())
            .redirectError(ProcessBuilder.Redirect.INHERIT)
            .start();
    var out = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    if (!process.waitFor(3, TimeUnit.MINUTES)) {
      process.destroyForcibly();
      throw new IllegalStateException("bin/kafka " + command + " did not end within 3 minutes");
    }
    if (process.exitValue() != 0) {
      throw new IllegalStateException("bin/kafka " + command + " failed: " + process.exitValue());
    }
    return out;
  }
}
